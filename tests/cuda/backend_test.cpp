// The CUDA backend as a whole: batch invariance, accept/truncate, and the tiny real model
// against the CPU reference backend and the Hugging Face greedy fixture.
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "cuda_test_util.h"
#include "runtime/cpu/cpu_backend.h"

namespace stride::cuda::test {
namespace {

StepInput causal_step(const std::vector<int32_t>& toks, int first_pos, int logits_from = 0) {
  StepInput in;
  in.tokens = toks;
  for (size_t i = 0; i < toks.size(); ++i) in.positions.push_back(first_pos + int(i));
  in.logits_from = logits_from;
  return in;
}

std::vector<int32_t> random_tokens(std::mt19937& rng, int n, int vocab) {
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % vocab);
  return t;
}

void accept_all(Backend& b, int n) {
  std::vector<int> rows(n);
  for (int i = 0; i < n; ++i) rows[i] = i;
  b.accept(rows);
}

// Sets an environment variable for the lifetime of the object (backends read their switches when built).
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const char* v) : name(n) { setenv(n, v, 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

// A random-weight backend (capacity 2048) built while the given switches are set: the backend
// reads them once, at construction.
std::unique_ptr<Backend> backend_with(const ModelConfig& c, uint64_t seed,
                                      std::initializer_list<std::pair<const char*, const char*>> env) {
  std::vector<std::unique_ptr<ScopedEnv>> set;
  for (const auto& [name, value] : env) set.push_back(std::make_unique<ScopedEnv>(name, value));
  return make_cuda_backend_random(c, seed, 2048);
}

// Logits of the last three rows of one prompt step over toks (1300 tokens: two chunks of 1024 + 276
// rows under STRIDE_CUDA_PREFILL_CHUNK=1024).
std::vector<std::vector<float>> prompt_tail_logits(Backend& b, const std::vector<int32_t>& toks) {
  const int n = static_cast<int>(toks.size());
  b.forward(causal_step(toks, 0, n - 3));
  std::vector<std::vector<float>> out(3);
  for (int r = 0; r < 3; ++r) b.logits(n - 3 + r, out[r]);
  return out;
}

// The other decode paths (separate RMSNorm and residual-add kernels instead of the folded forms,
// padded rows) must keep every result bit-identical too: the test below runs once with the
// defaults and once with them.
std::vector<std::unique_ptr<ScopedEnv>> opt_ins(bool on) {
  std::vector<std::unique_ptr<ScopedEnv>> e;
  if (!on) return e;
  e.push_back(std::make_unique<ScopedEnv>("STRIDE_CUDA_FOLD_NORMS", "0"));
  e.push_back(std::make_unique<ScopedEnv>("STRIDE_CUDA_ROW_BUCKET", "8"));
  return e;
}

// Wide enough (k >= 512) that every product of a step of 9 or more tokens takes the warpgroup form
// where it runs (sm_90a), the separate norm, SwiGLU and attention kernels writing its inputs as
// activation images under opt_ins(true).
ModelConfig wide_test_config() {
  ModelConfig c = small_test_config();
  c.hidden_size = 512;
  c.num_heads = 8;
  c.intermediate_size = 1024;
  return c;
}

TEST(CudaBackend, LogitsAreBitIdenticalWithOneOrSixtyFourTokensPerStep) {
  STRIDE_REQUIRE_GPU();
  for (const bool opt_in : {false, true}) {
  SCOPED_TRACE(opt_in ? "separate norm kernels, rows padded to multiples of 8" : "defaults");
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = wide_test_config();
  const uint64_t seed = rng();
  std::unique_ptr<Backend> a, b;
  {
    const auto env = opt_ins(opt_in);  // read when a backend is made
    a = make_cuda_backend_random(c, seed, 512);
    b = make_cuda_backend_random(c, seed, 512);
  }
  const auto prefix = random_tokens(rng, 10, c.vocab_size), step = random_tokens(rng, 64, c.vocab_size);
  for (Backend* x : {a.get(), b.get()}) {
    x->forward(causal_step(prefix, 0));
    accept_all(*x, 10);
  }
  a->forward(causal_step(step, 10));  // M = 64
  std::vector<float> la, lb;
  for (int row : {0, 1, 31, 63}) {
    // b walks the same tokens one per step (M = 1); its cache then holds exactly a's visible keys.
    if (row > 0) {
      b->truncate(10);
      std::vector<int32_t> before(step.begin(), step.begin() + row);
      b->forward(causal_step(before, 10));
      accept_all(*b, row);
    } else {
      b->truncate(10);
    }
    b->forward(causal_step({step[row]}, 10 + row));
    a->logits(row, la);
    b->logits(0, lb);
    ASSERT_EQ(la.size(), lb.size());
    EXPECT_EQ(0, std::memcmp(la.data(), lb.data(), la.size() * 4)) << "row " << row;
    EXPECT_EQ(a->argmax()[row], b->argmax()[0]);
  }
  }
}

TEST(CudaBackend, AcceptOfTreeRowsEqualsTheChainComputedAlone) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = small_test_config();
  const uint64_t seed = rng();
  auto tree = make_cuda_backend_random(c, seed, 512), chain = make_cuda_backend_random(c, seed, 512);
  const auto prefix = random_tokens(rng, 21, c.vocab_size), t = random_tokens(rng, 6, c.vocab_size);
  for (Backend* x : {tree.get(), chain.get()}) {
    x->forward(causal_step(prefix, 0));
    accept_all(*x, 21);
  }
  // Tree: rows 0, 2, 4 form the chain t0 t2 t4; rows 1 and 3 are rejected branches.
  StepInput in;
  in.tokens = {t[0], t[1], t[2], t[3], t[4]};
  in.positions = {21, 22, 22, 23, 23};
  const int n = 5;
  in.mask.assign(n * n, 0);
  auto allow = [&](int i, int j) { in.mask[i * n + j] = 1; };
  for (int i = 0; i < n; ++i) allow(i, i), allow(i, 0);
  allow(3, 1);
  allow(4, 2);
  tree->forward(in);
  tree->accept({0, 2, 4});
  EXPECT_EQ(tree->cache_len(), 24);
  tree->forward(causal_step({t[5]}, 24));
  chain->forward(causal_step({t[0], t[2], t[4]}, 21));
  accept_all(*chain, 3);
  chain->forward(causal_step({t[5]}, 24));
  std::vector<float> lt, lc;
  tree->logits(0, lt);
  chain->logits(0, lc);
  EXPECT_EQ(0, std::memcmp(lt.data(), lc.data(), lt.size() * 4));
}

// The accepted chain lies on rows 0, 50 and 120 of a 121-row tree step over a 60-token cache, so
// its keys sit in three different attention chunks of the tree step but in one chunk when the chain
// is decoded alone: the attention must walk them in the packed order of plain decoding. Run with the
// defaults and with the opt-ins on a wider model (masked steps whose products read images).
TEST(CudaBackend, ScatteredTreeRowsGiveTheLogitsOfPlainDecodingBitForBit) {
  STRIDE_REQUIRE_GPU();
  for (const bool opt_in : {false, true}) {
  SCOPED_TRACE(opt_in ? "separate norm kernels, rows padded to multiples of 8" : "defaults");
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = opt_in ? wide_test_config() : small_test_config();
  const uint64_t seed = rng();
  std::unique_ptr<Backend> tree, plain;
  {
    const auto env = opt_ins(opt_in);  // read when a backend is made
    tree = make_cuda_backend_random(c, seed, 512);
    plain = make_cuda_backend_random(c, seed, 512);
  }
  const auto prefix = random_tokens(rng, 60, c.vocab_size);
  for (Backend* x : {tree.get(), plain.get()}) {
    x->forward(causal_step(prefix, 0));
    accept_all(*x, 60);
  }
  const int n = 121;
  const std::vector<int> chain = {0, 50, 120};
  StepInput in;
  in.tokens = random_tokens(rng, n, c.vocab_size);
  in.positions.assign(n, 61);
  in.mask.assign(size_t(n) * n, 0);
  for (int i = 0; i < n; ++i) in.mask[size_t(i) * n + i] = 1, in.mask[size_t(i) * n] = 1;  // itself and row 0
  in.positions[0] = 60;
  in.positions[120] = 62;
  in.mask[size_t(120) * n + 50] = 1;
  tree->forward(in);
  std::vector<float> lt, lp;
  for (size_t d = 0; d < chain.size(); ++d) {
    plain->forward(causal_step({in.tokens[chain[d]]}, 60 + int(d)));
    plain->logits(0, lp);
    tree->logits(chain[d], lt);
    EXPECT_EQ(0, std::memcmp(lt.data(), lp.data(), lt.size() * 4)) << "chain token " << d << " (tree row " << chain[d] << ")";
    EXPECT_EQ(tree->argmax()[chain[d]], plain->argmax()[0]);
    plain->accept({0});
  }
  }
}

TEST(CudaBackend, TruncateThenRecomputeGivesTheSameLogitsAndLongStepsRunInChunks) {
  STRIDE_REQUIRE_GPU();
  ScopedEnv chunk("STRIDE_CUDA_PREFILL_CHUNK", "1024");  // chunk boundaries at 1024 and 2048
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = small_test_config();
  auto b = make_cuda_backend_random(c, rng(), 3000);
  const auto toks = random_tokens(rng, 2500, c.vocab_size);
  // 2500 tokens: three chunks through the cuBLAS path; compare its last row with the GEMV path.
  b->forward(causal_step(toks, 0, 2499));
  std::vector<float> full;
  b->logits(2499, full);
  b->truncate(0);
  std::vector<int32_t> head(toks.begin(), toks.end() - 1);
  b->forward(causal_step(head, 0, 2498));
  accept_all(*b, 2499);
  b->forward(causal_step({toks.back()}, 2499));
  std::vector<float> step;
  b->logits(0, step);
  std::vector<double> ref(full.begin(), full.end());
  EXPECT_LT(rel_error(step, ref), 2e-2);
  b->truncate(2000);
  EXPECT_EQ(b->cache_len(), 2000);
  EXPECT_THROW(b->forward(causal_step(random_tokens(rng, 1001, c.vocab_size), 2000)), Error);
}

TEST(CudaBackend, FlashPrefillAttentionGivesTheLogitsOfTheSplitKernel) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  ModelConfig c = small_test_config();
  c.head_dim = 128;  // the head size of the 1.5B and 7B models
  c.num_heads = 2;
  c.num_kv_heads = 1;
  const uint64_t seed = rng();
  std::unique_ptr<Backend> split;
  {
    ScopedEnv env("STRIDE_CUDA_PREFILL_ATTENTION", "split");
    split = make_cuda_backend_random(c, seed, 3000);
  }
  std::unique_ptr<Backend> flash;
  {
    ScopedEnv env("STRIDE_CUDA_PREFILL_ATTENTION", "flash");
    flash = make_cuda_backend_random(c, seed, 3000);
  }
  // A 2300-token prompt runs in two chunks (2048 + 252, the later one over a committed prefix), then a
  // 333-token prompt step on top of it (prefix reuse); the last 5 rows of each get logits.
  const auto toks = random_tokens(rng, 2633, c.vocab_size);
  const std::vector<int32_t> first(toks.begin(), toks.begin() + 2300), second(toks.begin() + 2300, toks.end());
  int pos = 0;
  for (const auto* part : {&first, &second}) {
    const int n = int(part->size());
    split->forward(causal_step(*part, pos, n - 5));
    flash->forward(causal_step(*part, pos, n - 5));
    for (int row = n - 5; row < n; ++row) {
      std::vector<float> lf, ls;
      flash->logits(row, lf);
      split->logits(row, ls);
      std::vector<double> ref(ls.begin(), ls.end());
      EXPECT_LT(rel_error(lf, ref), 1e-2) << "row " << row << " of a " << n << "-token prompt step at " << pos;
    }
    accept_all(*split, n);
    accept_all(*flash, n);
    pos += n;
  }
}

