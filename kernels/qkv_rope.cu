#include "kernels/qkv_rope.cuh"

namespace stride::cuda {

// One block per token; thread pairs (i, i + half) of every head.
__global__ void qkv_rope_kernel(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                                int heads, int kv_heads, int head_dim, float* q, KvLayer kv, const int32_t* base_slot,
                                int first_slot) {
  pdl_wait_then_release();
  const int token = blockIdx.x;
  const int half = head_dim / 2;
  const int width = (heads + 2 * kv_heads) * head_dim;
  const float* src = qkv + int64_t(token) * width;
  const float pos = static_cast<float>(positions[token]);
  const int slot = (base_slot ? *base_slot : 0) + first_slot + token;
  const int64_t row = int64_t(kv.block_table[slot / kv.block_size]) * kv.block_size + slot % kv.block_size;
  const int kv_width = kv_heads * head_dim;
  // q and k heads get the rotation; v is copied.
  for (int idx = threadIdx.x; idx < (heads + kv_heads) * half; idx += blockDim.x) {
    const int h = idx / half, i = idx % half;
    const int c0 = h * head_dim + i, c1 = c0 + half;
    float a = src[c0], b = src[c1];
    if (bias) {
      a += bias[c0];
      b += bias[c1];
    }
    const float angle = pos * inv_freq[i];
    double sd, cd;
    sincos(static_cast<double>(angle), &sd, &cd);
    const float c = static_cast<float>(cd), sn = static_cast<float>(sd);
    const float ra = a * c - b * sn, rb = b * c + a * sn;
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
  const int v_off = (heads + kv_heads) * head_dim;
  for (int c = threadIdx.x; c < kv_width; c += blockDim.x) {
    float v = src[v_off + c];
    if (bias) v += bias[v_off + c];
    kv.v[row * kv_width + c] = __float2bfloat16(v);
  }
}

void launch_qkv_rope(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq, int n,
                     int heads, int kv_heads, int head_dim, float* q, KvLayer kv, const int32_t* base_slot, int first_slot,
                     cudaStream_t s) {
  if (n <= 0) return;
  launch_kernel("qkv_rope", true, qkv_rope_kernel, n, 128, 0, s, qkv, bias, positions, inv_freq, heads, kv_heads,
                head_dim, q, kv, base_slot, first_slot);
}

}  // namespace stride::cuda
