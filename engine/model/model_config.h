// config.json of a Hugging Face model folder, for the qwen2 and llama families.
#pragma once

#include <string>
#include <vector>

namespace stride {

struct ModelConfig {
  std::string model_type;  // "qwen2" | "llama"
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;  // hidden_size / num_heads unless config says otherwise
  int max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  double rope_theta = 10000.0;  // top-level rope_theta or rope_parameters.rope_theta
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v biases (always true for qwen2)
  std::vector<int> eos_token_ids;
  int bos_token_id = -1;

  // Parses `<dir>/config.json`; throws stride::Error naming the file and the field.
  static ModelConfig load(const std::string& model_dir);
  static ModelConfig parse(const std::string& json_text, const std::string& origin);
};

}  // namespace stride
