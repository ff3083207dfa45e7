// The CPU backend against a naive float64 decoder written here from the Qwen2 definition, on a
// random model with GQA (4 query heads, 2 KV heads) and arbitrary positions.
#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "model/model_config.h"
#include "model/model_weights.h"
#include "random_model.h"
#include "runtime/cpu/cpu_backend.h"

namespace fs = std::filesystem;
using namespace stride;

namespace {

using Vec = std::vector<double>;

Vec doubles(const TensorView& t) {
  std::vector<float> f;
  t.to_float(f);
  return Vec(f.begin(), f.end());
}

// y = W x (+ b), W is [out, in].
Vec linear(const TensorView& w, const Vec& x, const TensorView* bias = nullptr) {
  const Vec W = doubles(w);
  const size_t out = size_t(w.shape[0]), in = size_t(w.shape[1]);
  Vec y(out, 0.0);
  for (size_t j = 0; j < out; ++j) {
    for (size_t k = 0; k < in; ++k) y[j] += W[j * in + k] * x[k];
    if (bias && bias->data) y[j] += doubles(*bias)[j];
  }
  return y;
}

Vec rms_norm(const Vec& x, const TensorView& w, double eps) {
  const Vec g = doubles(w);
  double ss = 0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = g[i] * x[i] * s;
  return y;
}

// Rotate-half RoPE on each head of width hd.
void rope(Vec& x, int hd, int pos, double theta) {
  for (size_t h = 0; h < x.size() / hd; ++h) {
    for (int i = 0; i < hd / 2; ++i) {
      const double angle = pos * std::pow(theta, -2.0 * i / hd);
      double& a = x[h * hd + i];
      double& b = x[h * hd + i + hd / 2];
      const double na = a * std::cos(angle) - b * std::sin(angle);
      const double nb = b * std::cos(angle) + a * std::sin(angle);
      a = na;
      b = nb;
    }
  }
}

// Logits of every token of a causal sequence with the given positions.
std::vector<Vec> reference_forward(const ModelWeights& w, const std::vector<int>& tokens, const std::vector<int>& pos) {
  const ModelConfig& c = w.config();
  const int hd = c.head_dim, n = int(tokens.size()), group = c.num_heads / c.num_kv_heads;
  const Vec E = doubles(w.embed());
  std::vector<Vec> x(n);
  for (int t = 0; t < n; ++t) x[t] = Vec(E.begin() + size_t(tokens[t]) * c.hidden_size, E.begin() + size_t(tokens[t] + 1) * c.hidden_size);
  for (const LayerWeights& L : w.layers()) {
    std::vector<Vec> q(n), k(n), v(n);
    for (int t = 0; t < n; ++t) {
      const Vec h = rms_norm(x[t], L.input_norm, c.rms_norm_eps);
      q[t] = linear(L.q, h, &L.q_bias);
      k[t] = linear(L.k, h, &L.k_bias);
      v[t] = linear(L.v, h, &L.v_bias);
      rope(q[t], hd, pos[t], c.rope_theta);
      rope(k[t], hd, pos[t], c.rope_theta);
    }
    for (int t = 0; t < n; ++t) {
      Vec att(size_t(c.num_heads) * hd, 0.0);
      for (int h = 0; h < c.num_heads; ++h) {
        const int kvh = h / group;
        Vec s(t + 1);
        double m = -1e300;
        for (int u = 0; u <= t; ++u) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[t][h * hd + i] * k[u][kvh * hd + i];
          s[u] = d / std::sqrt(double(hd));
          m = std::max(m, s[u]);
        }
        double z = 0;
        for (double& e : s) z += (e = std::exp(e - m));
        for (int u = 0; u <= t; ++u)
          for (int i = 0; i < hd; ++i) att[h * hd + i] += s[u] / z * v[u][kvh * hd + i];
      }
      const Vec o = linear(L.o, att);
      for (size_t i = 0; i < o.size(); ++i) x[t][i] += o[i];
      const Vec h2 = rms_norm(x[t], L.post_attn_norm, c.rms_norm_eps);
      const Vec g = linear(L.gate, h2), u = linear(L.up, h2);
      Vec a(g.size());
      for (size_t i = 0; i < g.size(); ++i) a[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      const Vec dn = linear(L.down, a);
      for (size_t i = 0; i < dn.size(); ++i) x[t][i] += dn[i];
    }
  }
  std::vector<Vec> logits(n);
  for (int t = 0; t < n; ++t) logits[t] = linear(w.lm_head(), rms_norm(x[t], w.final_norm(), c.rms_norm_eps));
  return logits;
}

void check(bool tied, bool bf16, uint64_t seed) {
  const std::string dir = (fs::temp_directory_path() / ("stride_cpu_ref_" + std::to_string(seed) + "_" + std::to_string(::getpid()))).string();
  test::RandomModelSpec spec;  // hidden 32, 2 layers, 4 heads : 2 KV heads, vocab 256
  spec.tie_word_embeddings = tied;
  spec.bf16 = bf16;
  spec.rope_theta = 10000.0;
  test::write_random_qwen2_model(dir, spec, seed);
  auto weights = std::shared_ptr<const ModelWeights>(ModelWeights::load(dir, ModelConfig::load(dir)));

  std::mt19937 rng{unsigned(seed)};
  std::vector<int> tokens, pos;
  int p = 0;
  for (int i = 0; i < 12; ++i) {
    tokens.push_back(int(rng() % spec.vocab_size));
    p += 1 + int(rng() % 300);  // arbitrary, increasing, large positions exercise RoPE
    pos.push_back(p);
  }
  const auto want = reference_forward(*weights, tokens, pos);

  // The backend gets the sequence in three chunks: 5 prefilled, 4 batched, 3 one by one.
  auto b = make_cpu_backend(weights, 2, 32);
  std::vector<std::vector<float>> got;
  size_t start = 0;
  for (size_t len : {5u, 4u, 1u, 1u, 1u}) {
    StepInput in;
    in.tokens.assign(tokens.begin() + start, tokens.begin() + start + len);
    in.positions.assign(pos.begin() + start, pos.begin() + start + len);
    b->forward(in);
    for (size_t r = 0; r < len; ++r) {
      got.emplace_back();
      b->logits(int(r), got.back());
    }
    std::vector<int> rows(len);
    for (size_t r = 0; r < len; ++r) rows[r] = int(r);
    b->accept(rows);
    start += len;
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t t = 0; t < want.size(); ++t) {
    ASSERT_EQ(got[t].size(), want[t].size());
    for (size_t i = 0; i < want[t].size(); ++i) {
      // EXPECT_NEAR fails on NaN, and isfinite makes that explicit.
      ASSERT_TRUE(std::isfinite(got[t][i])) << "token " << t << " logit " << i;
      ASSERT_NEAR(got[t][i], want[t][i], 2e-4 * std::max(1.0, std::abs(want[t][i]))) << "token " << t << " logit " << i;
    }
  }
  fs::remove_all(dir);
}

}  // namespace

TEST(ReferenceForward, TiedBf16) { check(true, true, 21); }
TEST(ReferenceForward, UntiedF32) { check(false, false, 22); }
