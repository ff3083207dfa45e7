#include "kernels/kv_move.cuh"

namespace stride::cuda {

__device__ __forceinline__ int64_t slot_row(const int32_t* table, int block_size, int slot) {
  return int64_t(table[slot / block_size]) * block_size + slot % block_size;
}

// grid: (count, layers * 2); gather = true copies pool -> scratch, false scratch -> pool.
__global__ void kv_move_kernel(bf16* pool, int64_t pool_rows, int row_width, const int32_t* table, int block_size,
                               const int32_t* slots, int count, bf16* scratch, bool gather) {
  const int i = blockIdx.x, plane = blockIdx.y;
  bf16* p = pool + (int64_t(plane) * pool_rows + slot_row(table, block_size, slots[i])) * row_width;
  bf16* t = scratch + (int64_t(plane) * count + i) * row_width;
  for (int c = threadIdx.x; c < row_width; c += blockDim.x) {
    if (gather) t[c] = p[c];
    else p[c] = t[c];
  }
}

void launch_kv_move(bf16* pool, int layers, int64_t pool_rows, int row_width, const int32_t* block_table,
                    int block_size, const int32_t* src_slots, const int32_t* dst_slots, int count, bf16* scratch,
                    cudaStream_t s) {
  if (count <= 0) return;
  const dim3 grid(count, layers * 2);
  kv_move_kernel<<<grid, 128, 0, s>>>(pool, pool_rows, row_width, block_table, block_size, src_slots, count, scratch, true);
  check_launch("kv_move gather");
  kv_move_kernel<<<grid, 128, 0, s>>>(pool, pool_rows, row_width, block_table, block_size, dst_slots, count, scratch, false);
  check_launch("kv_move scatter");
}

}  // namespace stride::cuda
