// The tensors of a model folder, memory-mapped from *.safetensors and checked against the config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace stride {

enum class DType { F32, F16, BF16 };
const char* to_string(DType d);

// A view of one tensor's bytes inside a mapped file (or an owned buffer).
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;
  int64_t numel() const;
  // Converts to float32 (any dtype) into out (resized to numel()).
  void to_float(std::vector<float>& out) const;
};

class SafetensorsFile;

// Per-layer tensor names follow the Hugging Face layout (model.layers.{i}.self_attn.q_proj...).
struct LayerWeights {
  TensorView input_norm, post_attn_norm;
  TensorView q, k, v, o;           // [out, in]
  TensorView q_bias, k_bias, v_bias;  // present when config.attention_bias
  TensorView gate, up, down;
};

class ModelWeights {
 public:
  // Maps model.safetensors or the shards of model.safetensors.index.json, checks every tensor's
  // presence and shape against `config`; throws stride::Error naming the file and the tensor.
  static std::unique_ptr<ModelWeights> load(const std::string& model_dir, const ModelConfig& config);
  ~ModelWeights();

  const ModelConfig& config() const { return config_; }
  const TensorView& embed() const { return embed_; }          // [vocab, hidden]
  const TensorView& final_norm() const { return final_norm_; }
  const TensorView& lm_head() const { return lm_head_; }      // == embed() when tied
  const std::vector<LayerWeights>& layers() const { return layers_; }
  int64_t parameter_count() const;

 private:
  ModelWeights() = default;
  ModelConfig config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  TensorView embed_, final_norm_, lm_head_;
  std::vector<LayerWeights> layers_;
};

}  // namespace stride
