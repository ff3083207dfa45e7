// Helpers of the CUDA tests: skip without a GPU, device buffers from host vectors, bf16 rounding.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/common.cuh"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/device_buffer.h"

#define STRIDE_REQUIRE_GPU()                                                     \
  do {                                                                           \
    std::string why_;                                                            \
    if (!stride::cuda_device_available(&why_)) GTEST_SKIP() << "no GPU: " << why_; \
  } while (0)

namespace stride::cuda::test {

inline uint16_t to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float from_bf16_bits(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename T>
DeviceBuffer upload(const std::vector<T>& v) {
  DeviceBuffer b(v.size() * sizeof(T));
  cuda_check(cudaMemcpy(b.as(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), "test upload");
  return b;
}

template <typename T>
std::vector<T> download(const DeviceBuffer& b, size_t n) {
  std::vector<T> v(n);
  cuda_check(cudaDeviceSynchronize(), "test sync");
  cuda_check(cudaMemcpy(v.data(), b.as(), n * sizeof(T), cudaMemcpyDeviceToHost), "test download");
  return v;
}

// Fills a device buffer with NaN bytes so that unwritten outputs fail the comparison.
inline void poison(DeviceBuffer& b) { cuda_check(cudaMemset(b.as(), 0xff, b.bytes()), "poison"); }

// Random bf16 values (returned as bits) and their float values.
inline void random_bf16(std::mt19937& rng, size_t n, float scale, std::vector<uint16_t>& bits, std::vector<float>& vals) {
  std::uniform_real_distribution<float> d(-scale, scale);
  bits.resize(n);
  vals.resize(n);
  for (size_t i = 0; i < n; ++i) {
    bits[i] = to_bf16_bits(d(rng));
    vals[i] = from_bf16_bits(bits[i]);
  }
}

inline std::vector<float> random_f32(std::mt19937& rng, size_t n, float scale) {
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// ||out - ref|| / ||ref||, infinity when anything is NaN.
inline double rel_error(const std::vector<float>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(out[i])) return INFINITY;
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

// A small random-weight Qwen2-like model (GQA, biases, tied embeddings) for backend tests.
inline ModelConfig small_test_config() {
  ModelConfig c;
  c.model_type = "qwen2";
  c.vocab_size = 1000;
  c.hidden_size = 256;
  c.intermediate_size = 512;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 4096;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = true;
  c.attention_bias = true;
  return c;
}

}  // namespace stride::cuda::test
