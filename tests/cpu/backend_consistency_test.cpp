// The CPU backend agrees with itself: batched vs token-by-token, tree masks + non-prefix accept,
// truncate + re-forward. Runs on a random model (fast) with the tiny real model's layout traits
// (GQA, biases, tied embeddings).
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "model/model_config.h"
#include "model/model_weights.h"
#include "random_model.h"
#include "runtime/cpu/cpu_backend.h"
#include "runtime/step_padding.h"
#include "stride/engine.h"

namespace fs = std::filesystem;
using namespace stride;

namespace {

class BackendConsistency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string((fs::temp_directory_path() / ("stride_cpu_consistency_" + std::to_string(::getpid()))).string());
    test::RandomModelSpec spec;
    spec.vocab_size = 512;
    spec.hidden_size = 64;
    spec.intermediate_size = 128;
    spec.num_layers = 3;
    spec.num_heads = 4;
    spec.num_kv_heads = 2;
    test::write_random_qwen2_model(*dir_, spec, 11);
    weights_ = new std::shared_ptr<const ModelWeights>(ModelWeights::load(*dir_, ModelConfig::load(*dir_)));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete weights_;
    delete dir_;
  }
  std::unique_ptr<Backend> backend(int threads = 2) { return make_cpu_backend(*weights_, threads, 64); }

  static StepInput causal(const std::vector<int32_t>& tokens, int start) {
    StepInput in;
    in.tokens = tokens;
    for (size_t i = 0; i < tokens.size(); ++i) in.positions.push_back(start + int(i));
    return in;
  }
  static std::vector<int> prefix_rows(int n) {
    std::vector<int> r(n);
    for (int i = 0; i < n; ++i) r[i] = i;
    return r;
  }
  // Logits of each token fed one at a time after `prefix`.
  std::vector<std::vector<float>> sequential(const std::vector<int32_t>& prefix, const std::vector<int32_t>& tokens) {
    auto b = backend();
    b->forward(causal(prefix, 0));
    b->accept(prefix_rows(int(prefix.size())));
    std::vector<std::vector<float>> out;
    for (int32_t t : tokens) {
      b->forward(causal({t}, b->cache_len()));
      out.emplace_back();
      b->logits(0, out.back());
      b->accept({0});
    }
    return out;
  }
  static void expect_close(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_TRUE(std::isfinite(a[i]) && std::isfinite(b[i])) << what << " index " << i;
      ASSERT_NEAR(a[i], b[i], 1e-4 * std::max(1.0f, std::abs(b[i]))) << what << " index " << i;
    }
  }

  static std::string* dir_;
  static std::shared_ptr<const ModelWeights>* weights_;
};
std::string* BackendConsistency::dir_ = nullptr;
std::shared_ptr<const ModelWeights>* BackendConsistency::weights_ = nullptr;

}  // namespace

TEST_F(BackendConsistency, BatchedCausalEqualsTokenByToken) {
  const std::vector<int32_t> prefix = {5, 17, 300};
  const std::vector<int32_t> tokens = {42, 7, 7, 511, 0, 99};
  auto expected = sequential(prefix, tokens);

  auto b = backend();
  b->forward(causal(prefix, 0));
  b->accept(prefix_rows(3));
  b->forward(causal(tokens, 3));  // empty mask = causal
  std::vector<float> row;
  for (size_t i = 0; i < tokens.size(); ++i) {
    b->logits(int(i), row);
    expect_close(row, expected[i], "batched row");
  }
  // The same with an explicit lower-triangular mask, and a single-threaded backend.
  auto one = backend(1);
  one->forward(causal(prefix, 0));
  one->accept(prefix_rows(3));
  StepInput in = causal(tokens, 3);
  const int n = int(tokens.size());
  in.mask.assign(size_t(n) * n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) in.mask[size_t(i) * n + j] = 1;
  one->forward(in);
  for (int i = 0; i < n; ++i) {
    one->logits(i, row);
    expect_close(row, expected[i], "masked row");
  }
}

TEST_F(BackendConsistency, TreeMaskAndNonPrefixAcceptEqualSequential) {
  const std::vector<int32_t> prefix = {1, 2, 3, 4};
  // Sequential truth: a b c, then d.
  const int32_t a = 10, b_ = 20, c = 30, d = 40, x = 77, y = 88;
  auto expected = sequential(prefix, {a, b_, c, d});

  auto b = backend();
  b->forward(causal(prefix, 0));
  b->accept(prefix_rows(4));
  // Two branches interleaved: a→b→c (rows 0, 2, 4) and x→y (rows 1, 3).
  StepInput tree;
  tree.tokens = {a, x, b_, y, c};
  tree.positions = {4, 4, 5, 5, 6};
  const int n = 5;
  tree.mask.assign(n * n, 0);
  auto see = [&](int i, int j) { tree.mask[i * n + j] = 1; };
  see(0, 0);
  see(1, 1);
  see(2, 0), see(2, 2);
  see(3, 1), see(3, 3);
  see(4, 0), see(4, 2), see(4, 4);
  b->forward(tree);
  std::vector<float> row;
  b->logits(0, row);
  expect_close(row, expected[0], "row a");
  b->logits(2, row);
  expect_close(row, expected[1], "row b");
  b->logits(4, row);
  expect_close(row, expected[2], "row c");
  const auto ids = b->argmax();
  EXPECT_EQ(ids.size(), 5u);

  b->accept({0, 2, 4});
  EXPECT_EQ(b->cache_len(), 7);
  b->forward(causal({d}, 7));
  b->logits(0, row);
  expect_close(row, expected[3], "row d after accept");
}

