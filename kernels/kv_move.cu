#include "kernels/kv_move.cuh"

#include <algorithm>

namespace stride::cuda {
namespace {

struct KvMoves {
  int32_t src[kKvMovesPerLaunch];
  int32_t dst[kKvMovesPerLaunch];
  int count;  // moves in this launch
  int first;  // index of src[0] among all the moves (its scratch row)
};

__device__ __forceinline__ int64_t slot_row(const int32_t* table, int block_size, int slot) {
  return int64_t(table[slot / block_size]) * block_size + slot % block_size;
}

// grid: layers * 2 planes, one block each. A thread copies the same 16-byte columns of every row,
// so its gather (pool -> scratch) and scatter (scratch -> pool) of a column are ordered by program
// order alone: no barrier, and any permutation of rows is safe.
enum : int { kGather = 1, kScatter = 2 };
__global__ void kv_move_kernel(bf16* pool, int64_t pool_rows, int row_width, const int32_t* table, int block_size,
                               KvMoves m, int total, uint4* scratch, int phases) {
  const int plane = blockIdx.x;
  const int vecs = row_width / 8;  // uint4 per row
  const uint4* base_in = reinterpret_cast<const uint4*>(pool + int64_t(plane) * pool_rows * row_width);
  uint4* base = reinterpret_cast<uint4*>(pool + int64_t(plane) * pool_rows * row_width);
  uint4* t = scratch + int64_t(plane) * total * vecs;
  for (int c = threadIdx.x; c < vecs; c += blockDim.x) {
    if (phases & kGather)
      for (int i = 0; i < m.count; ++i)
        t[int64_t(m.first + i) * vecs + c] = base_in[slot_row(table, block_size, m.src[i]) * vecs + c];
    if (phases & kScatter)
      for (int i = 0; i < m.count; ++i)
        base[slot_row(table, block_size, m.dst[i]) * vecs + c] = t[int64_t(m.first + i) * vecs + c];
  }
}

}  // namespace

void launch_kv_move(bf16* pool, int layers, int64_t pool_rows, int row_width, const int32_t* block_table,
                    int block_size, const int32_t* src_slots, const int32_t* dst_slots, int count, bf16* scratch,
                    cudaStream_t s) {
  if (count <= 0) return;
  if (row_width % 8 != 0) throw Error("kv_move: K/V rows must be a multiple of 8 elements");
  auto run = [&](int phases) {
    for (int first = 0; first < count; first += kKvMovesPerLaunch) {
      KvMoves m;
      m.count = std::min(kKvMovesPerLaunch, count - first);
      m.first = first;
      std::copy(src_slots + first, src_slots + first + m.count, m.src);
      std::copy(dst_slots + first, dst_slots + first + m.count, m.dst);
      kv_move_kernel<<<layers * 2, 128, 0, s>>>(pool, pool_rows, row_width, block_table, block_size, m, count,
                                                 reinterpret_cast<uint4*>(scratch), phases);
      check_launch("kv_move");
    }
  };
  if (count <= kKvMovesPerLaunch) {
    run(kGather | kScatter);
  } else {
    run(kGather);  // every source row is in scratch before any destination is written
    run(kScatter);
  }
}

}  // namespace stride::cuda