TEST(CudaBackend, CublasLtPromptProductsGiveTheLogitsOfCublasGemmEx) {
  STRIDE_REQUIRE_GPU();
  ScopedEnv chunk("STRIDE_CUDA_PREFILL_CHUNK", "1024");
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = small_test_config();
  const uint64_t seed = rng();
  auto plain = make_cuda_backend_random(c, seed, 2048);
  std::unique_ptr<Backend> lt;
  {
    ScopedEnv env("STRIDE_CUDA_PREFILL_GEMM", "lt");
    lt = make_cuda_backend_random(c, seed, 2048);
  }
  for (int n : {600, 1500}) {  // one chunk, then two (1024 + 476)
    const auto toks = random_tokens(rng, n, c.vocab_size);
    plain->truncate(0);
    lt->truncate(0);
    plain->forward(causal_step(toks, 0, n - 3));
    lt->forward(causal_step(toks, 0, n - 3));
    for (int row = n - 3; row < n; ++row) {
      std::vector<float> a, b;
      lt->logits(row, a);
      plain->logits(row, b);
      std::vector<double> ref(b.begin(), b.end());
      EXPECT_LT(rel_error(a, ref), 1e-3) << "row " << row << " of " << n;
    }
  }
}

TEST(CudaBackend, PromptStepsWithBf16InputsGiveTheSameLogitsBitForBit) {
  STRIDE_REQUIRE_GPU();
  ScopedEnv chunk("STRIDE_CUDA_PREFILL_CHUNK", "1024");
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = small_test_config();
  const uint64_t seed = rng();
  auto plain = backend_with(c, seed, {{"STRIDE_CUDA_PREFILL_BF16", "0"}, {"STRIDE_CUDA_PREFILL_GATE_BF16", "0"}});
  auto direct = backend_with(c, seed, {{"STRIDE_CUDA_PREFILL_BF16", "1"}, {"STRIDE_CUDA_PREFILL_GATE_BF16", "0"}});
  // The norms and SwiGLU round to bf16 exactly as the conversion pass does, so cuBLAS gets the same
  // operands: same bits, over two chunks (1024 + 276 rows).
  const auto toks = random_tokens(rng, 1300, c.vocab_size);
  const auto a = prompt_tail_logits(*direct, toks), b = prompt_tail_logits(*plain, toks);
  for (size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a[r].size(), b[r].size());
    EXPECT_EQ(0, std::memcmp(a[r].data(), b[r].data(), a[r].size() * 4)) << "row " << 1297 + r;
  }
}

