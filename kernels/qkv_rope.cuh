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

// qkv: [n, (heads + 2 * kv_heads) * head_dim] float32; bias: same width, float32, may be null.
void launch_qkv_rope(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq, int n,
                     int heads, int kv_heads, int head_dim, float* q, KvLayer kv, const int32_t* base_slot, int first_slot,
                     cudaStream_t s);
}
