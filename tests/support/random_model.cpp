#include "random_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "safetensors_writer.h"

namespace stride::test {
namespace fs = std::filesystem;

std::string tiny_model_dir() { return std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder"; }

void write_random_qwen2_model(const std::string& dir, const RandomModelSpec& s, uint64_t seed) {
  fs::create_directories(dir);
  const int hd = s.hidden_size / s.num_heads;
  nlohmann::json config = {
      {"architectures", {"Qwen2ForCausalLM"}},
      {"model_type", "qwen2"},
      {"vocab_size", s.vocab_size},
      {"hidden_size", s.hidden_size},
      {"intermediate_size", s.intermediate_size},
      {"num_hidden_layers", s.num_layers},
      {"num_attention_heads", s.num_heads},
      {"num_key_value_heads", s.num_kv_heads},
      {"max_position_embeddings", s.max_position_embeddings},
      {"rms_norm_eps", 1e-6},
      {"rope_theta", s.rope_theta},
      {"tie_word_embeddings", s.tie_word_embeddings},
      {"hidden_act", "silu"},
      {"bos_token_id", 151643},
      {"eos_token_id", 151643},
  };
  {
    std::ofstream out(dir + "/config.json");
    if (!out) throw std::runtime_error("cannot write " + dir + "/config.json");
    out << config.dump(2);
  }

  std::mt19937_64 rng(seed);
  std::vector<SafetensorsTensor> tensors;
  // Uniform(-a, a) with a = sqrt(3 / fan_in): unit-variance outputs for unit-variance inputs.
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float center, float amplitude) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::uniform_real_distribution<float> dist(-amplitude, amplitude);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = center + dist(rng);
    tensors.push_back({name, s.bf16 ? "BF16" : "F32", shape, s.bf16 ? bf16_bytes(v) : f32_bytes(v)});
  };
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    add(name, {out, in}, 0.0f, std::sqrt(3.0f / static_cast<float>(in)));
  };
  const int64_t H = s.hidden_size, I = s.intermediate_size, Q = int64_t(s.num_heads) * hd,
                KV = int64_t(s.num_kv_heads) * hd;
  add("model.embed_tokens.weight", {s.vocab_size, H}, 0.0f, 1.0f);
  for (int l = 0; l < s.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {H}, 1.0f, 0.2f);
    linear(p + "self_attn.q_proj.weight", Q, H);
    add(p + "self_attn.q_proj.bias", {Q}, 0.0f, 0.2f);
    linear(p + "self_attn.k_proj.weight", KV, H);
    add(p + "self_attn.k_proj.bias", {KV}, 0.0f, 0.2f);
    linear(p + "self_attn.v_proj.weight", KV, H);
    add(p + "self_attn.v_proj.bias", {KV}, 0.0f, 0.2f);
    linear(p + "self_attn.o_proj.weight", H, Q);
    add(p + "post_attention_layernorm.weight", {H}, 1.0f, 0.2f);
    linear(p + "mlp.gate_proj.weight", I, H);
    linear(p + "mlp.up_proj.weight", I, H);
    linear(p + "mlp.down_proj.weight", H, I);
  }
  add("model.norm.weight", {H}, 1.0f, 0.2f);
  if (!s.tie_word_embeddings) linear("lm_head.weight", s.vocab_size, H);
  write_safetensors(dir + "/model.safetensors", tensors);

  if (s.copy_tokenizer) {
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      fs::copy_file(tiny_model_dir() + "/" + f, dir + "/" + f, fs::copy_options::overwrite_existing);
  }
}

}  // namespace stride::test
