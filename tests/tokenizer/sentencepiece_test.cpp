// SentencePiece models (tokenizer.model), trained at test time on a small corpus.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include "stride/engine.h"
#include "stride/tokenizer.h"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

// A folder holding only tokenizer.model: a BPE model with byte fallback, like Llama's.
class SentencePieceFolder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("stride-sp-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    {
      std::ofstream corpus(dir_ / "corpus.txt");
      const char* lines[] = {"def add(a, b):", "    return a + b", "int main() { return 0; }",
                             "for (int i = 0; i < n; ++i) sum += v[i];", "the quick brown fox jumps over the lazy dog",
                             "class Stack: def push(self, x): self.items.append(x)"};
      for (int rep = 0; rep < 50; ++rep) {
        for (const char* l : lines) corpus << l << " " << rep << "\n";
      }
    }
    const std::string prefix = (dir_ / "sp").string();
    auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + (dir_ / "corpus.txt").string() + " --model_prefix=" + prefix +
        " --vocab_size=400 --model_type=bpe --byte_fallback=true --character_coverage=1.0"
        " --normalization_rule_name=identity --remove_extra_whitespaces=false --split_digits=true"  // as Llama
        " --minloglevel=2");
    ASSERT_TRUE(status.ok()) << status.ToString();
    fs::create_directories(dir_ / "model");
    fs::copy_file(prefix + ".model", dir_ / "model" / "tokenizer.model");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string model_dir() { return (dir_ / "model").string(); }

  static fs::path dir_;
};
fs::path SentencePieceFolder::dir_;

TEST_F(SentencePieceFolder, LoadsAndRoundTrips) {
  auto tok = Tokenizer::load_from_folder(model_dir());
  EXPECT_EQ(tok->vocab_size(), 400);
  for (const std::string text : {"def add(a, b):\n    return a + b", "int main() { return 0; }",
                                  "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 unseen: ~`|"}) {
    auto ids = tok->encode(text);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(tok->decode(ids), text);
    // decode_bytes keeps SentencePiece's dummy-prefix space, so token-by-token output concatenates.
    EXPECT_EQ(tok->decode_bytes(ids), " " + text);
  }
}

TEST_F(SentencePieceFolder, ByteFallbackPiecesDecodeToBytes) {
  auto tok = Tokenizer::load_from_folder(model_dir());
  const std::string emoji = "\xF0\x9F\x98\x80";  // not in the corpus: four <0x..> pieces
  auto ids = tok->encode(emoji);
  int byte_pieces = 0;
  for (int32_t id : ids) byte_pieces += tok->token_text(id).rfind("<0x", 0) == 0;
  EXPECT_EQ(byte_pieces, 4);
  EXPECT_EQ(tok->token_id("<0xF0>"), ids[ids.size() - 4]);
  StreamingDecoder dec(*tok);
  std::string streamed;
  for (int32_t id : ids) streamed += dec.push(id);
  EXPECT_EQ(streamed + dec.flush(), " " + emoji);
}

TEST_F(SentencePieceFolder, ControlPiecesOnlyWithParseSpecial) {
  auto tok = Tokenizer::load_from_folder(model_dir());
  const int eos = tok->token_id("</s>");
  ASSERT_GE(eos, 0);
  EXPECT_TRUE(tok->is_special(eos));
  EXPECT_EQ(tok->eos_ids(), std::vector<int32_t>{eos});  // from the model, no config files here
  auto plain = tok->encode("x</s>", false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), eos), 0);
  EXPECT_EQ(tok->decode(plain), "x</s>");
  auto parsed = tok->encode("x</s>", true);
  EXPECT_EQ(parsed.back(), eos);
  EXPECT_EQ(tok->token_id("definitely not a piece"), -1);
}

TEST_F(SentencePieceFolder, UnsupportedTokenizerJsonFallsBackToTheModel) {
  // Llama-2 style folders carry both files; their tokenizer.json is a byte-fallback BPE.
  const fs::path both = dir_ / "both";
  fs::create_directories(both);
  fs::copy_file(dir_ / "model" / "tokenizer.model", both / "tokenizer.model", fs::copy_options::overwrite_existing);
  std::ofstream(both / "tokenizer.json")
      << R"({"model": {"type": "BPE", "byte_fallback": true, "vocab": {}, "merges": []}, "decoder": null})";
  auto tok = Tokenizer::load_from_folder(both.string());
  EXPECT_EQ(tok->vocab_size(), 400);
}

TEST_F(SentencePieceFolder, CorruptModelIsAnError) {
  const fs::path bad = dir_ / "bad";
  fs::create_directories(bad);
  std::ofstream(bad / "tokenizer.model") << "not a protobuf";
  try {
    Tokenizer::load_from_folder(bad.string());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((bad / "tokenizer.model").string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace stride::test
