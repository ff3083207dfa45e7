// Attention of new tokens over the paged KV cache. Keys are the committed slots 0..cache_len-1
// (always visible) followed by the new tokens' slots cache_len + j, visible to new token i iff
// mask[i * mask_stride + j] != 0. Serves decode, tree/window verification and (chunked) prefill.
//
// Batch invariant: one block per (query row, head); its warps walk the key slots in a fixed
// interleave and merge in a fixed order, so a row's output depends only on which slots it sees,
// not on how many other rows the step carries.
#pragma once
#include "kernels/qkv_rope.cuh"

namespace stride::cuda {

struct AttentionArgs {
  const float* q = nullptr;   // [rows, heads * head_dim], already rotated
  float* out = nullptr;       // [rows, heads * head_dim]
  int rows = 0;               // query rows in this launch
  int first_row = 0;          // index of the first query row among the step's new tokens
  int heads = 0, kv_heads = 0, head_dim = 0;
  int cache_len = 0;          // committed slots
  int key_limit = 0;          // new tokens whose K/V are already in the cache (j < key_limit)
  const uint8_t* mask = nullptr;  // [*, mask_stride] over the step's new tokens; null = causal (j <= i)
  int mask_stride = 0;
  float scale = 1.f;
};

void launch_attention(const AttentionArgs& a, KvLayer kv, cudaStream_t s);
}
