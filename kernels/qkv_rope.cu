#include "kernels/qkv_rope.cuh"

namespace stride::cuda {

constexpr int kThreads = 128;

// Block (token, part): each thread owns one item of the token, a rotation pair (i, i + half) of a
// q, k or v head, so a token's loads are all in flight at once (the former one block per token
// walked 16 items per thread at the 7B shape, a memory round trip each: ~17 µs per call under ncu).
__global__ void __launch_bounds__(kThreads) qkv_rope_kernel(const float* __restrict__ qkv, const QkvRopeArgs a) {
  const int token = blockIdx.x;
  const int half = a.head_dim / 2;
  const int width = (a.heads + 2 * a.kv_heads) * a.head_dim;
  const int idx = blockIdx.y * kThreads + threadIdx.x;
  if (idx >= (a.heads + 2 * a.kv_heads) * half) {
    pdl_wait_then_release();
    return;
  }
  // Biases are weights, no kernel's output: read before waiting on the previous kernel.
  const int h = idx / half, i = idx % half;
  const int c0 = h * a.head_dim + i, c1 = c0 + half;
  const float b0 = a.bias ? a.bias[c0] : 0.f, b1 = a.bias ? a.bias[c1] : 0.f;
  pdl_wait_then_release();
  const float* src = qkv + int64_t(token) * width;
  float x0 = src[c0], x1 = src[c1];
  if (a.bias) {
    x0 += b0;
    x1 += b1;
  }
  qkv_rope_pair(a, token, h, i, x0, x1);
}

void launch_qkv_rope(const float* qkv, const float* bias, const float2* rope, int n, int heads, int kv_heads,
                     int head_dim, float* q, KvLayer kv, const int32_t* base_slot, int first_slot, cudaStream_t s) {
  if (n <= 0) return;
  QkvRopeArgs a;
  a.bias = bias;
  a.rope = rope;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = head_dim;
  a.q = q;
  a.kv = kv;
  a.base_slot = base_slot;
  a.first_slot = first_slot;
  const int items = (heads + 2 * kv_heads) * (head_dim / 2);
  launch_kernel("qkv_rope", true, qkv_rope_kernel, dim3(n, (items + kThreads - 1) / kThreads), kThreads, 0, s, qkv, a);
}

// Token t, pair i: angle = float(position) * inv_freq[i] in float32 as Hugging Face computes it, its
// sine and cosine in double rounded to float (correctly rounded, like the CPU reference).
__global__ void rope_table_kernel(const int32_t* positions, const float* __restrict__ inv_freq, int half,
                                  float2* __restrict__ table) {
  pdl_wait_then_release();
  const int token = blockIdx.x;
  const float pos = static_cast<float>(positions[token]);
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    const float angle = pos * inv_freq[i];
    double sd, cd;
    sincos(static_cast<double>(angle), &sd, &cd);
    table[int64_t(token) * half + i] = make_float2(static_cast<float>(cd), static_cast<float>(sd));
  }
}

void launch_rope_table(const int32_t* positions, const float* inv_freq, int n, int head_dim, float2* table,
                       cudaStream_t s) {
  if (n <= 0) return;
  const int half = head_dim / 2;
  launch_kernel("rope_table", true, rope_table_kernel, n, ((half + 31) / 32) * 32, 0, s, positions, inv_freq, half,
                table);
}

}  // namespace stride::cuda
