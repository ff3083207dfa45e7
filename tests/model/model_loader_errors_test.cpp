// Every loader failure must be a stride::Error naming the file (and the tensor where there is one).
#include <filesystem>
#include <fstream>

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

class LoaderErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("stride_loader_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             "_" + std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    RandomModelSpec spec;
    spec.num_layers = 1;
    write_random_qwen2_model(dir_, spec, 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads config + weights and returns the error message ("" when it loads).
  std::string load_error() {
    try {
      ModelConfig c = ModelConfig::load(dir_);
      ModelWeights::load(dir_, c);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::string st() const { return dir_ + "/model.safetensors"; }
  // Rewrites the model file with the tensors of the random model, changed by `edit`.
  template <class F>
  void rewrite_tensors(F edit) {
    std::vector<SafetensorsTensor> tensors;
    {
      SafetensorsFile f(st());
      for (auto& [name, t] : f.tensors()) {
        const auto* p = static_cast<const uint8_t*>(t.data);
        tensors.push_back({name, to_string(t.dtype), t.shape, std::vector<uint8_t>(p, p + t.nbytes)});
      }
    }
    edit(tensors);
    write_safetensors(st(), tensors);
  }

  std::string dir_;
};

}  // namespace

TEST_F(LoaderErrors, RandomModelLoads) { EXPECT_EQ(load_error(), ""); }

TEST_F(LoaderErrors, MissingFolder) {
  fs::remove_all(dir_);
  try {
    ModelWeights::load(dir_, ModelConfig{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir_));
  }
  EXPECT_THAT(load_error(), HasSubstr(dir_ + "/config.json"));
}

TEST_F(LoaderErrors, MissingConfig) {
  fs::remove(dir_ + "/config.json");
  EXPECT_THAT(load_error(), HasSubstr(dir_ + "/config.json"));
}

TEST_F(LoaderErrors, UnsupportedArchitecture) {
  std::ifstream in(dir_ + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  j["model_type"] = "mamba";
  std::ofstream(dir_ + "/config.json") << j.dump();
  EXPECT_THAT(load_error(), AllOf(HasSubstr("config.json"), HasSubstr("model_type"), HasSubstr("mamba")));
}

TEST_F(LoaderErrors, MissingSafetensors) {
  fs::remove(st());
  EXPECT_THAT(load_error(), AllOf(HasSubstr(dir_), HasSubstr("model.safetensors")));
}

TEST_F(LoaderErrors, TruncatedHeader) {
  std::ofstream(st(), std::ios::binary | std::ios::trunc) << "abc";
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("truncated")));
}

TEST_F(LoaderErrors, HeaderLengthPastEof) {
  write_safetensors_raw(st(), 1 << 20, "{}", {});
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("past the end")));
}

TEST_F(LoaderErrors, BadJson) {
  const std::string header = "{\"a\": [1, 2";
  write_safetensors_raw(st(), header.size(), header, {});
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("invalid JSON")));
}

TEST_F(LoaderErrors, OffsetsOutOfRange) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  write_safetensors_raw(st(), header.size(), header, std::vector<uint8_t>(8));
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("'w'"), HasSubstr("out of range")));
}

TEST_F(LoaderErrors, OffsetsNotMatchingShape) {
  const std::string header = R"({"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}})";
  write_safetensors_raw(st(), header.size(), header, std::vector<uint8_t>(16));
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("'w'"), HasSubstr("need 8")));
}

TEST_F(LoaderErrors, OffsetsOverlap) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                                 "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  write_safetensors_raw(st(), header.size(), header, std::vector<uint8_t>(12));
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("overlaps")));
}

TEST_F(LoaderErrors, UnsupportedDtype) {
  const std::string header = R"({"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})";
  write_safetensors_raw(st(), header.size(), header, std::vector<uint8_t>(8));
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("'w'"), HasSubstr("I64")));
}

TEST_F(LoaderErrors, WrongTensorShape) {
  rewrite_tensors([](std::vector<SafetensorsTensor>& ts) {
    for (auto& t : ts)
      if (t.name == "model.layers.0.self_attn.k_proj.weight") t.shape = {t.shape[1], t.shape[0]};
  });
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("model.layers.0.self_attn.k_proj.weight"),
                                  HasSubstr("shape [32, 16]"), HasSubstr("expected [16, 32]")));
}

TEST_F(LoaderErrors, MissingTensor) {
  rewrite_tensors([](std::vector<SafetensorsTensor>& ts) {
    std::erase_if(ts, [](const SafetensorsTensor& t) { return t.name == "model.layers.0.mlp.up_proj.weight"; });
  });
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("model.layers.0.mlp.up_proj.weight"),
                                  HasSubstr("missing")));
}

TEST_F(LoaderErrors, UntiedConfigNeedsLmHead) {
  std::ifstream in(dir_ + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  j["tie_word_embeddings"] = false;
  std::ofstream(dir_ + "/config.json") << j.dump();
  EXPECT_THAT(load_error(), AllOf(HasSubstr(st()), HasSubstr("lm_head.weight")));
}
