#include "kernels/qkv_rope.cuh"

namespace stride::cuda {

constexpr int kThreads = 128;

// Block (token, part): each thread owns one item of the token, a rotation pair (i, i + half) of a
// q or k head or one v column, so a token's loads are all in flight at once (the former one block
// per token walked 16 items per thread at the 7B shape, a memory round trip each: ~17 µs per call
// under ncu). The arithmetic of every item is unchanged.
__global__ void __launch_bounds__(kThreads) qkv_rope_kernel(const float* __restrict__ qkv, const float* __restrict__ bias,
                                                            const float2* __restrict__ rope, int heads, int kv_heads,
                                                            int head_dim, float* __restrict__ q, KvLayer kv,
                                                            const int32_t* base_slot, int first_slot) {
  const int token = blockIdx.x;
  const int half = head_dim / 2;
  const int width = (heads + 2 * kv_heads) * head_dim;
  const int kv_width = kv_heads * head_dim;
  const int pairs = (heads + kv_heads) * half;
  const int idx = blockIdx.y * kThreads + threadIdx.x;
  if (idx >= pairs + kv_width) {
    pdl_wait_then_release();
    return;
  }
  // Biases are weights, no kernel's output: read before waiting on the previous kernel.
  const bool rotate = idx < pairs;
  const int h = rotate ? idx / half : 0, i = rotate ? idx % half : 0;
  const int v_off = (heads + kv_heads) * head_dim;  // v columns follow the q and k heads
  const int c0 = rotate ? h * head_dim + i : v_off + (idx - pairs);
  const int c1 = c0 + half;
  const float b0 = bias ? bias[c0] : 0.f, b1 = bias && rotate ? bias[c1] : 0.f;
  pdl_wait_then_release();
  const float* src = qkv + int64_t(token) * width;
  const int slot = (base_slot ? *base_slot : 0) + first_slot + token;
  const int64_t row = kv_row(kv, slot);
  if (!rotate) {
    float v = src[c0];
    if (bias) v += b0;
    kv.v[row * kv_width + (idx - pairs)] = __float2bfloat16(v);
    return;
  }
  float a = src[c0], b = src[c1];
  if (bias) {
    a += b0;
    b += b1;
  }
  const float2 r = rope_rotate(a, b, rope[int64_t(token) * half + i]);
  const float ra = r.x, rb = r.y;
  if (h < heads) {
    float* qt = q + int64_t(token) * heads * head_dim;
    qt[c0] = ra;
    qt[c1] = rb;
  } else {
    const int kc = c0 - heads * head_dim;
    kv.k[row * kv_width + kc] = __float2bfloat16(ra);
    kv.k[row * kv_width + kc + half] = __float2bfloat16(rb);
  }
}

void launch_qkv_rope(const float* qkv, const float* bias, const float2* rope, int n, int heads, int kv_heads,
                     int head_dim, float* q, KvLayer kv, const int32_t* base_slot, int first_slot, cudaStream_t s) {
  if (n <= 0) return;
  const int items = (heads + kv_heads) * (head_dim / 2) + kv_heads * head_dim;
  launch_kernel("qkv_rope", true, qkv_rope_kernel, dim3(n, (items + kThreads - 1) / kThreads), kThreads, 0, s, qkv,
                bias, rope, heads, kv_heads, head_dim, q, kv, base_slot, first_slot);
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
