#include "runtime/cuda/device_model.h"

#include <cmath>
#include <cstring>
#include <string>

#include "kernels/convert.cuh"

namespace stride::cuda {
namespace {

uint16_t float_to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN stays NaN
  u += 0x7fffu + ((u >> 16) & 1u);                     // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

// Appends the tensor as bf16 to `out`.
void append_bf16(const TensorView& t, std::vector<uint16_t>& out) {
  const size_t n = static_cast<size_t>(t.numel());
  const size_t at = out.size();
  out.resize(at + n);
  if (t.dtype == DType::BF16) {
    std::memcpy(out.data() + at, t.data, n * 2);
    return;
  }
  std::vector<float> f;
  t.to_float(f);
  for (size_t i = 0; i < n; ++i) out[at + i] = float_to_bf16_bits(f[i]);
}

void expect_shape(const TensorView& t, std::vector<int64_t> shape) {
  if (t.shape != shape) throw Error("CUDA backend: tensor " + t.name + " has an unexpected shape");
}

class Uploader {
 public:
  explicit Uploader(DeviceModel& m) : m_(m) {}
  const bf16* bf16_tensor(const std::vector<const TensorView*>& parts, const char* what) {
    std::vector<uint16_t> host;
    for (const TensorView* p : parts) append_bf16(*p, host);
    return static_cast<const bf16*>(put(host.data(), host.size() * 2, what));
  }
  const float* f32_tensor(const std::vector<const TensorView*>& parts, const char* what) {
    std::vector<float> host, f;
    for (const TensorView* p : parts) {
      p->to_float(f);
      host.insert(host.end(), f.begin(), f.end());
    }
    return static_cast<const float*>(put(host.data(), host.size() * 4, what));
  }

 private:
  const void* put(const void* src, size_t bytes, const char* what) {
    m_.buffers.emplace_back(bytes, what);
    cuda_check(cudaMemcpy(m_.buffers.back().as(), src, bytes, cudaMemcpyHostToDevice), what);
    return m_.buffers.back().as();
  }
  DeviceModel& m_;
};

int64_t streamed_bytes(const ModelConfig& c) {
  const int64_t h = c.hidden_size, hd = c.head_dim, q = int64_t(c.num_heads) * hd, kv = int64_t(c.num_kv_heads) * hd;
  const int64_t per_layer = (q + 2 * kv) * h + q * h + 3 * h * int64_t(c.intermediate_size) + 2 * h;
  return 2 * (per_layer * c.num_layers + int64_t(c.vocab_size) * h + h);
}

}  // namespace

void check_cuda_config(const ModelConfig& c) {
  auto bad = [](const std::string& field, int v, const char* need) {
    throw Error("CUDA backend: config field " + field + " = " + std::to_string(v) + " " + need);
  };
  if (c.hidden_size <= 0 || c.hidden_size % 8) bad("hidden_size", c.hidden_size, "must be a positive multiple of 8");
  if (c.intermediate_size <= 0 || c.intermediate_size % 8)
    bad("intermediate_size", c.intermediate_size, "must be a positive multiple of 8");
  if (c.head_dim % 32 || c.head_dim <= 0 || c.head_dim > 128) bad("head_dim", c.head_dim, "must be 32, 64, 96 or 128");
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads)
    bad("num_key_value_heads", c.num_kv_heads, "must divide num_attention_heads");
  if (c.num_layers <= 0) bad("num_hidden_layers", c.num_layers, "must be positive");
  if (c.vocab_size <= 0) bad("vocab_size", c.vocab_size, "must be positive");
}

