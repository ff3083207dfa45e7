// The decoder, gpt-fast style: embedding → N × (RMSNorm → attention with RoPE and a KV cache →
// residual → RMSNorm → SwiGLU MLP → residual) → RMSNorm → LM head. Weights are converted to
// float32 once; matmuls run on a small thread pool over output rows.
#include "runtime/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "runtime/cpu/cpu_ops.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/step_input_checks.h"
#include "stride/engine.h"

namespace stride {
namespace {

std::vector<float> to_float(const TensorView& t) {
  std::vector<float> v;
  if (t.data) t.to_float(v);
  return v;
}

struct CpuLayer {
  std::vector<float> input_norm, post_attn_norm;
  std::vector<float> q, k, v, o, q_bias, k_bias, v_bias;
  std::vector<float> gate, up, down;
};

const float* bias_or_null(const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); }

class CpuBackend final : public Backend {
 public:
  CpuBackend(std::shared_ptr<const ModelWeights> weights, int threads, int capacity)
      : cfg_(weights->config()), pool_(threads), capacity_(capacity) {
    if (capacity <= 0) throw Error("CPU backend: KV capacity must be positive");
    embed_ = to_float(weights->embed());
    final_norm_ = to_float(weights->final_norm());
    if (!cfg_.tie_word_embeddings) lm_head_ = to_float(weights->lm_head());
    for (const LayerWeights& w : weights->layers()) {
      CpuLayer l;
      l.input_norm = to_float(w.input_norm);
      l.post_attn_norm = to_float(w.post_attn_norm);
      l.q = to_float(w.q);
      l.k = to_float(w.k);
      l.v = to_float(w.v);
      l.o = to_float(w.o);
      l.q_bias = to_float(w.q_bias);
      l.k_bias = to_float(w.k_bias);
      l.v_bias = to_float(w.v_bias);
      l.gate = to_float(w.gate);
      l.up = to_float(w.up);
      l.down = to_float(w.down);
      layers_.push_back(std::move(l));
    }
    inv_freq_ = cpu::rope_inv_freq(cfg_.rope_theta, cfg_.head_dim);
    kv_width_ = int64_t(cfg_.num_kv_heads) * cfg_.head_dim;
    try {
      k_cache_.assign(cfg_.num_layers, std::vector<float>(size_t(capacity) * kv_width_));
      v_cache_.assign(cfg_.num_layers, std::vector<float>(size_t(capacity) * kv_width_));
    } catch (const std::bad_alloc&) {
      throw OutOfMemoryError("CPU backend: no memory for a KV cache of " + std::to_string(capacity) + " tokens");
    }
  }

  std::string name() const override { return "CPU (" + std::to_string(pool_.size()) + " threads)"; }
  const ModelConfig& config() const override { return cfg_; }
  int capacity() const override { return capacity_; }
  int cache_len() const override { return cache_len_; }

  void forward(const StepInput& in) override;
  std::vector<int32_t> argmax() override;
  void logits(int row, std::vector<float>& out) override;
  void accept(const std::vector<int>& rows) override;
  void truncate(int len) override;

 private:
  void attention(int layer, const StepInput& in, int n, const float* q, float* out);
  const float* lm_head() const { return cfg_.tie_word_embeddings ? embed_.data() : lm_head_.data(); }

  ModelConfig cfg_;
  ThreadPool pool_;
  int capacity_;
  std::vector<float> embed_, final_norm_, lm_head_;
  std::vector<CpuLayer> layers_;
  std::vector<float> inv_freq_;
  int64_t kv_width_ = 0;

