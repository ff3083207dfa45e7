#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/model_config.h"
#include "stride/engine.h"

using stride::ModelConfig;
using ::testing::HasSubstr;

namespace {

const char* kQwenOld = R"({
  "model_type": "qwen2", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
  "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
  "tie_word_embeddings": false, "eos_token_id": 7, "bos_token_id": 5 })";

std::string error_of(const std::string& json) {
  try {
    ModelConfig::parse(json, "/m/config.json");
  } catch (const stride::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelConfig, QwenTopLevelRopeTheta) {
  ModelConfig c = ModelConfig::parse(kQwenOld, "config.json");
  EXPECT_EQ(c.model_type, "qwen2");
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.num_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_TRUE(c.attention_bias);  // qwen2 always has q/k/v biases
  EXPECT_EQ(c.eos_token_ids, std::vector<int>({7}));
  EXPECT_EQ(c.bos_token_id, 5);
}

TEST(ModelConfig, TinyModelUsesRopeParameters) {
  ModelConfig c = ModelConfig::load(std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder");
  EXPECT_DOUBLE_EQ(c.rope_theta, 1000000.0);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.num_heads, 2);
  EXPECT_EQ(c.num_kv_heads, 1);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 151936);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>({151643}));
}

TEST(ModelConfig, RopeParametersWinOverDefault) {
  ModelConfig c = ModelConfig::parse(R"({"model_type":"qwen2","vocab_size":10,"hidden_size":8,
    "intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,
    "rope_parameters":{"rope_type":"default","rope_theta":12345.0}})", "c");
  EXPECT_DOUBLE_EQ(c.rope_theta, 12345.0);
  EXPECT_EQ(c.num_kv_heads, 2);  // defaults to the head count (no GQA)
  EXPECT_FALSE(c.tie_word_embeddings);
}

TEST(ModelConfig, LlamaWithEosListHeadDimAndBias) {
  ModelConfig c = ModelConfig::parse(R"({"model_type":"llama","vocab_size":32000,"hidden_size":96,
    "intermediate_size":256,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":1,
    "head_dim":32,"tie_word_embeddings":true,"eos_token_id":[2,32001],"bos_token_id":1})", "c");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.head_dim, 32);  // explicit, not hidden/heads
  EXPECT_EQ(c.num_kv_heads, 1);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>({2, 32001}));

  ModelConfig b = ModelConfig::parse(R"({"model_type":"llama","vocab_size":10,"hidden_size":8,
    "intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"attention_bias":true})", "c");
  EXPECT_TRUE(b.attention_bias);
}

TEST(ModelConfig, ErrorsNameFileAndField) {
  EXPECT_THAT(error_of(R"({"model_type":"gpt2"})"), AllOf(HasSubstr("/m/config.json"), HasSubstr("model_type"),
                                                          HasSubstr("gpt2")));
  EXPECT_THAT(error_of(R"({"model_type":"qwen2","vocab_size":10})"),
              AllOf(HasSubstr("/m/config.json"), HasSubstr("hidden_size")));
  EXPECT_THAT(error_of(R"({"hidden_size":8})"), AllOf(HasSubstr("/m/config.json"), HasSubstr("model_type")));
  EXPECT_THAT(error_of("{not json"), AllOf(HasSubstr("/m/config.json"), HasSubstr("invalid JSON")));
  EXPECT_THAT(error_of(R"({"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":16,
    "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":3})"),
              HasSubstr("num_key_value_heads"));
  EXPECT_THAT(error_of(R"({"model_type":"qwen2","vocab_size":-3,"hidden_size":8,"intermediate_size":16,
    "num_hidden_layers":1,"num_attention_heads":4})"),
              HasSubstr("vocab_size"));
}

TEST(ModelConfig, MissingFileNamesConfigJson) {
  try {
    ModelConfig::load("/nonexistent/stride-model");
    FAIL() << "expected an error";
  } catch (const stride::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/stride-model/config.json"));
  }
}
