// Hopper (sm_90a) warpgroup form of gemm_mma for the larger verification steps (17..128 tokens):
// y[m][j] = sum_k x[m][k] * w[j][k], x float32 [m, k], w bf16 [n, k], y float32 [m, n].
//
// Same bits as gemm_mma (gemm_mma.cuh), so a token's result still does not depend on its step's
// size: the 64-wide k chunks of a k slice form gemm_mma's eight chains (chunk c in chain c % 8,
// each chain accumulated in increasing c, starting from zero), the chains are added in gemm_mma's
// tree ((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7)), the slices in slice order. Each chunk is the
// same four k groups of 16 (elements t·16 + 4s + j, t, j < 4, for group s), each multiplied with
// the split activations hi then lo. A wgmma m64n64k16 gives each output the bits of an
// mma.sync m16n8k16 over the same 16 k values and accumulator (measured on the H100 over 4.2 M
// outputs of adversarial inputs, with the k values in any order inside the instruction: 0 differ).
// The backend's invariance and lossless tests check it end to end on every run.
//
// Why: gemm_mma's large tiles are bound by the L1 traffic of their per-thread activation loads and
// mma.sync issue (7B M=64 step 2.9x the one-token step). Here a producer warpgroup streams the
// weights (16-byte cp.async of whole rows, past the L1) and the activations (split to bf16 hi/lo
// images once per product by a small kernel, one bulk copy per chunk) through an 8-stage mbarrier
// ring; two consumer warpgroups read the weight fragments from shared memory into registers in
// gemm_mma's k groups, run the wgmma on the images and keep gemm_mma's chains in four accumulators
// each. On by default for steps of 9+ tokens (STRIDE_GEMM_WGMMA=0 turns it off). H100, 7B step ms,
// M = 33 / 64 / 128: gemm_mma 13.51 / 16.24 / 31.40, this kernel 8.41 / 9.82 / 17.07 (weights by
// 8-byte cp.async into an image for a shared-memory A, the form before: 11.02 / 12.30 / 23.07); with
// the tensor-core attention, M = 9 / 16 / 24 / 32: gemm_mma 7.71 / 8.01 / 9.14 / 9.86, this kernel
// 7.36 / 7.53 / 7.17 / 7.35. Steps of up to 8 tokens keep the decode forms (8 tokens: 6.28).
// Products not split in k run persistent, one block per SM walking its share of the (token tile,
// 64-row block) items, so a block's pipeline fill and sums no longer stall its SM between items
// (7B step M = 64: 7.57-7.59 -> 7.40-7.45 ms).
#pragma once
#include "kernels/common.cuh"
#include "kernels/wgmma_image.cuh"

namespace stride::cuda {

// Whether this build and device run the warpgroup kernel (sm_90a code on a compute 9.0 GPU). Read once.
bool gemm_wgmma_supported();
// Whether plain products of larger steps take it: supported and not STRIDE_GEMM_WGMMA=0. Read once.
bool gemm_wgmma_enabled();

// Steps of at least this many tokens take it when enabled (STRIDE_GEMM_WGMMA_MIN, default 9).
int gemm_wgmma_min_tokens();

// The activation images live in scratch bound to the launch's stream (the caller owns it; bind
// nullptr to unbind): gemm_wgmma_scratch_bytes(k) serves every step of up to 128 tokens with that k.
size_t gemm_wgmma_scratch_bytes(int k);
void gemm_wgmma_bind_scratch(cudaStream_t s, void* p, size_t bytes);
// Whether a product of m tokens over k has its scratch on stream s (and m, k fit the kernel).
bool gemm_wgmma_ready(cudaStream_t s, int m, int k);

// k a multiple of 64 with at least 8 chunks per slice (gemm_mma's non-thin form), m <= 128, `slices` as
// gemm_mma_split_k(n, k) gives, scratch bound to s. x and w 16-byte aligned. Throws stride::Error otherwise.
void launch_gemm_wgmma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int slices,
                       cudaStream_t s);

// A product's input written as images by the kernel that makes it (wgmma_image.cuh), then the
// product on them: the scratch bound to s for m tokens over k (p nullptr where gemm_wgmma_ready is
// false), and the launch, which reads the images the kernels before it wrote there.
WgmmaImages gemm_wgmma_images(cudaStream_t s, int m, int k, bool split);
void launch_gemm_wgmma_on_images(const WgmmaImages& img, int m, const bf16* w, int n, float* y, int slices,
                                 cudaStream_t s);

}  // namespace stride::cuda
