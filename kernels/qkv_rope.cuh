// After the fused q/k/v projection: adds the biases, applies rotary embeddings (rotate-half
// layout of Qwen2/Llama, angle = float(position) * inv_freq[i] as Hugging Face computes it),
// writes q (float32) and stores k/v (bf16) into the paged KV cache at slots *base_slot + first_slot + i
// (base_slot: a device int, e.g. the committed length, so a captured graph stays valid; may be null).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

// Paged KV cache of one layer: slot s lives at row block_table[s / block_size] * block_size +
// s % block_size of k_pool / v_pool, each row kv_heads * head_dim bf16.
struct KvLayer {
  bf16* k = nullptr;
  bf16* v = nullptr;
  const int32_t* block_table = nullptr;
  int block_size = 16;
};

#ifdef __CUDACC__
// The rotate-half rotation of the pair (a, b) = (x[i], x[i + head_dim / 2]) by (cos, sin) = cs: the
// one expression of qkv_rope and of the q/k/v product's epilogue, so they agree bit for bit.
__device__ __forceinline__ float2 rope_rotate(float a, float b, float2 cs) {
  return make_float2(a * cs.x - b * cs.y, b * cs.x + a * cs.y);
}
// The cache row of slot `slot` (see KvLayer).
__device__ __forceinline__ int64_t kv_row(const KvLayer& kv, int slot) {
  return int64_t(kv.block_table[slot / kv.block_size]) * kv.block_size + slot % kv.block_size;
}
#endif

// The rotation of each new token (the same in every layer, so computed once per step): table[t][i] =
// (cos, sin) of angle = float(positions[t]) * inv_freq[i], i < head_dim / 2.
void launch_rope_table(const int32_t* positions, const float* inv_freq, int n, int head_dim, float2* table,
                       cudaStream_t s);
// qkv: [n, (heads + 2 * kv_heads) * head_dim] float32; bias: same width, float32, may be null;
// rope: launch_rope_table's table of these n tokens.
void launch_qkv_rope(const float* qkv, const float* bias, const float2* rope, int n, int heads, int kv_heads,
                     int head_dim, float* q, KvLayer kv, const int32_t* base_slot, int first_slot, cudaStream_t s);
}
