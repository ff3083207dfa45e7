// The folded forms of the decode products (gemm_mma.cuh): the RMSNorm input matches a float64
// reference of RMSNorm followed by the product, and a token's result is bit-identical whatever the
// step's size (its sum of squares follows the product's k order, which depends on k alone); the
// residual-add output is the residual plus the plain product's result, bit for bit.
#include <cstring>

#include "cuda_test_util.h"
#include "kernels/gemm_mma.cuh"

namespace stride::cuda::test {
namespace {

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * 4) == 0; }

// y[t][j] = sum_k (norm[k] · x[t][k] / rms(x[t])) · w[j][k] in float64.
std::vector<double> rmsnorm_product(const std::vector<float>& x, const std::vector<float>& norm,
                                    const std::vector<float>& w, int m, int k, int n, double eps) {
  std::vector<double> y(size_t(m) * n), xn(k);
  for (int t = 0; t < m; ++t) {
    double ss = 0;
    for (int i = 0; i < k; ++i) ss += double(x[size_t(t) * k + i]) * x[size_t(t) * k + i];
    const double scale = 1.0 / std::sqrt(ss / k + eps);
    for (int i = 0; i < k; ++i) xn[i] = double(norm[i]) * x[size_t(t) * k + i] * scale;
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int i = 0; i < k; ++i) acc += xn[i] * w[size_t(j) * k + i];
      y[size_t(t) * n + j] = acc;
    }
  }
  return y;
}

TEST(CudaGemmFused, RmsNormInputMatchesReferenceAndIsBatchInvariant) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const float eps = 1e-6f;
  // k = 128: fewer chunks than warps (the thin form, the tiny model); 896 / 1536: the k-split form;
  // n = 9000: the LM head's wide tiles; k = 4864 over 896 rows splits k in slices (on Hopper).
  for (const auto& [k, n] : std::vector<std::pair<int, int>>{{128, 9000}, {896, 300}, {1536, 9000}, {4864, 896}}) {
    const int mmax = 128;
    std::vector<uint16_t> wb, nb;
    std::vector<float> wf, nf;
    random_bf16(rng, size_t(n) * k, 0.1f, wb, wf);
    random_bf16(rng, size_t(k), 1.5f, nb, nf);
    // Tokens of very different magnitudes: the norm has to undo each one's scale.
    std::vector<float> x = random_f32(rng, size_t(mmax) * k, 1.f);
    for (int t = 0; t < mmax; ++t)
      for (int i = 0; i < k; ++i) x[size_t(t) * k + i] *= std::ldexp(1.f, int(rng() % 16) - 8);
    DeviceBuffer w = upload(wb), norm = upload(nb), dx = upload(x), y(size_t(mmax) * n * 4);
    GemmFusion f;
    f.input = GemmInput::RmsNorm;
    f.norm = norm.as<bf16>();
    f.eps = eps;
    const auto ref = rmsnorm_product(x, nf, wf, mmax, k, n, eps);
    for (const bool split : {true, false}) {
      std::vector<float> one(size_t(mmax) * n);  // each token's result from a one-token step
      for (int t = 0; t < mmax; ++t) {
        poison(y);
        launch_gemm_mma_fused(dx.as<float>() + size_t(t) * k, split, 1, k, w.as<bf16>(), n, y.as<float>(), f, nullptr);
        const auto r = download<float>(y, n);
        std::copy(r.begin(), r.end(), one.begin() + size_t(t) * n);
      }
      const double err = rel_error(one, ref);
      const std::string what = "k " + std::to_string(k) + " n " + std::to_string(n) + (split ? " split" : " bf16");
      // Split activations keep ~16 bits, plain bf16 rounding 8.
      EXPECT_LT(err, split ? 1e-4 : 1e-2) << what;
      for (const int m : {2, 8, 9, 16, 17, 33, 64, 128}) {
        poison(y);
        launch_gemm_mma_fused(dx.as<float>(), split, m, k, w.as<bf16>(), n, y.as<float>(), f, nullptr);
        const auto got = download<float>(y, size_t(m) * n);
        EXPECT_TRUE(same_bits(got.data(), one.data(), size_t(m) * n)) << "m " << m << ", " << what;
      }
    }
  }
}

TEST(CudaGemmFused, ResidualAddEqualsResidualPlusProductBitForBit) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  for (const auto& [k, n] : std::vector<std::pair<int, int>>{{128, 128}, {896, 896}, {8960, 1536}}) {
    std::vector<uint16_t> wb;
    std::vector<float> wf;
    random_bf16(rng, size_t(n) * k, 0.1f, wb, wf);
    DeviceBuffer w = upload(wb);
    for (const int m : {1, 5, 8, 16, 40, 128}) {
      const auto x = random_f32(rng, size_t(m) * k, 1.f), r0 = random_f32(rng, size_t(m) * n, 2.f);
      DeviceBuffer dx = upload(x), prod(size_t(m) * n * 4), resid = upload(r0);
      // y_settled: the residual (uploaded by the host before) loaded before the product's PDL wait.
      for (const bool split : {true, false})
      for (const bool settled : {false, true}) {
        const std::string what = "k " + std::to_string(k) + " n " + std::to_string(n) + " m " + std::to_string(m) +
                                 (split ? " split" : " bf16") + (settled ? " y settled" : "");
        poison(prod);
        launch_gemm_mma(dx.as<float>(), split, m, k, w.as<bf16>(), n, prod.as<float>(), nullptr);
        cuda_check(cudaMemcpy(resid.as(), r0.data(), r0.size() * 4, cudaMemcpyHostToDevice), "test upload");
        GemmFusion add;
        add.add_into_y = true;
        add.y_settled = settled;
        launch_gemm_mma_fused(dx.as<float>(), split, m, k, w.as<bf16>(), n, resid.as<float>(), add, nullptr);
        const auto p = download<float>(prod, size_t(m) * n), got = download<float>(resid, size_t(m) * n);
        std::vector<float> want(r0.size());
        for (size_t i = 0; i < want.size(); ++i) want[i] = r0[i] + p[i];
        size_t nans = 0;
        for (float v : got) nans += std::isnan(v);
        EXPECT_EQ(nans, 0u) << what;
        EXPECT_TRUE(same_bits(got.data(), want.data(), want.size())) << what;
      }
    }
  }
}

TEST(CudaGemmFused, RefusesWhatTheFoldedFormsDoNotServe) {
  // Argument checks run before any device work: no GPU needed.
  alignas(16) static float x[256];
  alignas(16) static uint16_t w[256], nw[256];
  const bf16* wp = reinterpret_cast<const bf16*>(w);
  GemmFusion f;
  f.input = GemmInput::RmsNorm;  // no norm weights
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 1, 64, wp, 4, x, f, nullptr), Error);
  f.norm = reinterpret_cast<const bf16*>(nw);
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 129, 64, wp, 4, x, f, nullptr), Error);  // longer than a verification step
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 1, 96, wp, 4, x, f, nullptr), Error);   // k not a multiple of 64
  f.add_into_y = true;
  EXPECT_THROW(launch_gemm_mma_fused(x, true, 1, 64, wp, 4, x, f, nullptr), Error);  // norm in, add out
  GemmNorm gn{nullptr, 1e-6f};
  EXPECT_THROW(launch_gemm_mma_swiglu(x, true, 1, 64, wp, 32, x, nullptr, &gn), Error);
}

}  // namespace
}  // namespace stride::cuda::test
