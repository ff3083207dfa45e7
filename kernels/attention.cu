#include "kernels/attention.cuh"

#include <cfloat>

namespace stride::cuda {
namespace {

constexpr int kWarps = 32;  // many keys in flight: decode has only one block per head

template <int VPL>  // values per lane: head_dim / 32
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(AttentionArgs a, KvLayer kv) {
  const int r = blockIdx.x, h = blockIdx.y;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int i = a.first_row + r;  // new-token index of this query row
  const int hd = a.head_dim;
  const int kvh = h / (a.heads / a.kv_heads);
  const int kv_width = a.kv_heads * hd;
  const float* qr = a.q + (int64_t(r) * a.heads + h) * hd;
  float q[VPL], acc[VPL];
#pragma unroll
  for (int v = 0; v < VPL; ++v) {
    q[v] = qr[lane * VPL + v] * a.scale;
    acc[v] = 0.f;
  }
  float mx = -FLT_MAX, l = 0.f;
  const uint8_t* mrow = a.mask + int64_t(i) * a.mask_stride;
  const int total = a.cache_len + (a.mask ? a.key_limit : min(a.key_limit, i + 1));
  for (int t = warp; t < total; t += kWarps) {
    if (t >= a.cache_len) {
      const int j = t - a.cache_len;
      if (a.mask ? !mrow[j] : j > i) continue;
    }
    const int64_t row = int64_t(kv.block_table[t / kv.block_size]) * kv.block_size + t % kv.block_size;
    const bf16* kr = kv.k + row * kv_width + kvh * hd + lane * VPL;
    const bf16* vr = kv.v + row * kv_width + kvh * hd + lane * VPL;
    float s = 0.f;
#pragma unroll
    for (int v = 0; v < VPL; ++v) s = fmaf(q[v], __bfloat162float(kr[v]), s);
    s = warp_sum(s);
    const float nm = fmaxf(mx, s);
    const float corr = __expf(mx - nm), p = __expf(s - nm);
    l = l * corr + p;
#pragma unroll
    for (int v = 0; v < VPL; ++v) acc[v] = acc[v] * corr + p * __bfloat162float(vr[v]);
    mx = nm;
  }
  // Merge the warps' partial softmax states in warp order.
  __shared__ float s_m[kWarps], s_l[kWarps];
  __shared__ float s_acc[kWarps][128];
  if (lane == 0) {
    s_m[warp] = mx;
    s_l[warp] = l;
  }
#pragma unroll
  for (int v = 0; v < VPL; ++v) s_acc[warp][lane * VPL + v] = acc[v];
  __syncthreads();
  if (warp == 0) {
    float gm = -FLT_MAX;
    for (int w = 0; w < kWarps; ++w) gm = fmaxf(gm, s_m[w]);
    float gl = 0.f, o[VPL];
#pragma unroll
    for (int v = 0; v < VPL; ++v) o[v] = 0.f;
    for (int w = 0; w < kWarps; ++w) {
      if (s_l[w] == 0.f) continue;
      const float c = __expf(s_m[w] - gm);
      gl += s_l[w] * c;
#pragma unroll
      for (int v = 0; v < VPL; ++v) o[v] += s_acc[w][lane * VPL + v] * c;
    }
    const float inv = gl > 0.f ? 1.f / gl : 0.f;  // a row that sees no key at all gets zeros
    float* orow = a.out + (int64_t(r) * a.heads + h) * hd;
#pragma unroll
    for (int v = 0; v < VPL; ++v) orow[lane * VPL + v] = o[v] * inv;
  }
}

}  // namespace

void launch_attention(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  if (a.rows <= 0) return;
  if (a.head_dim % 32 != 0 || a.head_dim > 128 || a.heads % a.kv_heads != 0) {
    throw Error("attention: head_dim " + std::to_string(a.head_dim) + " (must be 32, 64, 96 or 128) / heads " +
                std::to_string(a.heads) + " over kv heads " + std::to_string(a.kv_heads) + " not supported");
  }
  const dim3 grid(a.rows, a.heads);
  switch (a.head_dim / 32) {
    case 1: attention_kernel<1><<<grid, kWarps * 32, 0, s>>>(a, kv); break;
    case 2: attention_kernel<2><<<grid, kWarps * 32, 0, s>>>(a, kv); break;
    case 3: attention_kernel<3><<<grid, kWarps * 32, 0, s>>>(a, kv); break;
    default: attention_kernel<4><<<grid, kWarps * 32, 0, s>>>(a, kv); break;
  }
  check_launch("attention");
}

}  // namespace stride::cuda
