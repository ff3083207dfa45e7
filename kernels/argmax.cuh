// Row-wise argmax of float32 logits on the GPU (lowest id on exact ties, NaN never wins), so only
// ints come back.
//
// A row is cut into kArgmaxBlocksPerRow slices, one block each, so that a one-token step reads its
// 152k logits with many SMs rather than one (a single block per row took ~66 µs per step, ncu); the
// last block of a row to finish (a ticket counter) reduces the slices' winners. The winner is the
// same whatever order the blocks finish in (the maximum with the lowest id is unique).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

constexpr int kArgmaxBlocksPerRow = 32;

// Device scratch for up to `rows` rows: per row, a fixed-size record of the slice winners and a
// ticket counter (the same place whatever a launch's row count). Must be zeroed once when allocated
// (cudaMemset); every launch leaves its counters at zero again.
struct ArgmaxRowScratch {
  float value[kArgmaxBlocksPerRow];
  int32_t id[kArgmaxBlocksPerRow];
  uint32_t ticket;
};
inline size_t argmax_scratch_bytes(int rows) { return size_t(rows) * sizeof(ArgmaxRowScratch); }

void launch_argmax(const float* logits, int rows, int vocab, int32_t* out, void* scratch, cudaStream_t s);
}  // namespace stride::cuda