  // KV cache per layer, [capacity, kv_heads * head_dim]. Slots [0, cache_len_) are committed;
  // the last forward's new tokens sit tentatively at [cache_len_, cache_len_ + last_n_).
  std::vector<std::vector<float>> k_cache_, v_cache_;
  int cache_len_ = 0;
  int last_n_ = 0;
  int logits_from_ = 0;
  std::vector<float> logits_;  // [(last_n_ - logits_from_), vocab]
};

void CpuBackend::forward(const StepInput& in) {
  check_step_input(in, "CPU backend", cfg_.vocab_size, cache_len_, capacity_);
  const int n = static_cast<int>(in.tokens.size());
  last_n_ = 0;  // a failed forward leaves nothing to accept

  const int H = cfg_.hidden_size, I = cfg_.intermediate_size, hd = cfg_.head_dim;
  const int64_t Q = int64_t(cfg_.num_heads) * hd, KV = kv_width_;
  std::vector<float> x(size_t(n) * H), h(size_t(n) * H), q(size_t(n) * Q), k(size_t(n) * KV),
      v(size_t(n) * KV), att(size_t(n) * Q), proj(size_t(n) * H), gate(size_t(n) * I), up(size_t(n) * I);

  for (int i = 0; i < n; ++i)
    std::memcpy(&x[size_t(i) * H], &embed_[size_t(in.tokens[i]) * H], sizeof(float) * H);

  for (int l = 0; l < cfg_.num_layers; ++l) {
    const CpuLayer& w = layers_[l];
    // Attention block.
    cpu::rms_norm(x.data(), w.input_norm.data(), n, H, cfg_.rms_norm_eps, h.data());
    cpu::matmul(pool_, h.data(), n, w.q.data(), bias_or_null(w.q_bias), H, Q, q.data());
    cpu::matmul(pool_, h.data(), n, w.k.data(), bias_or_null(w.k_bias), H, KV, k.data());
    cpu::matmul(pool_, h.data(), n, w.v.data(), bias_or_null(w.v_bias), H, KV, v.data());
    for (int i = 0; i < n; ++i) {
      cpu::apply_rope(&q[size_t(i) * Q], cfg_.num_heads, hd, in.positions[i], inv_freq_);
      cpu::apply_rope(&k[size_t(i) * KV], cfg_.num_kv_heads, hd, in.positions[i], inv_freq_);
    }
    std::memcpy(&k_cache_[l][size_t(cache_len_) * KV], k.data(), sizeof(float) * n * KV);
    std::memcpy(&v_cache_[l][size_t(cache_len_) * KV], v.data(), sizeof(float) * n * KV);
    attention(l, in, n, q.data(), att.data());
    cpu::matmul(pool_, att.data(), n, w.o.data(), nullptr, Q, H, proj.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += proj[i];

    // MLP block (SwiGLU).
    cpu::rms_norm(x.data(), w.post_attn_norm.data(), n, H, cfg_.rms_norm_eps, h.data());
    cpu::matmul(pool_, h.data(), n, w.gate.data(), nullptr, H, I, gate.data());
    cpu::matmul(pool_, h.data(), n, w.up.data(), nullptr, H, I, up.data());
    cpu::swiglu(gate.data(), up.data(), int64_t(n) * I, gate.data());
    cpu::matmul(pool_, gate.data(), n, w.down.data(), nullptr, I, H, proj.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += proj[i];
  }

  // Only the requested rows go through the final norm and the (large) LM head.
  const int rows = n - in.logits_from;
  logits_.resize(size_t(rows) * cfg_.vocab_size);
  if (rows > 0) {
    cpu::rms_norm(&x[size_t(in.logits_from) * H], final_norm_.data(), rows, H, cfg_.rms_norm_eps, h.data());
    cpu::matmul(pool_, h.data(), rows, lm_head(), nullptr, H, cfg_.vocab_size, logits_.data());
  }
  last_n_ = n;
  logits_from_ = in.logits_from;
}

// Causal-or-masked attention of the n new queries over the committed cache plus the new keys they
// may see (grouped-query: query head h reads KV head h / (heads / kv_heads)).
void CpuBackend::attention(int layer, const StepInput& in, int n, const float* q, float* out) {
  const int hd = cfg_.head_dim, heads = cfg_.num_heads, group = cfg_.num_heads / cfg_.num_kv_heads;
  const int64_t Q = int64_t(heads) * hd, KV = kv_width_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* K = k_cache_[layer].data();
  const float* V = v_cache_[layer].data();
  const int past = cache_len_;
  pool_.parallel_for(int64_t(n) * heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    std::vector<int> slots;
    for (int64_t job = begin; job < end; ++job) {
      const int i = static_cast<int>(job / heads), head = static_cast<int>(job % heads);
      const int64_t kv_off = int64_t(head / group) * hd;
      slots.clear();
      for (int s = 0; s < past; ++s) slots.push_back(s);
      for (int j = 0; j < n; ++j) {
        const bool visible = in.mask.empty() ? j <= i : in.mask[size_t(i) * n + j] != 0;
        if (visible) slots.push_back(past + j);
      }
      float* o = out + int64_t(i) * Q + int64_t(head) * hd;
      std::fill(o, o + hd, 0.0f);
      if (slots.empty()) continue;  // a row that sees nothing (only possible with a custom mask)
      const float* qi = q + int64_t(i) * Q + int64_t(head) * hd;
      scores.resize(slots.size());
      for (size_t t = 0; t < slots.size(); ++t) scores[t] = cpu::dot(qi, K + slots[t] * KV + kv_off, hd) * scale;
      cpu::softmax(scores.data(), static_cast<int>(scores.size()));
      for (size_t t = 0; t < slots.size(); ++t) {
        const float* vt = V + slots[t] * KV + kv_off;
        for (int d = 0; d < hd; ++d) o[d] += scores[t] * vt[d];
      }
    }
  });
}

std::vector<int32_t> CpuBackend::argmax() {
  std::vector<int32_t> ids(last_n_, -1);
  const int V = cfg_.vocab_size;
  for (int r = logits_from_; r < last_n_; ++r) {
    const float* row = &logits_[size_t(r - logits_from_) * V];
    int best = 0;
    for (int t = 1; t < V; ++t)
      if (row[t] > row[best]) best = t;  // strict: the lowest id wins ties
    ids[r] = best;
  }
  return ids;
}

void CpuBackend::logits(int row, std::vector<float>& out) {
  if (row < logits_from_ || row >= last_n_)
    throw Error("CPU backend: no logits for row " + std::to_string(row) + " of the last forward");
  const float* src = &logits_[size_t(row - logits_from_) * cfg_.vocab_size];
  out.assign(src, src + cfg_.vocab_size);
}

void CpuBackend::accept(const std::vector<int>& rows) {
  if (rows.size() > size_t(last_n_)) throw Error("CPU backend: accept of more rows than the last forward had");
  for (int r : rows)
    if (r < 0 || r >= last_n_) throw Error("CPU backend: accept of row " + std::to_string(r) + " not in the last forward");
  bool prefix = true;
  for (size_t k = 0; k < rows.size(); ++k) prefix = prefix && rows[k] == int(k);
  if (!prefix) {
    // Gather first: rows may be in any order, so moving in place could overwrite a source slot.
    std::vector<float> tmp(rows.size() * kv_width_);
    for (auto* cache : {&k_cache_, &v_cache_}) {
      for (auto& layer : *cache) {
        for (size_t k = 0; k < rows.size(); ++k)
          std::memcpy(&tmp[k * kv_width_], &layer[size_t(cache_len_ + rows[k]) * kv_width_], sizeof(float) * kv_width_);
        std::memcpy(&layer[size_t(cache_len_) * kv_width_], tmp.data(), sizeof(float) * tmp.size());
      }
    }
  }
  cache_len_ += static_cast<int>(rows.size());
  last_n_ = 0;
}

void CpuBackend::truncate(int len) {
  if (len < 0) throw Error("CPU backend: truncate to a negative length");
  cache_len_ = std::min(cache_len_, len);
  last_n_ = 0;
}

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(std::shared_ptr<const ModelWeights> weights, int threads, int capacity) {
  if (!weights) throw Error("CPU backend: no model weights");
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return std::make_unique<CpuBackend>(std::move(weights), threads, capacity);
}

}  // namespace stride
