// Attention of new tokens over the paged KV cache. Keys are the committed slots 0..cache_len-1
// (always visible) followed by the new tokens' slots cache_len + j, visible to new token i iff
// mask[i * mask_stride + j] != 0. Serves decode, tree/window verification and (chunked) prefill.
//
// A row walks its keys in virtual order: committed slots, then the new tokens it sees in increasing
// j, packed (virtual slot cache_len + rank). So a token verified inside a tree/window step, whose
// ancestors sit on scattered rows, computes exactly what it computes when decoded alone after its
// ancestors were committed (lossless speculative decoding, bit for bit). Below, "slots" are these
// virtual slots.
//
// Split-K: the key slots are cut into fixed chunks of `chunk` slots (chunk c = slots
// [c * chunk, (c + 1) * chunk)); one block of 4 warps per (chunk, query row, head) walks its chunk
// in a fixed order (4 keys in flight per warp; the query heads of one kv head share each K/V load)
// and writes a partial softmax state per head; a second
// kernel (or, with `tickets`, the row's last chunk block to finish) merges the chunks of a row in
// increasing order. Batch invariant: a row's output depends
// only on which slots it sees and on `chunk`, never on how many rows or chunks the launch has
// (chunks a row cannot see are never read), so a token's result is bit-identical whether its step
// carries 1 or 128 tokens as long as the chunk size is the same.
//
// The committed length may come from device memory (cache_len_dev), so that a captured CUDA graph
// stays valid as the cache grows; `splits` must then cover the longest row (see attention_splits).
#pragma once
#include "kernels/qkv_rope.cuh"
#include "kernels/wgmma_image.cuh"

namespace stride::cuda {

struct AttentionArgs {
  const float* q = nullptr;   // [rows, heads * head_dim], already rotated
  float* out = nullptr;       // [rows, heads * head_dim]
  int rows = 0;               // query rows in this launch
  int first_row = 0;          // index of the first query row among the step's new tokens
  int heads = 0, kv_heads = 0, head_dim = 0;
  int cache_len = 0;          // committed slots (used when cache_len_dev is null)
  const int32_t* cache_len_dev = nullptr;  // device copy of the committed length, read at run time
  int key_limit = 0;          // new tokens whose K/V are already in the cache (j < key_limit)
  const uint8_t* mask = nullptr;  // [*, mask_stride] over the step's new tokens; null = causal (j <= i)
  int mask_stride = 0;
  float scale = 1.f;
  int chunk = 64;             // key slots per split (a multiple of 16)
  int splits = 0;             // chunks launched per row; >= ceil((cache_len + key_limit) / chunk)
  float* partials = nullptr;  // attention_partial_floats(...) floats of scratch
  // Optional: attention_ticket_count(rows, heads) zeroed counters (left zeroed). Given, the last
  // chunk block of a row's head group merges the chunks itself (no second kernel); same arithmetic.
  unsigned* tickets = nullptr;
  // launch_attention_prefill only: when set, the output goes here in bf16 (round to nearest) instead
  // of to `out` (the input of a prompt step's cuBLAS o product, without a conversion pass).
  bf16* out_bf16 = nullptr;
  // launch_attention only: when set, the output goes here as the activation images of the
  // warpgroup o product that reads it (out.k == heads * head_dim) instead of to `out`.
  WgmmaImages out_images{};
};

// Number of chunks that cover `cache_len + key_limit` slots.
inline int attention_splits(int cache_len, int key_limit, int chunk) { return (cache_len + key_limit + chunk - 1) / chunk; }
// A chunk's partial state of one (row, head): max, sum, two unused floats, then head_dim output
// floats (16-byte aligned, so that the output's 32-byte pieces are whole sectors).
constexpr int kPartialHead = 4;
constexpr int attention_partial_stride(int head_dim) { return head_dim + kPartialHead; }
// Scratch floats the partial softmax states of one launch need.
inline size_t attention_partial_floats(int rows, int heads, int head_dim, int splits) {
  return size_t(rows) * heads * splits * attention_partial_stride(head_dim);
}

inline size_t attention_ticket_count(int rows, int heads) { return size_t(rows) * heads; }

void launch_attention(const AttentionArgs& a, KvLayer kv, cudaStream_t s);
}
