// The Hopper warpgroup form of the small-M product (gemm_wgmma.cuh) gives each token the bits of
// the one-token gemm_mma product: ragged m and n, chains of unequal length, k split in slices
// (as gemm_mma_split_k picks them and forced), split and plain activations. Inputs written as
// images by add_rmsnorm and SwiGLU give the product of their float32 outputs bit for bit.
#include <cstring>
#include <tuple>

#include "cuda_test_util.h"
#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_wgmma.cuh"
#include "kernels/rmsnorm.cuh"
#include "kernels/swiglu.cuh"

namespace stride::cuda::test {
namespace {

TEST(CudaGemmWgmma, GivesTheOneTokenBits) {
  STRIDE_REQUIRE_GPU();
  if (!gemm_wgmma_supported()) GTEST_SKIP() << "no warpgroup kernel here (needs sm_90a code on a compute 9.0 GPU)";
  std::mt19937 rng(std::random_device{}());
  // The activation images' scratch, bound to the default stream the launches use.
  DeviceBuffer scratch(gemm_wgmma_scratch_bytes(18944));
  gemm_wgmma_bind_scratch(nullptr, scratch.as(), scratch.bytes());
  EXPECT_TRUE(gemm_wgmma_ready(nullptr, 128, 18944));
  EXPECT_FALSE(gemm_wgmma_ready(nullptr, 128, 18944 + 64));
  // {m, n, k, slices (0: gemm_mma_split_k's)}: k = 576 has 9 chunks (chain 0 twice), 3584 and
  // 4160 the 7B and uneven shapes, 18944 the 7B down product (two slices on the H100); 9000 and
  // 12000 rows are more items (token tile, 64 rows) than an H100 has SMs, so blocks take several
  // (an odd number of chunks each at k = 576).
  for (const auto& [m, n, k, forced] : std::vector<std::tuple<int, int, int, int>>{
           {17, 200, 576, 0}, {64, 3584, 3584, 0}, {70, 1000, 4160, 0}, {128, 520, 1024, 0}, {33, 3584, 18944, 0},
           {100, 130, 4160, 4}, {64, 256, 2048, 3}, {100, 9000, 576, 0}, {64, 12000, 1024, 0}}) {
    const int slices = forced > 0 ? forced : gemm_mma_split_k(n, k);
    for (bool split : {true, false}) {
      std::vector<uint16_t> wb;
      std::vector<float> wf;
      random_bf16(rng, size_t(n) * k, 1.f, wb, wf);
      // Tokens of very different scales, so the split's low halves matter.
      std::vector<float> xf = random_f32(rng, size_t(m) * k, 1.f);
      for (int t = 0; t < m; ++t)
        for (int i = 0; i < k; ++i) xf[size_t(t) * k + i] *= std::ldexp(1.f, int(t % 17) - 8);
      DeviceBuffer w = upload(wb), x = upload(xf), dall(size_t(m) * n * 4), done(size_t(n) * 4);
      poison(dall);
      launch_gemm_wgmma(x.as<float>(), split, m, k, w.as<bf16>(), n, dall.as<float>(), slices, nullptr);
      const auto all = download<float>(dall, size_t(m) * n);
      int differ = 0;
      for (int t = 0; t < m; ++t) {
        if (forced > 0) {
          // A forced slice count has no one-token gemm_mma twin: check against float64 instead.
          for (int j = 0; j < n; j += 7) {
            double ref = 0, mag = 0;
            for (int i = 0; i < k; ++i) {
              ref += double(xf[size_t(t) * k + i]) * wf[size_t(j) * k + i];
              mag += std::fabs(double(xf[size_t(t) * k + i]) * wf[size_t(j) * k + i]);
            }
            const float got = all[size_t(t) * n + j];
            ASSERT_FALSE(std::isnan(got));
            EXPECT_LE(std::fabs(got - ref), (split ? 3e-5 : 1e-2) * mag) << "t=" << t << " j=" << j << " k=" << k;
          }
          continue;
        }
        launch_gemm_mma_tiled(x.as<float>() + size_t(t) * k, split, 1, k, w.as<bf16>(), n, done.as<float>(), 1, 1,
                              nullptr);
        const auto alone = download<float>(done, n);
        differ += std::memcmp(alone.data(), all.data() + size_t(t) * n, size_t(n) * 4) != 0;
      }
      EXPECT_EQ(0, differ) << "tokens whose outputs differ from their one-token product: m=" << m << " n=" << n
                           << " k=" << k << " slices=" << slices << " split=" << split;
    }
  }
  EXPECT_THROW(launch_gemm_wgmma(nullptr, true, 20, 448, nullptr, 64, nullptr, 1, nullptr), Error);  // 7 chunks
  EXPECT_THROW(launch_gemm_wgmma(nullptr, true, 129, 512, nullptr, 64, nullptr, 1, nullptr), Error);
  gemm_wgmma_bind_scratch(nullptr, nullptr, 0);
  EXPECT_FALSE(gemm_wgmma_ready(nullptr, 64, 512));
}

// add_rmsnorm and SwiGLU writing the product's activation images (wgmma_image.cuh) instead of
// float32: the product on them equals the product of their float32 outputs bit for bit, whatever
// the scratch held before (it is poisoned with NaN: the rows past m stay unwritten).
TEST(CudaGemmWgmma, ImagesFromAddRmsNormAndSwigluGiveTheProductOfTheirFloatOutputs) {
  STRIDE_REQUIRE_GPU();
  if (!gemm_wgmma_supported()) GTEST_SKIP() << "no warpgroup kernel here (needs sm_90a code on a compute 9.0 GPU)";
  std::mt19937 rng(std::random_device{}());
  DeviceBuffer scratch(gemm_wgmma_scratch_bytes(4096));
  gemm_wgmma_bind_scratch(nullptr, scratch.as(), scratch.bytes());
  const int n = 520;
  for (const int m : {9, 64, 100}) {
    for (const int k : {576, 3584}) {
      for (const bool split : {true, false}) {
        SCOPED_TRACE("m=" + std::to_string(m) + " k=" + std::to_string(k) + " split=" + std::to_string(split));
        std::vector<uint16_t> wb, gb;
        std::vector<float> wf, gf;
        random_bf16(rng, size_t(n) * k, 1.f, wb, wf);
        random_bf16(rng, size_t(k), 2.f, gb, gf);
        // Rows of very different scales, so the split's low halves matter.
        std::vector<float> res = random_f32(rng, size_t(m) * k, 1.f), delta = random_f32(rng, size_t(m) * k, 1.f),
                           gu = random_f32(rng, size_t(m) * 2 * k, 4.f);
        for (int t = 0; t < m; ++t)
          for (int i = 0; i < k; ++i) res[size_t(t) * k + i] *= std::ldexp(1.f, int(t % 17) - 8);
        const DeviceBuffer w = upload(wb), g = upload(gb), d = upload(delta), gate_up = upload(gu);
        DeviceBuffer r1 = upload(res), r2 = upload(res), x(size_t(m) * k * 4), y1(size_t(m) * n * 4),
                     y2(size_t(m) * n * 4);
        const WgmmaImages img = gemm_wgmma_images(nullptr, m, k, split);
        ASSERT_NE(img.p, nullptr);
        const int slices = gemm_mma_split_k(n, k);
        const auto product_pair = [&](const char* what) {
          const auto a = download<float>(y1, size_t(m) * n), b = download<float>(y2, size_t(m) * n);
          int nan = 0;
          for (float v : b) nan += std::isnan(v);
          EXPECT_EQ(0, nan) << what;
          EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4)) << what;
        };
        // add_rmsnorm: float32 output, then the product (its split kernel); against the images.
        launch_add_rmsnorm(r1.as<float>(), d.as<float>(), g.as<bf16>(), m, k, 1e-6f, x.as<float>(), nullptr);
        launch_gemm_wgmma(x.as<float>(), split, m, k, w.as<bf16>(), n, y1.as<float>(), slices, nullptr);
        poison(scratch);
        launch_add_rmsnorm_images(r2.as<float>(), d.as<float>(), g.as<bf16>(), m, k, 1e-6f, img, nullptr);
        launch_gemm_wgmma_on_images(img, m, w.as<bf16>(), n, y2.as<float>(), slices, nullptr);
        product_pair("add_rmsnorm");
        // Both updated the residual stream alike.
        const auto s1 = download<float>(r1, size_t(m) * k), s2 = download<float>(r2, size_t(m) * k);
        EXPECT_EQ(0, std::memcmp(s1.data(), s2.data(), s1.size() * 4));
        // SwiGLU of a gate/up product's output (k = the intermediate width).
        launch_swiglu(gate_up.as<float>(), m, k, x.as<float>(), nullptr);
        launch_gemm_wgmma(x.as<float>(), split, m, k, w.as<bf16>(), n, y1.as<float>(), slices, nullptr);
        poison(scratch);
        launch_swiglu_images(gate_up.as<float>(), m, k, img, nullptr);
        launch_gemm_wgmma_on_images(img, m, w.as<bf16>(), n, y2.as<float>(), slices, nullptr);
        product_pair("swiglu");
      }
    }
  }
  // Images of another width, or none, are refused.
  const WgmmaImages img = gemm_wgmma_images(nullptr, 64, 576, true);
  EXPECT_THROW(launch_add_rmsnorm_images(nullptr, nullptr, nullptr, 64, 512, 1e-6f, img, nullptr), Error);
  EXPECT_THROW(launch_swiglu_images(nullptr, 64, 512, WgmmaImages{}, nullptr), Error);
  EXPECT_EQ(nullptr, gemm_wgmma_images(nullptr, 129, 576, true).p);
  gemm_wgmma_bind_scratch(nullptr, nullptr, 0);
  EXPECT_EQ(nullptr, gemm_wgmma_images(nullptr, 64, 576, true).p);
  EXPECT_THROW(launch_gemm_wgmma_on_images(img, 64, nullptr, 64, nullptr, 1, nullptr), Error);
}

}  // namespace
}  // namespace stride::cuda::test
