#include "runtime/cpu/cpu_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace stride::cpu {

namespace {
typedef float v8f __attribute__((vector_size(32)));
}

// Two 8-wide accumulators (GCC vector extensions); with GCC, target_clones builds an AVX2+FMA
// variant and a baseline one and picks at load time, so the binary stays portable.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define STRIDE_DOT_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define STRIDE_DOT_CLONES
#endif
STRIDE_DOT_CLONES
float dot(const float* a, const float* b, int64_t n) {
  v8f acc0 = {0, 0, 0, 0, 0, 0, 0, 0}, acc1 = acc0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8f a0, a1, b0, b1;
    std::memcpy(&a0, a + i, 32);
    std::memcpy(&b0, b + i, 32);
    std::memcpy(&a1, a + i + 8, 32);
    std::memcpy(&b1, b + i + 8, 32);
    acc0 += a0 * b0;
    acc1 += a1 * b1;
  }
  acc0 += acc1;
  float s = 0;
  for (int k = 0; k < 8; ++k) s += acc0[k];
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void matmul(ThreadPool& pool, const float* x, int n, const float* w, const float* bias, int64_t in,
            int64_t out, float* y) {
  pool.parallel_for(out, [&](int64_t begin, int64_t end) {
    // Weight row outer, token inner: each row of w is read from memory once for all n tokens.
    for (int64_t j = begin; j < end; ++j) {
      const float* wj = w + j * in;
      const float b = bias ? bias[j] : 0.0f;
      for (int i = 0; i < n; ++i) y[int64_t(i) * out + j] = dot(x + int64_t(i) * in, wj, in) + b;
    }
  });
}

void rms_norm(const float* x, const float* weight, int n, int d, float eps, float* y) {
  for (int i = 0; i < n; ++i) {
    const float* xi = x + int64_t(i) * d;
    float* yi = y + int64_t(i) * d;
    float ss = 0;
    for (int k = 0; k < d; ++k) ss += xi[k] * xi[k];
    const float scale = 1.0f / std::sqrt(ss / d + eps);
    for (int k = 0; k < d; ++k) yi[k] = weight[k] * (xi[k] * scale);
  }
}

std::vector<float> rope_inv_freq(double theta, int head_dim) {
  std::vector<float> f(head_dim / 2);
  for (int i = 0; i < head_dim / 2; ++i) f[i] = static_cast<float>(1.0 / std::pow(theta, 2.0 * i / head_dim));
  return f;
}

void apply_rope(float* x, int heads, int head_dim, int position, const std::vector<float>& inv_freq) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    // HF multiplies position and inv_freq in float32, then takes cos/sin of that float angle.
    const float angle = static_cast<float>(position) * inv_freq[i];
    const float c = static_cast<float>(std::cos(static_cast<double>(angle)));
    const float s = static_cast<float>(std::sin(static_cast<double>(angle)));
    for (int h = 0; h < heads; ++h) {
      float* v = x + int64_t(h) * head_dim;
      const float a = v[i], b = v[i + half];
      v[i] = a * c - b * s;
      v[i + half] = b * c + a * s;
    }
  }
}

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void softmax(float* x, int n) {
  float m = x[0];
  for (int i = 1; i < n; ++i) m = std::max(m, x[i]);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

}  // namespace stride::cpu
