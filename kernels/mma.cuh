// The warp-level tensor-core instruction the small-M products and decode attention share
// (mma.sync m16n8k16, bf16 inputs, float32 accumulators; sm_80+). Device code only.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>

namespace stride::cuda {

// D = A·B + D, A 16×16 bf16 (row), B 16×8 bf16 (col), D 16×8 float32. Thread (g = lane / 4,
// q = lane % 4) holds A rows g (a0, a2) and g + 8 (a1, a3) at k {2q, 2q + 1} (a0, a1) and
// {2q + 8, 2q + 9} (a2, a3), B column g at the same k (b0, b1), D rows g (d0, d1) and g + 8 (d2, d3)
// at columns 2q, 2q + 1.
__device__ __forceinline__ void mma_bf16(float* d, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// Two floats as a bf16 pair (round to nearest), a in the low half (the lower k).
__device__ __forceinline__ uint32_t pack_bf16(float a, float b) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
  return *reinterpret_cast<const uint32_t*>(&h);
}

}  // namespace stride::cuda
