// Decode and verification attention on the tensor cores (mma.sync m16n8k16): the same contract as
// launch_attention (attention.cuh: paged KV cache, virtual key order, fixed chunks, partials merged
// in chunk order). A block serves one 64-slot chunk for a tile of 16 (row, query head) pairs of one
// kv head: up to 16 of its query heads of one row, or of several rows where no mask is given (every
// row then walks the same slots, each up to its own key count).
//
// Why: at 64 rows the lane-per-dimension kernel (attention.cu) spends its time in warp shuffles and
// in softmax work that all 32 lanes repeat for every key (7B, 64 rows: 107 µs per layer, a quarter
// of the step). Here the scores of a warp's 16 keys are one tile product, the softmax runs once per
// score, and P·V is a second tile product. H100, 7B step ms, M = 1 / 16 / 64 / 128: lanes 5.61 /
// 8.45 / 9.76 / 16.94, this kernel 5.67 / 8.02 / 8.00 / 13.28 (1.5B M=1 1.755 / 1.757). Causal
// launches of 16+ rows take wide blocks: four tiles share a chunk's K/V and each warp walks the
// chunk's four key groups itself, with the same per-group arithmetic (M=64 8.06 -> 7.58 ms).
//
// Batch invariant like launch_attention: a pair's arithmetic is that of its own mma rows, which no
// other pair changes, over the keys of its own virtual order (keys of a tile that a pair does not
// see weigh exactly 0); the warp split of a chunk (16 keys per warp), the k order inside the
// products and the merges are fixed. q and P are split into bf16 hi + lo (K and V are bf16), as the
// products split their activations, so scores and outputs keep about float32 accuracy. Its bits are
// not those of attention.cu: a process takes one kernel for every invariant step
// (STRIDE_CUDA_ATTENTION=lanes selects the other).
#pragma once
#include "kernels/attention.cuh"

namespace stride::cuda {

// Whether launch_attention takes this kernel for `a`: 64-slot chunks (the decode chunk), head_dim
// 32, 64, 96 or 128, and not turned off. The switch is read once per process.
bool attention_mma_serves(const AttentionArgs& a);

void launch_attention_mma(const AttentionArgs& a, KvLayer kv, cudaStream_t s);

}  // namespace stride::cuda