std::unique_ptr<DeviceModel> DeviceModel::upload(const ModelWeights& w) {
  auto m = std::make_unique<DeviceModel>();
  m->config = w.config();
  const ModelConfig& c = m->config;
  check_cuda_config(c);
  Uploader up(*m);
  m->embed = up.bf16_tensor({&w.embed()}, "upload of the embedding");
  m->final_norm = up.bf16_tensor({&w.final_norm()}, "upload of the final norm");
  m->lm_head = (w.lm_head().data == w.embed().data) ? m->embed : up.bf16_tensor({&w.lm_head()}, "upload of lm_head");
  for (const LayerWeights& L : w.layers()) {
    DeviceLayer d;
    d.input_norm = up.bf16_tensor({&L.input_norm}, "upload of input_layernorm");
    d.post_attn_norm = up.bf16_tensor({&L.post_attn_norm}, "upload of post_attention_layernorm");
    d.qkv = up.bf16_tensor({&L.q, &L.k, &L.v}, "upload of q/k/v_proj");
    if (L.q_bias.data && L.k_bias.data && L.v_bias.data)
      d.qkv_bias = up.f32_tensor({&L.q_bias, &L.k_bias, &L.v_bias}, "upload of q/k/v biases");
    expect_shape(L.o, {c.hidden_size, int64_t(c.num_heads) * c.head_dim});
    d.o = up.bf16_tensor({&L.o}, "upload of o_proj");
    d.gate_up = up.bf16_tensor({&L.gate, &L.up}, "upload of gate/up_proj");
    d.down = up.bf16_tensor({&L.down}, "upload of down_proj");
    m->layers.push_back(d);
  }
  m->weight_bytes = streamed_bytes(c);
  return m;
}

std::unique_ptr<DeviceModel> DeviceModel::random(const ModelConfig& c, uint64_t seed) {
  check_cuda_config(c);
  auto m = std::make_unique<DeviceModel>();
  m->config = c;
  uint64_t stream = seed * 1000003ull;
  auto fill = [&](int64_t n, float scale, float offset, const char* what) -> const bf16* {
    m->buffers.emplace_back(size_t(n) * 2, what);
    launch_fill_random_bf16(m->buffers.back().as<bf16>(), n, ++stream, scale, offset, nullptr);
    return m->buffers.back().as<bf16>();
  };
  // Uniform(-a, a) with a = sqrt(3 / fan_in): unit-variance outputs, so activations stay O(1).
  auto scale = [](int64_t fan_in) { return static_cast<float>(std::sqrt(3.0 / double(fan_in))); };
  const int64_t h = c.hidden_size, hd = c.head_dim, q = int64_t(c.num_heads) * hd, kv = int64_t(c.num_kv_heads) * hd;
  const int64_t inter = c.intermediate_size;
  m->embed = fill(int64_t(c.vocab_size) * h, 1.0f, 0.f, "random embedding");
  m->final_norm = fill(h, 0.05f, 1.f, "random final norm");
  m->lm_head = c.tie_word_embeddings ? m->embed : fill(int64_t(c.vocab_size) * h, scale(h), 0.f, "random lm_head");
  for (int l = 0; l < c.num_layers; ++l) {
    DeviceLayer d;
    d.input_norm = fill(h, 0.05f, 1.f, "random input norm");
    d.post_attn_norm = fill(h, 0.05f, 1.f, "random post-attention norm");
    d.qkv = fill((q + 2 * kv) * h, scale(h), 0.f, "random q/k/v");
    if (c.attention_bias) {
      m->buffers.emplace_back(size_t(q + 2 * kv) * 4, "random q/k/v bias");
      launch_fill_random_f32(m->buffers.back().as<float>(), q + 2 * kv, ++stream, 0.1f, 0.f, nullptr);
      d.qkv_bias = m->buffers.back().as<float>();
    }
    d.o = fill(h * q, scale(q), 0.f, "random o_proj");
    d.gate_up = fill(2 * inter * h, scale(h), 0.f, "random gate/up");
    d.down = fill(h * inter, scale(inter), 0.f, "random down_proj");
    m->layers.push_back(d);
  }
  cuda_check(cudaDeviceSynchronize(), "random weight generation");
  m->weight_bytes = streamed_bytes(c);
  return m;
}

}  // namespace stride::cuda
