// Sharded checkpoints (model.safetensors.index.json) and the real tiny model.
#include <filesystem>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "model/model_weights.h"
#include "model/safetensors_file.h"
#include "random_model.h"
#include "safetensors_writer.h"
#include "stride/engine.h"

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace stride;
using namespace stride::test;

namespace {

// Splits <dir>/model.safetensors into two shards plus an index, as transformers writes them.
void shard_model(const std::string& dir) {
  std::vector<SafetensorsTensor> a, b;
  nlohmann::json map = nlohmann::json::object();
  {
    SafetensorsFile f(dir + "/model.safetensors");
    int i = 0;
    for (auto& [name, t] : f.tensors()) {
      const auto* p = static_cast<const uint8_t*>(t.data);
      SafetensorsTensor copy{name, to_string(t.dtype), t.shape, std::vector<uint8_t>(p, p + t.nbytes)};
      const bool first = (i++ % 2) == 0;
      (first ? a : b).push_back(copy);
      map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    }
  }
  write_safetensors(dir + "/model-00001-of-00002.safetensors", a);
  write_safetensors(dir + "/model-00002-of-00002.safetensors", b);
  std::ofstream(dir + "/model.safetensors.index.json") << nlohmann::json{{"metadata", {}}, {"weight_map", map}}.dump();
  fs::remove(dir + "/model.safetensors");
}

std::string temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("stride_sharded_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

}  // namespace

TEST(ShardedWeights, LoadsTheSameTensorsAsOneFile) {
  const std::string one = temp_dir("one"), two = temp_dir("two");
  RandomModelSpec spec;
  spec.tie_word_embeddings = false;
  write_random_qwen2_model(one, spec, 3);
  write_random_qwen2_model(two, spec, 3);
  shard_model(two);

  ModelConfig c = ModelConfig::load(one);
  auto w1 = ModelWeights::load(one, c);
  auto w2 = ModelWeights::load(two, c);
  EXPECT_EQ(w1->parameter_count(), w2->parameter_count());
  std::vector<float> x, y;
  for (int l = 0; l < c.num_layers; ++l) {
    w1->layers()[l].down.to_float(x);
    w2->layers()[l].down.to_float(y);
    EXPECT_EQ(x, y);
    w1->layers()[l].q_bias.to_float(x);
    w2->layers()[l].q_bias.to_float(y);
    EXPECT_EQ(x, y);
  }
  w1->lm_head().to_float(x);
  w2->lm_head().to_float(y);
  EXPECT_EQ(x, y);
  fs::remove_all(one);
  fs::remove_all(two);
}

TEST(ShardedWeights, MissingShardIsNamed) {
  const std::string dir = temp_dir("missing");
  write_random_qwen2_model(dir, RandomModelSpec{}, 4);
  shard_model(dir);
  fs::remove(dir + "/model-00002-of-00002.safetensors");
  try {
    ModelWeights::load(dir, ModelConfig::load(dir));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("model-00002-of-00002.safetensors"), HasSubstr("model.safetensors.index.json"),
                                HasSubstr("tensor '")));
  }
  fs::remove_all(dir);
}

TEST(ModelWeights, TinyModelLoadsWithItsShapes) {
  const std::string dir = tiny_model_dir();
  ModelConfig c = ModelConfig::load(dir);
  auto w = ModelWeights::load(dir, c);
  EXPECT_EQ(w->embed().dtype, DType::BF16);
  EXPECT_EQ(w->embed().shape, std::vector<int64_t>({151936, 128}));
  EXPECT_EQ(w->lm_head().data, w->embed().data);  // tied
  ASSERT_EQ(w->layers().size(), 8u);
  EXPECT_EQ(w->layers()[0].k.shape, std::vector<int64_t>({64, 128}));
  EXPECT_NEAR(double(w->parameter_count()), 21.4e6, 0.1e6);
}

TEST(TensorView, ConvertsEveryDtype) {
  // 1.5, -2, 65504 (max half), 2^-24 (smallest subnormal half)
  const uint16_t f16[] = {0x3e00, 0xc000, 0x7bff, 0x0001};
  TensorView t{"h", DType::F16, {4}, f16, sizeof f16};
  std::vector<float> out;
  t.to_float(out);
  EXPECT_EQ(out, std::vector<float>({1.5f, -2.0f, 65504.0f, 5.9604644775390625e-8f}));
  const uint16_t bf16[] = {0x3fc0, 0xc000};
  TensorView b{"b", DType::BF16, {2}, bf16, sizeof bf16};
  b.to_float(out);
  EXPECT_EQ(out, std::vector<float>({1.5f, -2.0f}));
  const float f32[] = {0.25f, -7.0f};
  TensorView f{"f", DType::F32, {2}, f32, sizeof f32};
  f.to_float(out);
  EXPECT_EQ(out, std::vector<float>({0.25f, -7.0f}));
}
