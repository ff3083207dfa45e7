// Writes a random Qwen2-layout model folder (config.json + float32 model.safetensors) for the
// decode tests: a small-vocabulary target for the sampling test and a differently seeded draft
// model that shares the tiny model's vocabulary.
#pragma once

#include <cstdint>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace stride::testing {

struct RandomModel {
  int vocab = 16, hidden = 32, intermediate = 64, layers = 2, heads = 4, kv_heads = 2;
  float embed_scale = 0.3f;  // logit spread: about embed_scale * sqrt(hidden)
};

inline void write_random_model(const std::string& dir, const RandomModel& m, uint64_t seed) {
  std::filesystem::create_directories(dir);
  const int hd = m.hidden / m.heads;
  nlohmann::json cfg = {{"architectures", {"Qwen2ForCausalLM"}},
                        {"model_type", "qwen2"},
                        {"vocab_size", m.vocab},
                        {"hidden_size", m.hidden},
                        {"intermediate_size", m.intermediate},
                        {"num_hidden_layers", m.layers},
                        {"num_attention_heads", m.heads},
                        {"num_key_value_heads", m.kv_heads},
                        {"max_position_embeddings", 4096},
                        {"rms_norm_eps", 1e-6},
                        {"rope_theta", 10000.0},
                        {"tie_word_embeddings", true},
                        {"bos_token_id", 0},
                        {"eos_token_id", 1}};
  std::ofstream(dir + "/config.json") << cfg.dump(2);

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  nlohmann::json header = nlohmann::json::object();
  std::vector<float> data;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset = 0.0f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const size_t begin = data.size() * sizeof(float);
    for (int64_t i = 0; i < n; ++i) data.push_back(offset + scale * normal(rng));
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size() * sizeof(float)}}};
  };
  const float w_in = 1.0f / std::sqrt(static_cast<float>(m.hidden));
  const float w_mid = 1.0f / std::sqrt(static_cast<float>(m.intermediate));
  add("model.embed_tokens.weight", {m.vocab, m.hidden}, m.embed_scale);
  add("model.norm.weight", {m.hidden}, 0.0f, 1.0f);
  for (int l = 0; l < m.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {m.hidden}, 0.0f, 1.0f);
    add(p + "post_attention_layernorm.weight", {m.hidden}, 0.0f, 1.0f);
    add(p + "self_attn.q_proj.weight", {m.heads * hd, m.hidden}, w_in);
    add(p + "self_attn.k_proj.weight", {m.kv_heads * hd, m.hidden}, w_in);
    add(p + "self_attn.v_proj.weight", {m.kv_heads * hd, m.hidden}, w_in);
    add(p + "self_attn.o_proj.weight", {m.hidden, m.heads * hd}, w_in);
    add(p + "self_attn.q_proj.bias", {m.heads * hd}, 0.1f);
    add(p + "self_attn.k_proj.bias", {m.kv_heads * hd}, 0.1f);
    add(p + "self_attn.v_proj.bias", {m.kv_heads * hd}, 0.1f);
    add(p + "mlp.gate_proj.weight", {m.intermediate, m.hidden}, w_in);
    add(p + "mlp.up_proj.weight", {m.intermediate, m.hidden}, w_in);
    add(p + "mlp.down_proj.weight", {m.hidden, m.intermediate}, w_mid);
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // keeps the tensor data 8-byte aligned
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  uint64_t len = h.size();
  char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out.write(len_bytes, 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
}

// A per-process scratch folder under the system temp dir.
inline std::string scratch_dir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("stride-decode-" + std::to_string(::getpid()) + "-" + name)).string();
}

}  // namespace stride::testing
