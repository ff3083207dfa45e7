// accept(): moves the K/V rows of the accepted new tokens into place (slot src[i] -> dst[i]) in
// every layer, through a scratch buffer so that overlapping moves never read a row already
// overwritten. Copies only those rows, never the cache.
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

// Moves per kernel launch: they travel as kernel arguments, so a lookahead step's accept is one
// launch with no upload (up to this many rows; more take a gather pass and a scatter pass).
constexpr int kKvMovesPerLaunch = 128;

// pool: [layers][2 (k, v)][pool_rows][row_width] bf16; scratch: [layers][2][count][row_width].
// src_slots / dst_slots are host arrays of `count` slots.
void launch_kv_move(bf16* pool, int layers, int64_t pool_rows, int row_width, const int32_t* block_table,
                    int block_size, const int32_t* src_slots, const int32_t* dst_slots, int count, bf16* scratch,
                    cudaStream_t s);
}  // namespace stride::cuda
