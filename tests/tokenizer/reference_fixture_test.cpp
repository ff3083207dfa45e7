// Token ids of the Hugging Face reference (fixtures/tiny-qwen2-coder-reference.json), reproduced
// exactly by the byte-level BPE tokenizer.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "qwen_tokenizer.h"

namespace stride::test {
namespace {

nlohmann::json reference() {
  std::ifstream in(std::string(STRIDE_SHARED_DIR) + "/fixtures/tiny-qwen2-coder-reference.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

TEST(ReferenceFixture, TokenizerCasesMatchHuggingFace) {
  const Tokenizer& tok = qwen_tokenizer();
  nlohmann::json cases = reference().at("tokenizer");
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    const auto expected = c.at("ids").get<std::vector<int32_t>>();
    // The reference encodes with added tokens recognised (the FIM case relies on it).
    EXPECT_EQ(tok.encode(text, /*parse_special=*/true), expected) << text;
    EXPECT_EQ(tok.decode(expected), text) << text;
  }
}

TEST(ReferenceFixture, GreedyPlainPromptIds) {
  const Tokenizer& tok = qwen_tokenizer();
  int plain = 0;
  const nlohmann::json ref = reference();  // kept alive: the loop borrows from it
  for (const auto& c : ref.at("greedy")) {
    if (c.at("kind").get<std::string>() != "plain") continue;
    ++plain;
    const std::string text = c.at("text").get<std::string>();
    EXPECT_EQ(tok.encode(text), c.at("prompt_ids").get<std::vector<int32_t>>()) << text;
  }
  EXPECT_GT(plain, 0);
}

TEST(ReferenceFixture, GreedyFimPromptIds) {
  const Tokenizer& tok = qwen_tokenizer();
  int fim = 0;
  const nlohmann::json ref = reference();  // kept alive: the loop borrows from it
  for (const auto& c : ref.at("greedy")) {
    if (c.at("kind").get<std::string>() != "fim") continue;
    ++fim;
    const std::string prompt = "<|fim_prefix|>" + c.at("prefix").get<std::string>() + "<|fim_suffix|>" +
                               c.at("suffix").get<std::string>() + "<|fim_middle|>";
    EXPECT_EQ(tok.encode(prompt, /*parse_special=*/true), c.at("prompt_ids").get<std::vector<int32_t>>())
        << prompt;
  }
  EXPECT_GT(fim, 0);
}

TEST(ReferenceFixture, VocabularyFacts) {
  const Tokenizer& tok = qwen_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 151669);  // 151643 BPE tokens + 26 added tokens
  EXPECT_EQ(tok.token_id("<|endoftext|>"), 151643);
  EXPECT_EQ(tok.token_id("<|fim_prefix|>"), 151659);
  EXPECT_EQ(tok.token_id("def"), 750);
  EXPECT_EQ(tok.token_id("no such token here"), -1);
  EXPECT_EQ(tok.token_text(750), "def");
  EXPECT_EQ(tok.token_text(220), "\xC4\xA0");  // "Ġ", the byte-level form of a space
  EXPECT_EQ(tok.decode_bytes({220}), " ");
  EXPECT_TRUE(tok.is_special(151643));
  EXPECT_FALSE(tok.is_special(151659));  // FIM tokens are added but not special in Qwen2.5
  EXPECT_FALSE(tok.is_special(750));
  EXPECT_FALSE(tok.is_special(-1));
  EXPECT_FALSE(tok.is_special(1 << 30));
  // config.json / generation_config.json name <|endoftext|>, tokenizer_config.json <|im_end|>.
  const auto eos = tok.eos_ids();
  ASSERT_FALSE(eos.empty());
  EXPECT_EQ(eos[0], 151643);
  EXPECT_NE(std::find(eos.begin(), eos.end(), 151645), eos.end());
}

TEST(ReferenceFixture, UnknownIdsDecodeToNothing) {
  const Tokenizer& tok = qwen_tokenizer();
  // The model's embedding has padded rows beyond the tokenizer's vocabulary.
  EXPECT_EQ(tok.decode({750, 151900, -5}), "def");
  EXPECT_EQ(tok.token_text(151900), "");
}

}  // namespace
}  // namespace stride::test
