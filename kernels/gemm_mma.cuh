// Small-M tensor-core matrix product for decode and verification steps (M = 1..128 new tokens):
// y[m][j] = sum_k x[m][k] * w[j][k], x float32 [m, k], w bf16 [n, k] row-major
// as Hugging Face stores Linear weights, y float32 [m, n]. mma.sync m16n8k16 (bf16 in, float32
// accumulation) with the weights as the 16-row operand and up to 64 tokens as eight 8-column
// tiles. A block takes 8 to 32 tokens (by step size, see launch_tiles); the blocks of one weight
// row group run side by side, so its rows come from memory about once and from L2 after that.
//
// Batch invariant: the reduction order over k is fixed by k alone. Eight warps of a block take the
// 32- or 64-wide (gemm_mma_chunk) k chunks w, w + 8, ... in increasing order (one mma chain per warp), then the warps'
// partial sums are added in a fixed tree. A token's column of an mma depends only on that token's
// inputs, so its result is bit-identical whether its step carries 1 or 128 tokens.
//
// Split activations (`split`): x = hi + lo with hi = bf16(x), lo = bf16(x - hi), formed in
// registers; the product runs on both (same fixed order), which keeps about 16 bits of each
// activation instead of the 8 of plain bf16 rounding (`split` false).
#pragma once
#include "kernels/common.cuh"
#include "kernels/qkv_rope.cuh"
#include "kernels/wgmma_image.cuh"

namespace stride::cuda {

// True when the kernel takes this shape (k a multiple of 32); otherwise callers use launch_gemv.
inline bool gemm_mma_supports(int k) { return k > 0 && k % 32 == 0; }
// k per warp chunk, fixed by k alone (part of the reduction order): 64 when k allows (each thread
// then reads 32 contiguous bytes of a weight row, whole 128-byte lines per 4 threads), else 32.
inline int gemm_mma_chunk(int k) { return k % 64 == 0 ? 64 : 32; }

// Split-K: the number of k slices (clusters of that many blocks, added in slice order) a product
// of n rows and depth k takes on this device. It depends on n and k alone (batch invariant): 1 for
// products with many row blocks, up to 8 for those with few and a deep k (see gemm_mma.cu).
int gemm_mma_split_k(int n, int k);

// x rows 16-byte aligned. Throws stride::Error for unsupported shapes.
void launch_gemm_mma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, cudaStream_t s);
// The same with an explicit chunk (32 or 64; benchmarks compare them).
void launch_gemm_mma_chunk(const float* x, bool split, int chunk_k, int m, int k, const bf16* w, int n, float* y,
                           cudaStream_t s);

constexpr int kGemmMmaMaxTokens = 128;
// Whether launch_gemm_mma hands a plain product of m tokens (k, n rows) on stream s to the Hopper
// warpgroup form (gemm_wgmma.cuh: steps of gemm_wgmma_min_tokens() or more, its scratch bound to s).
bool gemm_mma_takes_wgmma(int m, int k, int n, cudaStream_t s);
// Where it does, the kernel that makes the product's input may write the warpgroup form's activation
// images itself (wgmma_image.cuh: no float32 copy, no split kernel): gemm_mma_images gives where
// (p nullptr where the product does not take that form), launch_gemm_mma_on_images runs the product
// on them. Same bits as launch_gemm_mma on the float32 input.
WgmmaImages gemm_mma_images(int m, int k, int n, bool split, cudaStream_t s);
void launch_gemm_mma_on_images(const WgmmaImages& img, int m, const bf16* w, int n, float* y, cudaStream_t s);
// The same with an explicit tile (tests and benchmarks): nt token tiles of 8 (1, 2, 4, 8) and mt
// row tiles of 16 (1, 2, 4; not 8x4) per block. The tile never changes a result.
void launch_gemm_mma_tiled(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int nt, int mt,
                           cudaStream_t s);

// Folded forms for decode and verification steps (m <= kGemmMmaMaxTokens, k a multiple of 64):
// the product reads its activations through an RMSNorm, or adds its result into y, so the RMSNorm
// and residual-add kernels between the products of a layer go away.
// RmsNorm: x holds the residual stream; y = (norm ⊙ x)·wᵀ · rsqrt(mean(x²) + eps) per token. The
// sum of squares is taken in the product's own k order (fixed by k alone, like the product's), so
// a token's result does not depend on its step's size; it is not add_rmsnorm's order, so the bits
// differ from add_rmsnorm followed by the product by float32 rounding.
enum class GemmInput {
  Plain,    // x as is
  RmsNorm,  // RMSNorm of x with `norm` and `eps`, applied as above
};
struct GemmFusion {
  GemmInput input = GemmInput::Plain;
  const bf16* norm = nullptr;
  float eps = 0.f;
  bool add_into_y = false;  // y += x·wᵀ (the residual add) instead of y =
  // With add_into_y: y was written at least two kernels before this product in the stream, so the
  // product may read it before its PDL wait (the kernel just before it may still run then, the one
  // before that has finished; see QkvRopeArgs::settled).
  bool y_settled = false;
};
inline bool gemm_mma_folds(int k) { return k > 0 && k % 64 == 0; }
// The RMSNorm input of the paired products below (nullptr: plain input).
struct GemmNorm {
  const bf16* weight = nullptr;
  float eps = 0.f;
};

// Products that end in the op which would otherwise run as the next kernel (decode and
// verification steps). A 16-row mma tile pairs the rows
// the op combines, i and i + w/2 of each w-wide group of weight rows, so a thread holds both values
// of a pair; the order over k is that of launch_gemm_mma and the op evaluates the expressions of its
// kernel, so the bits are those of the product followed by that kernel (one launch and the float32
// round trip of the product's output fewer).
// Steps of at most kGemmEpilogueMaxTokens tokens: with more, each block's epilogue (one warp, the
// op's loads and stores) is a serial tail repeated over several waves of blocks, and the separate
// kernels measured faster (H100, --step-costs, 7B M=64 16.45 -> 17.06 ms with these epilogues;
// M=1 and M=16 the same or faster at every shape: tiny M=1 0.233 -> 0.212 ms, 0.5B 1.057 -> 0.978).
// Plain products the warpgroup form takes (gemm_mma_takes_wgmma) keep the separate kernels too: its
// plain product and qkv_rope / SwiGLU beat these epilogues (7B M=9 / 16: 7.30 / 7.38 -> 6.89 / 6.89
// ms), and an epilogue of its own measured slower still (a serial tail in one block per SM:
// gate/up 3.25 -> 3.54 ms per 64-token step, q/k/v 0.55 -> 0.80).
constexpr int kGemmEpilogueMaxTokens = 16;
// SwiGLU: w = [gate; up] (n rows, n/2 of each, n/2 a multiple of 8), y [m, n/2] = silu(gate)·up
// (swiglu.cu; w-wide group: all n rows).
void launch_gemm_mma_swiglu(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, cudaStream_t s,
                            const GemmNorm* norm = nullptr);
// The q/k/v projection ((heads + 2·kv_heads)·head_dim rows, head_dim a multiple of 16) with
// qkv_rope's bias, rotation, q output and paged k/v stores (qkv_rope.cuh's qkv_rope_pair; group: one head).
void launch_gemm_mma_qkv_rope(const float* x, bool split, int m, int k, const bf16* w, const QkvRopeArgs& a,
                              cudaStream_t s, const GemmNorm* norm = nullptr);
void launch_gemm_mma_fused(const float* x, bool split, int m, int k, const bf16* w, int n, float* y,
                           const GemmFusion& fusion, cudaStream_t s);
}
