// The fused decode products (RMSNorm / SwiGLU inputs, residual-add outputs) give bit for bit what
// the separate kernels followed by the plain product give: decode steps of a few tokens may take
// the fused path while longer verification steps take the separate kernels, and speculative
// decoding relies on a token's logits not depending on which one ran.
#include <cstring>

#include "cuda_test_util.h"
#include "kernels/gemm_mma.cuh"
#include "kernels/rmsnorm.cuh"
#include "kernels/swiglu.cuh"

namespace stride::cuda::test {
namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}
bool any_nan(const std::vector<float>& v) {
  for (float f : v)
    if (std::isnan(f)) return true;
  return false;
}

TEST(CudaGemmFused, EqualsSeparateKernelsBitForBit) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const float eps = 1e-6f;
  // k = 896 / 1536 (64-wide chunks), 160 (32-wide); n = 9000 takes the two-m-tile blocks; k = 160 and
  // 128 have fewer chunks than warps (the thin form); k = 4864 over 896 rows splits k (on Hopper).
  for (const auto& [m, k, n] :
       std::vector<std::tuple<int, int, int>>{{1, 896, 300}, {3, 1536, 9000}, {8, 160, 1000}, {5, 128, 9000}, {2, 4864, 896}}) {
    for (const bool split : {true, false}) {
      std::vector<uint16_t> wb, nb;
      std::vector<float> wf, nf;
      random_bf16(rng, size_t(n) * k, 0.1f, wb, wf);
      random_bf16(rng, size_t(k), 1.f, nb, nf);
      DeviceBuffer w = upload(wb), norm = upload(nb);
      const std::string what = "m " + std::to_string(m) + " k " + std::to_string(k) + " n " + std::to_string(n) +
                               (split ? " split" : " bf16");

      // RMSNorm input: add_rmsnorm (no delta) then the plain product.
      const auto resid = random_f32(rng, size_t(m) * k, 3.f);
      DeviceBuffer r1 = upload(resid), xn(size_t(m) * k * 4), y1(size_t(m) * n * 4), y2(size_t(m) * n * 4);
      launch_add_rmsnorm(r1.as<float>(), nullptr, norm.as<bf16>(), m, k, eps, xn.as<float>(), nullptr);
      launch_gemm_mma(xn.as<float>(), split, m, k, w.as<bf16>(), n, y1.as<float>(), nullptr);
      GemmFusion fn;
      fn.input = GemmInput::RmsNorm;
      fn.norm = norm.as<bf16>();
      fn.eps = eps;
      poison(y2);
      launch_gemm_mma_fused(r1.as<float>(), split, m, k, w.as<bf16>(), n, y2.as<float>(), fn, nullptr);
      const auto a = download<float>(y1, size_t(m) * n), b = download<float>(y2, size_t(m) * n);
      EXPECT_FALSE(any_nan(b)) << what;
      EXPECT_TRUE(same_bits(a, b)) << "RMSNorm input, " << what;

      // SwiGLU input + residual add: swiglu, product into delta, add_rmsnorm(residual, delta) vs
      // the fused product adding into the residual.
      const auto gu = random_f32(rng, size_t(m) * 2 * k, 2.f);
      const auto r0 = random_f32(rng, size_t(m) * n, 1.f);
      DeviceBuffer dgu = upload(gu), xs(size_t(m) * k * 4), delta(size_t(m) * n * 4), ra = upload(r0), rb = upload(r0),
                   out(size_t(m) * n * 4);
      std::vector<uint16_t> nb2;
      std::vector<float> nf2;
      random_bf16(rng, size_t(n), 1.f, nb2, nf2);
      DeviceBuffer norm2 = upload(nb2);
      launch_swiglu(dgu.as<float>(), m, k, xs.as<float>(), nullptr);
      launch_gemm_mma(xs.as<float>(), split, m, k, w.as<bf16>(), n, delta.as<float>(), nullptr);
      launch_add_rmsnorm(ra.as<float>(), delta.as<float>(), norm2.as<bf16>(), m, n, eps, out.as<float>(), nullptr);
      GemmFusion fs;
      fs.input = GemmInput::SwiGlu;
      fs.add_into_y = true;
      launch_gemm_mma_fused(dgu.as<float>(), split, m, k, w.as<bf16>(), n, rb.as<float>(), fs, nullptr);
      const auto c = download<float>(ra, size_t(m) * n), d = download<float>(rb, size_t(m) * n);
      EXPECT_FALSE(any_nan(d)) << what;
      EXPECT_TRUE(same_bits(c, d)) << "SwiGLU input + residual add, " << what;

      // Plain input + residual add.
      const auto xin = random_f32(rng, size_t(m) * k, 1.f);
      DeviceBuffer dx = upload(xin), rc = upload(r0), rd = upload(r0);
      launch_gemm_mma(dx.as<float>(), split, m, k, w.as<bf16>(), n, delta.as<float>(), nullptr);
      launch_add_rmsnorm(rc.as<float>(), delta.as<float>(), norm2.as<bf16>(), m, n, eps, out.as<float>(), nullptr);
      GemmFusion fa;
      fa.add_into_y = true;
      launch_gemm_mma_fused(dx.as<float>(), split, m, k, w.as<bf16>(), n, rd.as<float>(), fa, nullptr);
      EXPECT_TRUE(same_bits(download<float>(rc, size_t(m) * n), download<float>(rd, size_t(m) * n)))
          << "plain input + residual add, " << what;
    }
  }
}

TEST(CudaGemmFused, RefusesLongStepsAndMissingNormWeights) {
  // Argument checks run before any device work: no GPU needed.
  GemmFusion f;
  f.input = GemmInput::RmsNorm;
  alignas(16) static float x[16];
  alignas(16) static uint16_t w[16];
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 9, 32, reinterpret_cast<const bf16*>(w), 4, x, f, nullptr), Error);
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 1, 32, reinterpret_cast<const bf16*>(w), 4, x, f, nullptr), Error);
}

}  // namespace
}  // namespace stride::cuda::test
