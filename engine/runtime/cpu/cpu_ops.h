// The math of the decoder on float32 row-major arrays: one plain function per operation.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/cpu/thread_pool.h"

namespace stride::cpu {

// Dot product of two float arrays (vectorised; AVX2/FMA where the CPU has it).
float dot(const float* a, const float* b, int64_t n);

// y[i, j] = x[i, :] · w[j, :] (+ bias[j]) for i < n rows of x; w is [out, in]. Parallel over j.
void matmul(ThreadPool& pool, const float* x, int n, const float* w, const float* bias, int64_t in,
            int64_t out, float* y);

// RMSNorm over each of n rows of width d: y = x / sqrt(mean(x²) + eps) * weight.
void rms_norm(const float* x, const float* weight, int n, int d, float eps, float* y);

// Rotary embedding tables: inv_freq[i] = theta^(-2i/head_dim), computed in double and stored as
// float as Hugging Face does.
std::vector<float> rope_inv_freq(double theta, int head_dim);

// Rotates `heads` vectors of width head_dim in place for one position (rotate-half convention:
// pairs (i, i + head_dim/2)).
void apply_rope(float* x, int heads, int head_dim, int position, const std::vector<float>& inv_freq);

// out = silu(gate) * up, elementwise.
void swiglu(const float* gate, const float* up, int64_t n, float* out);

// In-place softmax of n scores.
void softmax(float* x, int n);

}  // namespace stride::cpu
