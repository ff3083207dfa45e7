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

// Where qkv_rope puts its results (and the q/k/v product that ends in it, gemm_mma.cuh).
struct QkvRopeArgs {
  const float* bias = nullptr;  // may be null
  const float2* rope = nullptr;  // launch_rope_table's table of the step's tokens
  int heads = 0, kv_heads = 0, head_dim = 0;
  float* q = nullptr;
  KvLayer kv;
  const int32_t* base_slot = nullptr;  // may be null
  int first_slot = 0;
  // The q/k/v product only (gemm_mma.cuh): rope, base_slot and the block table were written at least
  // two kernels before this one in the stream (or by the host before the step), so the product may
  // read them before its PDL wait (see launch_kernel: the kernel just before it may still run then,
  // the one before that has finished).
  bool settled = false;
};

#ifdef __CUDACC__
// The rotate-half rotation of the pair (a, b) = (x[i], x[i + head_dim / 2]) by (cos, sin) = cs: the
// one expression of qkv_rope and of the q/k/v product's epilogue, so they agree bit for bit. Written
// with explicit roundings: left to the compiler, a * c - b * s may contract into an FMA one way in
// one kernel and another way (or not at all) in the next, and the q of the two paths then differed
// in the last bit (session 25, once the product's epilogue loaded its inputs early).
__device__ __forceinline__ float2 rope_rotate(float a, float b, float2 cs) {
  return make_float2(__fsub_rn(__fmul_rn(a, cs.x), __fmul_rn(b, cs.y)), __fadd_rn(__fmul_rn(b, cs.x), __fmul_rn(a, cs.y)));
}
// The cache row of slot `slot` (see KvLayer).
__device__ __forceinline__ int64_t kv_row(const KvLayer& kv, int slot) {
  return int64_t(kv.block_table[slot / kv.block_size]) * kv.block_size + slot % kv.block_size;
}
// What the store of token `tok`'s pair of head `group` reads besides the pair itself: the rotation
// (q and k heads) and the offset of the token's row in the k or v cache (k and v heads).
struct QkvPairInputs {
  float2 rot = {0.f, 0.f};
  int64_t row = 0;
};
__device__ __forceinline__ QkvPairInputs qkv_pair_inputs(const QkvRopeArgs& a, int tok, int group, int i) {
  QkvPairInputs in;
  if (group < a.heads + a.kv_heads) in.rot = a.rope[int64_t(tok) * (a.head_dim / 2) + i];
  if (group >= a.heads) {
    const int slot = (a.base_slot ? *a.base_slot : 0) + a.first_slot + tok;
    in.row = kv_row(a.kv, slot) * (a.kv_heads * a.head_dim);
  }
  return in;
}
// Token `tok`'s pair (a, b) = columns (c0, c0 + head_dim/2), c0 = group·head_dim + i, biases already
// added: rotated into q (group < heads) or into the k cache, or stored as is into the v cache, with
// `in` = qkv_pair_inputs(a, tok, group, i) (the q/k/v product may load it early, gemm_mma.cu).
__device__ __forceinline__ void qkv_rope_pair_with(const QkvRopeArgs& a, int tok, int group, int i, float x0, float x1,
                                                   const QkvPairInputs& in) {
  const int hd = a.head_dim, half = hd / 2;
  const int c0 = group * hd + i;
  if (group < a.heads) {
    const float2 r = rope_rotate(x0, x1, in.rot);
    float* qt = a.q + int64_t(tok) * a.heads * hd;
    qt[c0] = r.x;
    qt[c0 + half] = r.y;
  } else if (group < a.heads + a.kv_heads) {
    const float2 r = rope_rotate(x0, x1, in.rot);
    const int kc = c0 - a.heads * hd;
    a.kv.k[in.row + kc] = __float2bfloat16(r.x);
    a.kv.k[in.row + kc + half] = __float2bfloat16(r.y);
  } else {
    const int vc = c0 - (a.heads + a.kv_heads) * hd;
    a.kv.v[in.row + vc] = __float2bfloat16(x0);
    a.kv.v[in.row + vc + half] = __float2bfloat16(x1);
  }
}
// The same loading its inputs: qkv_rope_kernel's store (the q/k/v product's epilogue, which may have
// loaded them before its PDL wait, calls qkv_rope_pair_with: one store expression for both).
__device__ __forceinline__ void qkv_rope_pair(const QkvRopeArgs& a, int tok, int group, int i, float x0, float x1) {
  qkv_rope_pair_with(a, tok, group, i, x0, x1, qkv_pair_inputs(a, tok, group, i));
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
