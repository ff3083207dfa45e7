// Tiny hand-made tokenizer.json files: merge formats, added tokens, eos fallbacks and errors.
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "stride/engine.h"
#include "stride/tokenizer.h"
#include "tokenizer/byte_level.h"

namespace stride::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("stride-tok-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// Vocabulary: the 256 byte tokens (ids 0..255), then the merge results.
json tiny_tokenizer(bool pair_merges, const std::string& regex_pattern = "") {
  const auto& bl = tokenizer::byte_level_map();
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[bl.encode_byte(static_cast<uint8_t>(b))] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\xC4\xA0", "w"}, {"\xC4\xA0w", "o"}};
  json merge_list = json::array();
  int next = 256;
  for (const auto& [a, b] : merges) {
    vocab[a + b] = next++;
    merge_list.push_back(pair_merges ? json::array({a, b}) : json(a + " " + b));
  }
  json pre = {{"type", "Sequence"},
              {"pretokenizers",
               {{{"type", "Split"},
                 {"pattern", {{"Regex", regex_pattern.empty() ? R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)" : regex_pattern}}},
                 {"behavior", "Isolated"},
                 {"invert", false}},
                {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  return {{"version", "1.0"},
          {"added_tokens",
           {{{"id", 300}, {"content", "<eos>"}, {"special", true}},
            {{"id", 301}, {"content", "<sep>"}, {"special", false}, {"lstrip", true}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}}}};
}

TEST(TokenizerJson, PairAndStringMergesGiveTheSameTokens) {
  TempDir a, b;
  a.write("tokenizer.json", tiny_tokenizer(/*pair_merges=*/true).dump());
  b.write("tokenizer.json", tiny_tokenizer(/*pair_merges=*/false).dump());
  auto ta = Tokenizer::load_from_folder(a.path().string());
  auto tb = Tokenizer::load_from_folder(b.path().string());
  const std::string text = "hello wo hell";
  auto ids = ta->encode(text);
  EXPECT_EQ(ids, tb->encode(text));
  // "hello" -> he+ll -> hell+o; " wo" -> Ġw + o; " hell": Ġ then hell.
  const int hello = ta->token_id("hello"), gwo = ta->token_id("\xC4\xA0wo"), hell = ta->token_id("hell");
  EXPECT_EQ(ids, (std::vector<int32_t>{hello, gwo, ta->token_id("\xC4\xA0"), hell}));
  EXPECT_EQ(ta->decode(ids), text);
  EXPECT_EQ(ta->vocab_size(), 302);
}

TEST(TokenizerJson, AddedTokensAndEosFallback) {
  TempDir d;
  d.write("tokenizer.json", tiny_tokenizer(true).dump());
  auto tok = Tokenizer::load_from_folder(d.path().string());
  EXPECT_TRUE(tok->is_special(300));
  EXPECT_FALSE(tok->is_special(301));
  // <sep> has lstrip: it swallows the spaces before it.
  EXPECT_EQ(tok->encode("he  <sep><eos>", true), (std::vector<int32_t>{tok->token_id("he"), 301, 300}));
  EXPECT_EQ(tok->encode("<eos>", false).size(), 5u);
  EXPECT_TRUE(tok->eos_ids().empty());  // no config files and no <|endoftext|> or </s>

  d.write("tokenizer_config.json", R"({"eos_token": {"content": "<eos>"}})");
  EXPECT_EQ(Tokenizer::load_from_folder(d.path().string())->eos_ids(), std::vector<int32_t>{300});
  d.write("generation_config.json", R"({"eos_token_id": [301, 300]})");
  EXPECT_EQ(Tokenizer::load_from_folder(d.path().string())->eos_ids(), (std::vector<int32_t>{301, 300}));
}

TEST(TokenizerJson, Llama3PatternAndIgnoreMerges) {
  TempDir d;
  json j = tiny_tokenizer(true, R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
  j["model"]["vocab"]["hel"] = 302;  // reachable only through ignore_merges (no merge makes it)
  j["model"]["ignore_merges"] = true;
  d.write("tokenizer.json", j.dump());
  auto tok = Tokenizer::load_from_folder(d.path().string());
  EXPECT_EQ(tok->encode("hel"), std::vector<int32_t>{302});
  EXPECT_EQ(tok->encode("1234").size(), 4u);  // "123" and "4" pieces, each byte tokens
  EXPECT_EQ(tok->decode(tok->encode("hel 1234")), "hel 1234");
}

void expect_error_naming(const std::string& dir, const std::string& needle) {
  try {
    Tokenizer::load_from_folder(dir);
    ADD_FAILURE() << "no error for " << dir;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(TokenizerJson, ErrorsNameTheFile) {
  TempDir d;
  const std::string dir = d.path().string();
  const std::string file = (d.path() / "tokenizer.json").string();
  expect_error_naming(dir + "/missing", dir + "/missing");
  expect_error_naming(dir, "no tokenizer.json or tokenizer.model");

  d.write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");  // truncated
  expect_error_naming(dir, file + ": invalid JSON");

  json j = tiny_tokenizer(true);
  j["model"]["type"] = "WordPiece";
  d.write("tokenizer.json", j.dump());
  expect_error_naming(dir, file + ": unsupported tokenizer: model type 'WordPiece'");

  j = tiny_tokenizer(true, R"(\w+|\s+)");
  d.write("tokenizer.json", j.dump());
  expect_error_naming(dir, file + ": unsupported tokenizer: pre-tokenizer regex");

  j = tiny_tokenizer(true);
  j["model"]["merges"].push_back(json::array({"zz", "q"}));
  d.write("tokenizer.json", j.dump());
  expect_error_naming(dir, file + ": merge 6");

  j = tiny_tokenizer(true);
  j["model"]["merges"].push_back("a b c");
  d.write("tokenizer.json", j.dump());
  expect_error_naming(dir, file + ": invalid merge");

  j = tiny_tokenizer(true);
  j["model"]["vocab"] = json::array();
  d.write("tokenizer.json", j.dump());
  expect_error_naming(dir, file);

  d.write("tokenizer.json", tiny_tokenizer(true).dump());
  d.write("config.json", "{not json");
  expect_error_naming(dir, (d.path() / "config.json").string() + ": invalid JSON");
}

}  // namespace
}  // namespace stride::test