// Prompt steps with the gate/up product written in bf16 (STRIDE_CUDA_PREFILL_GATE_BF16=1) round
// one more activation: logits within bf16 error of the float32 path, never NaN.
TEST(CudaBackend, PromptStepsWithBf16GateUpStayWithinBf16ErrorOfFloat) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const ModelConfig c = small_test_config();
  const uint64_t seed = rng();
  auto plain = backend_with(c, seed, {{"STRIDE_CUDA_PREFILL_GATE_BF16", "0"}});
  auto gate_bf16 = backend_with(c, seed, {{"STRIDE_CUDA_PREFILL_GATE_BF16", "1"}});
  const auto toks = random_tokens(rng, 1300, c.vocab_size);
  const auto a = prompt_tail_logits(*gate_bf16, toks), b = prompt_tail_logits(*plain, toks);
  for (size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a[r].size(), b[r].size());
    std::vector<double> ref(b[r].begin(), b[r].end());
    const double err = rel_error(a[r], ref);
    EXPECT_LT(err, 1e-2) << "row " << 1297 + r;
    EXPECT_GT(err, 0.0) << "row " << 1297 + r << ": the switch changed nothing";
  }
}

std::string shared(const std::string& rel) { return std::string(STRIDE_SHARED_DIR) + "/" + rel; }

