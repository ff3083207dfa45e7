// The small-M tensor-core product against a float64 reference (both activation modes, every
// token tile and both row tiles), and its batch invariance: a token's outputs are bit-identical
// whether it is computed alone or among 2..128 tokens.
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "cuda_test_util.h"
#include "kernels/gemm_mma.cuh"

namespace stride::cuda::test {
namespace {

struct Operands {
  DeviceBuffer w, x;
  std::vector<float> wf, xf;
};

Operands make_operands(std::mt19937& rng, int m, int k, int n) {
  Operands o;
  std::vector<uint16_t> wb;
  random_bf16(rng, size_t(n) * k, 1.f, wb, o.wf);
  o.xf = random_f32(rng, size_t(m) * k, 1.f);
  o.w = upload(wb);
  o.x = upload(o.xf);
  return o;
}

TEST(CudaGemmMma, MatchesReferenceForEveryTileAndMode) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  // n = 9000 takes the two-m-tile blocks; the others one; ragged n and m exercise the guards.
  // {1, 5000, 128} .. {40, 333, 160} have fewer k chunks than warps (the thin form, k = 128 and
  // 160); the last three split k on Hopper: the 1.5B and 0.5B down products and uneven slices (79 chunks
  // in 4).
  for (const auto& [m, n, k_fixed] : std::vector<std::tuple<int, int, int>>{
           {1, 333, 0}, {2, 1000, 0}, {5, 64, 0}, {9, 517, 0}, {16, 9000, 0}, {31, 250, 0}, {64, 700, 0}, {65, 129, 0},
           {128, 8200, 0}, {1, 5000, 128}, {12, 700, 128}, {40, 333, 160}, {3, 1536, 8960}, {20, 896, 4864}, {7, 300, 5056}}) {
    const int k = k_fixed > 0 ? k_fixed : 32 * (3 + int(rng() % 60));
    Operands o = make_operands(rng, m, k, n);
    std::vector<double> ref(size_t(m) * n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int t = 0; t < k; ++t) s += double(o.xf[size_t(i) * k + t]) * o.wf[size_t(j) * k + t];
        ref[size_t(i) * n + j] = s;
      }
    for (bool split : {true, false}) {
      DeviceBuffer dy(size_t(m) * n * 4);
      poison(dy);
      launch_gemm_mma(o.x.as<float>(), split, m, k, o.w.as<bf16>(), n, dy.as<float>(), nullptr);
      const auto y = download<float>(dy, size_t(m) * n);
      // Split activations keep ~16 bits (float32-like); plain bf16 activations ~8 bits.
      EXPECT_LT(rel_error(y, ref), split ? 2e-5 : 8e-3) << "m=" << m << " k=" << k << " n=" << n << " split=" << split;
    }
  }
  EXPECT_THROW(launch_gemm_mma(nullptr, true, 1, 48, nullptr, 8, nullptr, nullptr), Error);
}

TEST(CudaGemmMma, IsBatchInvariant) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int max_m = 128;
  // k = 896 takes 64-wide k chunks, k = 928 32-wide ones (gemm_mma_chunk); k = 128 and 160 have
  // fewer chunks than warps (the thin form). n = 1536 splits k in two for k = 4096 (on Hopper),
  // n = 8300 does not.
  for (int n : {8300, 1536})
  for (int k : {896, 928, 128, 160, 4096})
  for (bool split : {true, false}) {
    Operands o = make_operands(rng, max_m, k, n);
    DeviceBuffer dall(size_t(max_m) * n * 4), done(size_t(n) * 4);
    launch_gemm_mma(o.x.as<float>(), split, 1, k, o.w.as<bf16>(), n, done.as<float>(), nullptr);
    const auto first_alone = download<float>(done, n);
    for (int m : {2, 8, 9, 33, 64, 100, 128}) {
      launch_gemm_mma(o.x.as<float>(), split, m, k, o.w.as<bf16>(), n, dall.as<float>(), nullptr);
      const auto all = download<float>(dall, size_t(m) * n);
      EXPECT_EQ(0, std::memcmp(first_alone.data(), all.data(), n * 4))
          << "token 0 among " << m << ", split=" << split << ", k=" << k << ", n=" << n;
      const int last = m - 1;
      launch_gemm_mma(o.x.as<float>() + size_t(last) * k, split, 1, k, o.w.as<bf16>(), n, done.as<float>(), nullptr);
      const auto alone = download<float>(done, n);
      EXPECT_EQ(0, std::memcmp(alone.data(), all.data() + size_t(last) * n, n * 4))
          << "token " << last << " of " << m << ", k=" << k << ", n=" << n;
    }
  }
}

