// The activation images of the warpgroup product (gemm_wgmma.cuh): its input, float32 [m, k], split
// into bf16 hi (and lo = x - hi, split activations) and laid out as the wgmma reads them from shared
// memory. The split kernel writes them from a float32 input; the kernels that make a product's input
// (add_rmsnorm, SwiGLU) may write them themselves instead, saving that kernel's launch and a float32
// round trip: the same values, so the same bits (hi = bf16(v), lo = bf16(v - hi), rounded to nearest).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

constexpr int kImageTokens = 64;  // tokens per image tile: the wgmma's N
constexpr int kImageChunk = 64;   // k per image chunk: gemm_mma's 64-wide k chunk
// A chunk of a token tile: the hi image (8 KB), then the lo image.
constexpr int kImageChunkBytes = kImageTokens * kImageChunk * 4;

// Chunk element e of a token (k = chunk·64 + e) belongs to k group s = (e % 16) / 4 (gemm_mma's
// {t·16 + 4s + j}). Per k group s (2 KB): the no-swizzle layout of 8-token groups 256 bytes apart,
// two 16-byte core matrices per token (k 0-7 and 8-15 of the group); the 4-byte word (half h, lane q)
// of token r holds elements 16q + 4s + 2h + {0, 1}.
__host__ __device__ constexpr int image_word_offset(int r, int s, int h, int q) {
  return s * 2048 + (r / 8) * 256 + h * 128 + (r % 8) * 16 + q * 4;
}
// The byte offset, inside its chunk's hi image, of element e (< 64) of token r (< 64) of a tile.
__host__ __device__ constexpr int image_element_offset(int r, int e) {
  return image_word_offset(r, (e & 15) >> 2, (e >> 1) & 1, e >> 4) + (e & 1) * 2;
}

// Where a kernel writes a product's input as images: p is the scratch bound to the stream
// (gemm_wgmma_images), k the product's depth. Rows past the step's m are left as they are: a
// token's outputs depend on its own column alone, and the product stores no row past m.
struct WgmmaImages {
  uint8_t* p = nullptr;
  int k = 0;
  bool split = true;
#ifdef __CUDACC__
  // The hi image's byte of element col of row `row` (the lo image's is kLo further).
  static constexpr int kLo = kImageChunkBytes / 2;
  __device__ __forceinline__ uint8_t* at(int row, int col) const {
    return p + (int64_t(row / kImageTokens) * (k / kImageChunk) + col / kImageChunk) * kImageChunkBytes +
           image_element_offset(row % kImageTokens, col % kImageChunk);
  }
  // hi = bf16(v), lo = bf16(v - hi) for two values. __fsub_rn: never contracted with the multiply
  // that made v (v is the float32 a kernel would have stored), as the split kernel's subtraction of
  // a loaded value is not.
  static __device__ __forceinline__ void split_pair(float v0, float v1, uint32_t& hi, uint32_t& lo) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(v0, v1);
    const float2 f = __bfloat1622float2(h);
    const __nv_bfloat162 l = __floats2bfloat162_rn(__fsub_rn(v0, f.x), __fsub_rn(v1, f.y));
    hi = *reinterpret_cast<const uint32_t*>(&h);
    lo = *reinterpret_cast<const uint32_t*>(&l);
  }
  // Element col of row `row`, value v.
  __device__ __forceinline__ void store(int row, int col, float v) const {
    uint8_t* dst = at(row, col);
    const bf16 hi = __float2bfloat16_rn(v);
    *reinterpret_cast<bf16*>(dst) = hi;
    if (split) *reinterpret_cast<bf16*>(dst + kLo) = __float2bfloat16_rn(__fsub_rn(v, __bfloat162float(hi)));
  }
  // Elements col, col + 1 of row `row` (col even): one 4-byte word per image.
  __device__ __forceinline__ void store2(int row, int col, float v0, float v1) const {
    uint8_t* dst = at(row, col);
    uint32_t hi, lo;
    split_pair(v0, v1, hi, lo);
    *reinterpret_cast<uint32_t*>(dst) = hi;
    if (split) *reinterpret_cast<uint32_t*>(dst + kLo) = lo;
  }
  // Elements col, col + 1 (word q) and col + 16, col + 17 (word q + 1) of row `row`, where
  // col % 32 is even and below 16 (q even): one 8-byte store per image.
  __device__ __forceinline__ void store_word_pair(int row, int col, float a0, float a1, float b0, float b1) const {
    uint8_t* dst = at(row, col);
    uint2 hi, lo;
    split_pair(a0, a1, hi.x, lo.x);
    split_pair(b0, b1, hi.y, lo.y);
    *reinterpret_cast<uint2*>(dst) = hi;
    if (split) *reinterpret_cast<uint2*>(dst + kLo) = lo;
  }
#endif
};

}  // namespace stride::cuda