TEST_F(BackendConsistency, TruncateThenReforwardEqualsFresh) {
  auto b = backend();
  b->forward(causal({9, 8, 7, 6, 5, 4}, 0));
  b->accept(prefix_rows(6));
  b->truncate(3);
  EXPECT_EQ(b->cache_len(), 3);
  b->forward(causal({100, 200}, 3));
  std::vector<float> got;
  b->logits(1, got);

  auto fresh = backend();
  fresh->forward(causal({9, 8, 7, 100, 200}, 0));
  std::vector<float> want;
  fresh->logits(4, want);
  expect_close(got, want, "after truncate");
}

TEST_F(BackendConsistency, ArgmaxMatchesLogitsAndLogitsFrom) {
  auto b = backend();
  StepInput in = causal({3, 1, 4, 1, 5}, 0);
  in.logits_from = 3;
  b->forward(in);
  const auto ids = b->argmax();
  ASSERT_EQ(ids.size(), 5u);
  std::vector<float> row;
  for (int r = 3; r < 5; ++r) {
    b->logits(r, row);
    int best = 0;
    for (int t = 1; t < int(row.size()); ++t)
      if (row[t] > row[best]) best = t;
    EXPECT_EQ(ids[r], best);
  }
  EXPECT_THROW(b->logits(2, row), Error);  // below logits_from
}

TEST_F(BackendConsistency, BadInputsThrow) {
  auto b = backend();
  EXPECT_THROW(b->forward(causal({600}, 0)), Error);  // outside the vocabulary
  std::vector<int32_t> too_many(65, 1);
  EXPECT_THROW(b->forward(causal(too_many, 0)), Error);  // past capacity 64
  b->forward(causal({1, 2}, 0));
  EXPECT_THROW(b->accept({2}), Error);
  b->accept({1, 0});  // any order is allowed
  EXPECT_EQ(b->cache_len(), 2);
}

// pad_step (used by the CUDA backend's graph buckets): pad rows change nothing for the real rows,
// neither in the step itself nor, once the real rows are accepted, in the next step.
TEST_F(BackendConsistency, PaddedStepsLeaveTheRealRowsUnchanged) {
  const std::vector<int32_t> prefix = {1, 2, 3, 4};
  StepInput tree;  // branches a→b→c (rows 0, 2, 4) and x→y (rows 1, 3), as above
  tree.tokens = {10, 77, 20, 88, 30};
  tree.positions = {4, 4, 5, 5, 6};
  const int n = 5;
  tree.mask.assign(n * n, 0);
  for (auto [i, j] : std::vector<std::pair<int, int>>{{0, 0}, {1, 1}, {2, 0}, {2, 2}, {3, 1}, {3, 3}, {4, 0}, {4, 2}, {4, 4}})
    tree.mask[i * n + j] = 1;
  const StepInput chain = causal({5, 6, 7}, 7);

  for (const StepInput* step : std::vector<const StepInput*>{&tree, &chain}) {
    const int rows = int(step->tokens.size());
    for (int padded : {rows, 8, 16}) {
      StepInput p;
      pad_step(*step, padded, p);
      ASSERT_EQ(int(p.tokens.size()), padded);
      ASSERT_EQ(int(p.positions.size()), padded);
      for (int i = rows; i < padded; ++i) {
        EXPECT_EQ(p.tokens[i], step->tokens.back());
        EXPECT_EQ(p.positions[i], step->positions.back());
      }
      if (step->mask.empty()) {
        EXPECT_TRUE(p.mask.empty());  // causal: pad rows come last, no real row sees them
      } else {
        ASSERT_EQ(p.mask.size(), size_t(padded) * padded);
        for (int i = 0; i < padded; ++i)
          for (int j = 0; j < padded; ++j) {
            const uint8_t want = i < rows && j < rows ? step->mask[size_t(i) * rows + j] : uint8_t(i == j && i >= rows);
            ASSERT_EQ(p.mask[size_t(i) * padded + j], want) << i << "," << j;
          }
      }

      auto plain = backend(), pad = backend();
      for (auto* b : {&plain, &pad}) {
        (*b)->forward(causal(prefix, 0));
        (*b)->accept(prefix_rows(4));
        if (step == &chain) {  // the chain continues from a committed a, b, c
          (*b)->forward(causal({10, 20, 30}, 4));
          (*b)->accept(prefix_rows(3));
        }
      }
      plain->forward(*step);
      pad->forward(p);
      std::vector<float> want, got;
      const auto ids_plain = plain->argmax(), ids_pad = pad->argmax();
      for (int r = 0; r < rows; ++r) {
        plain->logits(r, want);
        pad->logits(r, got);
        expect_close(got, want, "padded step, real row");
        EXPECT_EQ(ids_pad[r], ids_plain[r]);
      }
      // Accept real rows only: the pad rows' K/V must not be visible afterwards.
      const std::vector<int> keep = step == &tree ? std::vector<int>{0, 2, 4} : std::vector<int>{0, 1, 2};
      plain->accept(keep);
      pad->accept(keep);
      ASSERT_EQ(pad->cache_len(), plain->cache_len());
      plain->forward(causal({40, 41}, plain->cache_len()));
      pad->forward(causal({40, 41}, pad->cache_len()));
      for (int r = 0; r < 2; ++r) {
        plain->logits(r, want);
        pad->logits(r, got);
        expect_close(got, want, "step after a padded step");
      }
    }
  }
}