// Every tile (token tiles x row tiles, as STRIDE_GEMM_TILE may pick them) gives each token the
// bits of the one-token product, for ragged m and n.
TEST(CudaGemmMma, EveryTileGivesTheOneTokenBits) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int n = 1000, m = 70;
  // k = 4160 splits k (on Hopper) in 4 uneven slices of its 65 chunks.
  for (int k : {896, 928, 128, 160, 4160})
    for (bool split : {true, false}) {
      Operands o = make_operands(rng, m, k, n);
      DeviceBuffer dall(size_t(m) * n * 4), done(size_t(n) * 4);
      std::vector<float> alone(size_t(m) * n);
      for (int t = 0; t < m; ++t) {
        launch_gemm_mma(o.x.as<float>() + size_t(t) * k, split, 1, k, o.w.as<bf16>(), n, done.as<float>(), nullptr);
        const auto row = download<float>(done, n);
        std::copy(row.begin(), row.end(), alone.begin() + size_t(t) * n);
      }
      for (const auto& [nt, mt] : std::vector<std::pair<int, int>>{
               {1, 1}, {1, 2}, {1, 4}, {2, 1}, {2, 2}, {2, 4}, {4, 1}, {4, 2}, {4, 4}, {8, 1}, {8, 2}}) {
        poison(dall);
        launch_gemm_mma_tiled(o.x.as<float>(), split, m, k, o.w.as<bf16>(), n, dall.as<float>(), nt, mt, nullptr);
        const auto all = download<float>(dall, size_t(m) * n);
        EXPECT_EQ(0, std::memcmp(alone.data(), all.data(), alone.size() * 4))
            << "tile " << nt << "x" << mt << ", k=" << k << ", split=" << split;
      }
    }
  EXPECT_THROW(launch_gemm_mma_tiled(nullptr, true, 1, 64, nullptr, 1, nullptr, 8, 4, nullptr), Error);
}

// Which products split k: the few-row-block products with a deep k on Hopper (the 1.5B down
// product), never the thin ones or those with many row blocks, and the same answer every time.
TEST(CudaGemmMma, SplitsKOnlyWhereRowBlocksAreFew) {
  STRIDE_REQUIRE_GPU();
  int dev = 0, major = 0;
  ASSERT_EQ(cudaSuccess, cudaGetDevice(&dev));
  ASSERT_EQ(cudaSuccess, cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
  EXPECT_EQ(1, gemm_mma_split_k(151936, 1536));  // an LM head
  EXPECT_EQ(1, gemm_mma_split_k(1536, 128));     // thin
  const int down = gemm_mma_split_k(1536, 8960);
  if (major >= 9 && !std::getenv("STRIDE_GEMM_SPLITK")) {
    EXPECT_GE(down, 2);
    EXPECT_LE(down, 8);
  }
  EXPECT_EQ(down, gemm_mma_split_k(1536, 8960));
  // The slices follow the row blocks: the 7B o and down products (224 row blocks, both deep enough)
  // split alike, into 2 where two slices fit one wave of the one-token kernel (H100: 4 blocks per
  // SM, 528); the 7B qkv product (288 row blocks) never into more.
  const int o7 = gemm_mma_split_k(3584, 3584);
  EXPECT_EQ(o7, gemm_mma_split_k(3584, 18944));
  EXPECT_LE(gemm_mma_split_k(4608, 3584), o7);
  EXPECT_LE(o7, 2);
  std::printf("split-K slices: 1.5B down %d, 7B o/down %d, 7B qkv %d\n", down, o7, gemm_mma_split_k(4608, 3584));
}

}  // namespace
}  // namespace stride::cuda::test