TEST(CudaBackend, TinyModelMatchesCpuBackendAndGreedyFixture) {
  STRIDE_REQUIRE_GPU();
  const std::string dir = shared("models/tiny-qwen2-coder");
  const ModelConfig config = ModelConfig::load(dir);
  std::shared_ptr<const ModelWeights> w(ModelWeights::load(dir, config));
  auto gpu = make_cuda_backend(w, 256);
  auto cpu = make_cpu_backend(w, 0, 256);
  std::ifstream f(shared("fixtures/tiny-qwen2-coder-reference.json"));
  ASSERT_TRUE(f) << "fixture missing";
  const auto fx = nlohmann::json::parse(f);
  int compared = 0;
  for (const auto& g : fx.at("greedy")) {
    const auto prompt = g.at("prompt_ids").get<std::vector<int32_t>>();
    const auto expect = g.at("greedy_ids").get<std::vector<int32_t>>();
    const auto margins = g.at("top1_margins").get<std::vector<double>>();
    gpu->truncate(0);
    cpu->truncate(0);
    StepInput in = causal_step(prompt, 0, 0);
    gpu->forward(in);
    cpu->forward(in);
    std::vector<float> lg, lc;
    for (int row : {0, int(prompt.size()) - 1}) {
      gpu->logits(row, lg);
      cpu->logits(row, lc);
      std::vector<double> ref(lc.begin(), lc.end());
      EXPECT_LT(rel_error(lg, ref), 1e-2) << "row " << row;
    }
    accept_all(*gpu, int(prompt.size()));
    int next = gpu->argmax().back();
    for (size_t t = 0; t < expect.size(); ++t) {
      // A near tie in the reference ends the comparison: the GPU runs the prompt with bf16
      // activations (cuBLAS) and decode products with bf16 hi + lo activations (~16 bits), so
      // logits may differ from the float32 reference by a few 1e-3 (seen: margin 2.8e-3 flipped).
      if (t < margins.size() && margins[t] < 1e-2) break;
      ASSERT_EQ(next, expect[t]) << "token " << t << " of a greedy continuation";
      ++compared;
      if (t + 1 == expect.size()) break;
      gpu->forward(causal_step({next}, gpu->cache_len()));
      accept_all(*gpu, 1);
      next = gpu->argmax()[0];
    }
  }
  EXPECT_GT(compared, 0);
}

}  // namespace
}  // namespace stride::cuda::test
