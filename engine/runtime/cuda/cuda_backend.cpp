#include "runtime/cuda/cuda_backend.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

#include "kernels/argmax.cuh"
#include "kernels/attention.cuh"
#include "kernels/attention_prefill.cuh"
#include "kernels/convert.cuh"
#include "kernels/embedding.cuh"
#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_wgmma.cuh"
#include "kernels/gemv.cuh"
#include "kernels/kv_move.cuh"
#include "kernels/qkv_rope.cuh"
#include "kernels/rmsnorm.cuh"
#include "kernels/top_logits.cuh"
#include "kernels/swiglu.cuh"
#include "runtime/cuda/device_model.h"
#include "runtime/cuda/lt_matmul.h"
#include "runtime/cuda/paged_kv_cache.h"
#include "runtime/step_input_checks.h"
#include "runtime/step_padding.h"

namespace stride {
namespace cuda {
namespace {

// Steps longer than this run in chunks (bounded scratch memory during long prefills);
// STRIDE_CUDA_PREFILL_CHUNK=256..8192 (a multiple of 256) replaces it. 2048 rather than 1024:
// the flash attention of a chunk then has twice the blocks (H100, 1.5B shape, 2048-token prompt:
// see bench/RESULTS.md run 6); the activations of a chunk take ~0.7 GB at the 7B shape.
constexpr int kDefaultChunk = 2048;
// Steps of at most this many tokens (decode, verification) replay a captured CUDA graph, one per
// (tokens, logits_from, mask or causal, attention chunks); they use the batch-invariant kernels.
constexpr int kGraphMaxTokens = kGemvMaxTokens;
static_assert(kGemmMmaMaxTokens >= kGraphMaxTokens, "the tensor-core kernel serves every invariant step");
// Captured graphs kept; past it the least recently replayed one goes. Lookahead steps vary in rows
// and attention chunks from step to step, so a small cache that was cleared when full recaptured
// all the time.
constexpr int kMaxGraphs = 256;
// Key slots per attention split: fixed for every step of at most kGraphMaxTokens tokens (batch
// invariance); prefill steps use longer chunks (less scratch, fewer partial states).
constexpr int kDecodeKeyChunk = 64;
// Verification steps padded to 1, 2, 4, ... then multiples of this many rows (see pad_to_bucket).
constexpr int kDefaultRowBucket = 4;
constexpr int kPrefillKeyChunk = 256;
// The widest model whose decode steps fold the RMSNorms and residual adds into the products. The
// folded RMSNorm input takes 74-76 registers in the one-token tile, 3 blocks per SM instead of 4:
// the narrow models' products are latency-bound and gain the two kernels per layer, the 7B shape's
// gate/up product streams its weights at ~95% of the copy rate and loses a quarter of its loads in
// flight. H100, --step-costs ms M=1 / 8 / 16 / 64, separate kernels -> folded (session 17, same call):
// 0.5B 0.942 / 1.196 / 1.574 / 3.429 -> 0.888 / 1.124 / 1.548 / 3.763; 1.5B 1.809 / 2.270 / 2.876 /
// 6.435 -> 1.773 / 2.084 / 2.894 / 6.808; 7B 5.585 / 6.437 / 8.449 / 20.09 -> 5.792 / 6.783 / 8.303 / 20.48.
constexpr int kFoldMaxHidden = 2048;

struct Stream {
  cudaStream_t s = nullptr;
  Stream() { cuda_check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate"); }
  ~Stream() { cudaStreamDestroy(s); }
};

struct Cublas {
  cublasHandle_t h = nullptr;
  explicit Cublas(cudaStream_t s) {
    cublas_check(cublasCreate(&h), "cublasCreate");
    cublas_check(cublasSetStream(h, s), "cublasSetStream");
  }
  ~Cublas() { cublasDestroy(h); }
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(std::shared_ptr<const ModelWeights> host, std::unique_ptr<DeviceModel> model, int capacity)
      : host_(std::move(host)),
        model_(std::move(model)),
        cfg_(model_->config),
        capacity_(capacity),
        cublas_(stream_.s),
        kv_(cfg_.num_layers, cfg_.num_kv_heads * cfg_.head_dim, capacity) {
    int dev = 0;
    cudaDeviceProp prop{};
    cuda_check(cudaGetDevice(&dev), "cudaGetDevice");
    cuda_check(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");
    name_ = std::string("CUDA · ") + prop.name;
    // RoPE inverse frequencies exactly as the CPU reference computes them.
    std::vector<float> f(cfg_.head_dim / 2);
    for (int i = 0; i < cfg_.head_dim / 2; ++i)
      f[i] = static_cast<float>(1.0 / std::pow(cfg_.rope_theta, 2.0 * i / cfg_.head_dim));
    inv_freq_.allocate(f.size() * 4, "allocation of RoPE frequencies");
    cuda_check(cudaMemcpy(inv_freq_.as(), f.data(), f.size() * 4, cudaMemcpyHostToDevice), "upload of RoPE frequencies");
    // Everything a small step touches is allocated now, so its captured graphs stay valid.
    reserve_scratch(kGraphMaxTokens);
    logits_.reserve(size_t(kGraphMaxTokens) * cfg_.vocab_size * 4, "allocation of the logits");
    reserve_argmax_scratch(kGraphMaxTokens);
    step_ints_.reserve(step_input_bytes(kGraphMaxTokens, true), "allocation of step inputs");
    const size_t small = attention_partial_floats(kGraphMaxTokens, cfg_.num_heads, cfg_.head_dim,
                                                  (capacity_ + kDecodeKeyChunk - 1) / kDecodeKeyChunk);
    // The split kernel's partials of prompt chunks are reserved when a prompt step first takes it
    // (flash attention serves the others): at the 7B shape they would take ~1 GB per 8192 of capacity.
    partials_.reserve(small * 4, "allocation of attention partials");
    const int attention_rows = std::max(kGraphMaxTokens, std::min(capacity_, chunk_));
    tickets_.reserve(attention_ticket_count(attention_rows, cfg_.num_heads) * 4, "allocation of attention tickets");
    cuda_check(cudaMemset(tickets_.as(), 0, tickets_.bytes()), "clearing attention tickets");
    if (gemm_wgmma_enabled()) {
      // The warpgroup product's activation images (opt-in, gemm_wgmma.cuh), bound to this stream.
      const int k_most = std::max({cfg_.hidden_size, cfg_.intermediate_size, cfg_.num_heads * cfg_.head_dim});
      wgmma_scratch_.reserve(gemm_wgmma_scratch_bytes(k_most), "allocation of the warpgroup product's activation images");
      gemm_wgmma_bind_scratch(stream_.s, wgmma_scratch_.as<void>(), wgmma_scratch_.bytes());
    }
  }

  ~CudaBackend() override {
    if (env_on("STRIDE_CUDA_GRAPH_STATS"))
      std::fprintf(stderr, "stride: CUDA graphs: %d captured, %d evicted, %zu kept\n", graph_captures_,
                   graph_evictions_, graphs_.size());
    drop_graphs();
    if (wgmma_scratch_.bytes()) gemm_wgmma_bind_scratch(stream_.s, nullptr, 0);
  }

  std::string name() const override { return name_; }
  const ModelConfig& config() const override { return cfg_; }
  int capacity() const override { return capacity_; }
  int cache_len() const override { return cache_len_; }
  int64_t weight_bytes() const { return model_->weight_bytes; }

  void forward(const StepInput& step) override {
    const int real_n = static_cast<int>(step.tokens.size());
    validate(step);
    // Verification steps of varying sizes may be padded to a bucket (see pad_to_bucket).
    const bool small = real_n <= kGraphMaxTokens && step.logits_from == 0 && graphs_enabled_;
    const StepInput& in = small && row_bucket_ > 0 ? pad_to_bucket(step) : step;
    const int n = static_cast<int>(in.tokens.size());
    last_n_ = 0;
    argmax_host_valid_ = false;
    accepted_ = false;
    // A buffer that moves invalidates every captured graph (they hold its old address).
    const int cap = std::max(n, kGraphMaxTokens);
    bool moved = reserve_scratch(std::min(n, chunk_));
    if (!(n <= kGraphMaxTokens && in.logits_from == 0) && !prompt_attention_is_flash(in)) {
      const int rows = std::min(n, chunk_);
      moved |= partials_.reserve(attention_partial_floats(rows, cfg_.num_heads, cfg_.head_dim,
                                                          (capacity_ + kPrefillKeyChunk - 1) / kPrefillKeyChunk) * 4,
                                 "allocation of attention partials");
    }
    moved |= logits_.reserve(size_t(n - in.logits_from) * cfg_.vocab_size * 4, "allocation of the logits");
    moved |= reserve_argmax_scratch(n - in.logits_from);
    moved |= step_ints_.reserve(step_input_bytes(cap, !in.mask.empty()), "allocation of step inputs");
    if (moved) drop_graphs();
    kv_.ensure(cache_len_ + n);
    kv_.sync(stream_.s);

    // Device step inputs: [committed length, tokens (cap), positions (cap), argmax (cap), mask],
    // uploaded in one copy from pinned memory (the argmax slots go up too, the step overwrites them).
    int32_t* len_dev = step_ints_.as<int32_t>();
    int32_t* tokens = len_dev + 1;
    int32_t* positions = tokens + cap;
    int32_t* argmax = positions + cap;
    const size_t upload = step_input_bytes(cap, false) + in.mask.size();
    upload_done_.wait();  // the previous step's upload has left the staging buffer
    staging_.reserve(step_input_bytes(cap, !in.mask.empty()), "allocation of pinned step inputs");
    int32_t* h = staging_.as<int32_t>();
    h[0] = cache_len_;
    std::copy(in.tokens.begin(), in.tokens.end(), h + 1);
    std::fill(h + 1 + n, h + 1 + cap, 0);
    std::copy(in.positions.begin(), in.positions.end(), h + 1 + cap);
    std::fill(h + 1 + cap + n, h + 1 + 2 * cap, 0);
    std::copy(in.mask.begin(), in.mask.end(), reinterpret_cast<uint8_t*>(h + 1 + 3 * cap));
    cudaStream_t s = stream_.s;
    cuda_check(cudaMemcpyAsync(len_dev, h, upload, cudaMemcpyHostToDevice, s), "upload of the step inputs");
    upload_done_.record(s);

    // Decode and verification steps (logits for every row, at most kGraphMaxTokens tokens) take
    // the batch-invariant kernels; prompt steps (logits of the last rows only: prefill, prefix
    // reuse, a draft model's catch-up) take the prefill path (cuBLAS, longer attention chunks),
    // which need not match the decode path bit for bit.
    const bool invariant = n <= kGraphMaxTokens && in.logits_from == 0;
    if (invariant && graphs_enabled_) {
      replay_or_capture(in, n, len_dev, tokens, positions, argmax);
    } else {
      for (int i0 = 0; i0 < n; i0 += chunk_) {
        const int i1 = std::min(n, i0 + chunk_);
        run_chunk(in, n, i0, i1, invariant, len_dev, tokens, positions, argmax);
      }
    }
    cuda_check(cudaGetLastError(), "forward");
    argmax_dev_ = argmax;
    last_n_ = real_n;  // pad rows are never read nor accepted
    logits_from_ = in.logits_from;
  }

  // Downloaded once per forward: lookahead reads it twice a step (verification, then the window),
  // and every download waits for the stream.
  std::vector<int32_t> argmax() override {
    if (argmax_host_valid_) return argmax_host_;
    std::vector<int32_t> out(last_n_, -1);
    if (last_n_ == 0) return out;
    const int32_t* dev = argmax_dev_;
    argmax_staging_.reserve(size_t(std::max(last_n_, kGraphMaxTokens)) * 4, "allocation of the pinned argmax");
    int32_t* h = argmax_staging_.as<int32_t>();
    cuda_check(cudaMemcpyAsync(h + logits_from_, dev + logits_from_, (last_n_ - logits_from_) * 4, cudaMemcpyDeviceToHost,
                               stream_.s), "download of argmax");
    cuda_check(cudaStreamSynchronize(stream_.s), "forward (argmax)");
    std::copy(h + logits_from_, h + last_n_, out.begin() + logits_from_);
    argmax_host_ = out;
    argmax_host_valid_ = true;
    return out;
  }

  void logits(int row, std::vector<float>& out) override {
    if (row < logits_from_ || row >= last_n_)
      throw Error("CUDA backend: no logits for row " + std::to_string(row) + " of the last forward");
    out.resize(cfg_.vocab_size);
    const float* src = logits_.as<float>() + size_t(row - logits_from_) * cfg_.vocab_size;
    cuda_check(cudaMemcpyAsync(out.data(), src, size_t(cfg_.vocab_size) * 4, cudaMemcpyDeviceToHost, stream_.s),
               "download of logits");
    cuda_check(cudaStreamSynchronize(stream_.s), "forward (logits)");
  }

  // Sampling candidates computed on the device (kernels/top_logits.cuh): 8 + 8k bytes come back.
  // On by default; STRIDE_CUDA_DEVICE_SAMPLING=0 reads the whole row instead.
  void top_logits(int row, int k, float temperature, TopLogits& out) override {
    if (row < logits_from_ || row >= last_n_)
      throw Error("CUDA backend: no logits for row " + std::to_string(row) + " of the last forward");
    if (!device_sampling_ || k < 1 || k > std::min(cfg_.vocab_size, kTopLogitsMaxK))
      return Backend::top_logits(row, k, temperature, out);
    top_.reserve(8 + size_t(kTopLogitsMaxK) * 8, "allocation of sampling candidates");
    double* sum = top_.as<double>();
    int32_t* ids = reinterpret_cast<int32_t*>(sum + 1);
    float* values = reinterpret_cast<float*>(ids + kTopLogitsMaxK);
    const float* src = logits_.as<float>() + size_t(row - logits_from_) * cfg_.vocab_size;
    launch_top_logits(src, cfg_.vocab_size, k, temperature > 0 ? 1.f / temperature : 0.f, ids, values, sum, stream_.s);
    host_top_.resize(8 + size_t(kTopLogitsMaxK) * 8);
    cuda_check(cudaMemcpyAsync(host_top_.data(), sum, host_top_.size(), cudaMemcpyDeviceToHost, stream_.s),
               "download of sampling candidates");
    cuda_check(cudaStreamSynchronize(stream_.s), "forward (sampling candidates)");
    std::memcpy(&out.sum_exp, host_top_.data(), 8);
    out.ids.resize(k);
    out.values.resize(k);
    std::memcpy(out.ids.data(), host_top_.data() + 8, size_t(k) * 4);
    std::memcpy(out.values.data(), host_top_.data() + 8 + size_t(kTopLogitsMaxK) * 4, size_t(k) * 4);
    if (temperature <= 0) out.sum_exp = 0;
  }

  void accept(const std::vector<int>& rows) override {
    if (accepted_ && !rows.empty()) throw Error("CUDA backend: accept called twice for one forward");
    if (rows.size() > size_t(last_n_)) throw Error("CUDA backend: accept of more rows than the last forward had");
    std::vector<int32_t> src, dst;
    for (size_t t = 0; t < rows.size(); ++t) {
      if (rows[t] < 0 || rows[t] >= last_n_)
        throw Error("CUDA backend: accept of row " + std::to_string(rows[t]) + " not in the last forward");
      if (rows[t] != int(t)) {
        src.push_back(cache_len_ + rows[t]);
        dst.push_back(cache_len_ + int(t));
      }
    }
    if (!src.empty()) {
      const int count = static_cast<int>(src.size());
      move_scratch_.reserve(size_t(kv_.layers()) * 2 * count * kv_.row_width() * sizeof(bf16), "allocation of accept scratch");
      // The slots travel as kernel arguments: one launch, no upload. The next step is ordered after
      // the move on the same stream.
      launch_kv_move(kv_.pool(), kv_.layers(), kv_.pool_rows(), kv_.row_width(), kv_.device_table(),
                     PagedKvCache::kBlockSize, src.data(), dst.data(), count, move_scratch_.as<bf16>(), stream_.s);
      cuda_check(cudaGetLastError(), "accept");
    }
    accepted_ = true;
    argmax_host_valid_ = false;
    cache_len_ += static_cast<int>(rows.size());
    kv_.release_beyond(cache_len_);
  }

  void truncate(int len) override {
    if (len < 0) throw Error("CUDA backend: truncate to a negative length");
    if (len < cache_len_) {
      cache_len_ = len;
      kv_.release_beyond(cache_len_);
    }
    last_n_ = 0;
    argmax_host_valid_ = false;
  }

 private:
  // Matrix products of decode/verification steps, by STRIDE_CUDA_MATMUL: "mma" (default; tensor
  // cores on bf16 hi + lo activations, close to float32 accuracy), "mma-bf16" (activations rounded
  // to bf16: fewer bytes, as a bf16 model runs in Hugging Face), "gemv" (the float32 CUDA-core GEMV).
  // All three are batch invariant; a process must not mix them within one comparison.
  enum class MatmulMode { MmaSplit, MmaBf16, Gemv };
  static MatmulMode mode_from_env() {
    const char* v = std::getenv("STRIDE_CUDA_MATMUL");
    const std::string m = v ? v : "mma";
    if (m == "mma") return MatmulMode::MmaSplit;
    if (m == "mma-bf16") return MatmulMode::MmaBf16;
    if (m == "gemv") return MatmulMode::Gemv;
    throw Error("STRIDE_CUDA_MATMUL must be mma, mma-bf16 or gemv, not '" + m + "'");
  }

  // Attention of prompt steps, by STRIDE_CUDA_PREFILL_ATTENTION: "flash" (default: tensor cores,
  // attention_prefill.cuh; prefill 2048 at 1.5B 93 -> 22 ms on the H100) or "split" (the split-K
  // CUDA-core kernel that decode uses). Decode and verification steps always take the split kernel.
  static bool flash_prefill_from_env() {
    const char* v = std::getenv("STRIDE_CUDA_PREFILL_ATTENTION");
    const std::string m = v ? v : "flash";
    if (m == "split") return false;
    if (m == "flash") return true;
    throw Error("STRIDE_CUDA_PREFILL_ATTENTION must be split or flash, not '" + m + "'");
  }

  // Whether a prompt step's attention takes the flash kernel (else the split kernel and its partials).
  bool prompt_attention_is_flash(const StepInput& in) const {
    AttentionArgs a;
    a.heads = cfg_.num_heads;
    a.kv_heads = cfg_.num_kv_heads;
    a.head_dim = cfg_.head_dim;
    a.rows = 1;
    a.key_limit = 1;
    return flash_prefill_ && in.mask.empty() && attention_prefill_supports(a);
  }

  static int prefill_chunk_from_env() {
    const char* v = std::getenv("STRIDE_CUDA_PREFILL_CHUNK");
    if (!v || !*v) return kDefaultChunk;
    const int c = std::atoi(v);
    if (c < 256 || c > 8192 || c % 256 != 0)
      throw Error(std::string("STRIDE_CUDA_PREFILL_CHUNK must be a multiple of 256 in 256..8192, not '") + v + "'");
    return c;
  }

  // step_ints_: [committed length, tokens, positions, argmax] for `cap` rows, then an n×n mask
  // (n <= cap) when the step has one.
  static size_t step_input_bytes(int cap, bool mask) {
    return size_t(1 + 3 * cap) * 4 + (mask ? size_t(cap) * cap : 0);
  }
  uint8_t* step_mask(int n) const {
    const int cap = std::max(n, kGraphMaxTokens);
    return reinterpret_cast<uint8_t*>(step_ints_.as<int32_t>() + 1 + 3 * cap);
  }

  void validate(const StepInput& in) const {
    check_step_input(in, "CUDA backend", cfg_.vocab_size, cache_len_, capacity_);
    const int n = static_cast<int>(in.tokens.size());
    if (n > chunk_ && !in.mask.empty()) {
      // Chunks see only the K/V of earlier chunks: no row may attend a later chunk's token.
      for (int i = 0; i < n; ++i) {
        const int end = std::min(n, (i / chunk_ + 1) * chunk_);
        for (int j = end; j < n; ++j)
          if (in.mask[size_t(i) * n + j]) throw Error("CUDA backend: a long step's mask attends a later chunk");
      }
    }
  }

  // Graph buckets. Lookahead and draft verification steps change size from step to step and every
  // new (size, mask, attention chunks) shape captures a new CUDA graph (about as dear as a few tiny-
  // model steps). Attention chunk counts are rounded up to a multiple of kBucketSplits (free: chunks
  // past a row's keys return at once; STRIDE_CUDA_SPLIT_BUCKETS=0 turns it off). Rows may be padded
  // (STRIDE_CUDA_ROW_BUCKET=R: 1, 2, 4, ... below R, then multiples of R; 0 = none) with pad_step
  // (runtime/step_padding.h): accept() releases the pad rows' slots, their logits are never read,
  // and the batch-invariant decode kernels give the real rows exactly the unpadded results.
  static constexpr int kBucketSplits = 4;
  static int row_bucket_from_env() {
    const char* v = std::getenv("STRIDE_CUDA_ROW_BUCKET");
    if (!v || !*v) return kDefaultRowBucket;
    const std::string s = v;
    if (s == "0" || s == "4" || s == "8" || s == "16") return std::stoi(s);
    throw Error("STRIDE_CUDA_ROW_BUCKET must be 0, 4, 8 or 16, not '" + s + "'");
  }

  // An opt-in switch: on when the variable is "1".
  static bool env_on(const char* name) {
    const char* v = std::getenv(name);
    return v && std::string(v) == "1";
  }
  // A measured default: off only when the variable is "0".
  static bool env_not_off(const char* name) {
    const char* v = std::getenv(name);
    return !(v && std::string(v) == "0");
  }

  const StepInput& pad_to_bucket(const StepInput& in) {
    const int n = static_cast<int>(in.tokens.size());
    // 1, 2, 4, ... below row_bucket_, then its multiples: a one-token decode step is never padded
    // (measured: padding it to 8 rows made decode 15-20% slower).
    const int r = row_bucket_;
    int padded = 1;
    while (padded < n && padded < r) padded *= 2;
    if (n > r) padded = std::min(kGraphMaxTokens, (n + r - 1) / r * r);
    if (padded == n || cache_len_ + padded > capacity_) return in;
    pad_step(in, padded, padded_);
    return padded_;
  }

  // Attention chunks of a decode/verification step: enough for its longest row, rounded up to a
  // bucket when buckets are on (chunks past a row's keys are never read: results do not change).
  int decode_splits(int n) const {
    const int need = attention_splits(cache_len_, n, kDecodeKeyChunk);
    if (!split_buckets_) return need;
    const int most = (capacity_ + kDecodeKeyChunk - 1) / kDecodeKeyChunk;  // what partials_ holds
    return std::max(need, std::min(most, (need + kBucketSplits - 1) / kBucketSplits * kBucketSplits));
  }

  void evict_least_recent_graph() {
    auto oldest = graphs_.begin();
    for (auto it = graphs_.begin(); it != graphs_.end(); ++it)
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    cudaGraphExecDestroy(oldest->second.exec);
    graphs_.erase(oldest);
    ++graph_evictions_;
  }

  void drop_graphs() {
    for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
    graphs_.clear();
  }

  // A small step: replays the graph captured for its shape, capturing it the first time. The graph
  // reads the committed length, tokens, positions, mask and block table from fixed device buffers
  // that forward() has just filled, so it is valid for any cache length within its split count.
  void replay_or_capture(const StepInput& in, int n, const int32_t* len_dev, const int32_t* tokens,
                         const int32_t* positions, int32_t* argmax) {
    const int splits = decode_splits(n);
    const auto key = std::make_tuple(n, in.logits_from, !in.mask.empty(), splits);
    auto it = graphs_.find(key);
    if (it == graphs_.end()) {
      if (graphs_.size() >= size_t(kMaxGraphs)) evict_least_recent_graph();
      cudaStream_t s = stream_.s;
      cuda_check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "CUDA graph capture");
      try {
        run_chunk(in, n, 0, n, true, len_dev, tokens, positions, argmax);
      } catch (...) {
        cudaGraph_t broken = nullptr;
        cudaStreamEndCapture(s, &broken);
        if (broken) cudaGraphDestroy(broken);
        cudaGetLastError();
        throw;
      }
      cudaGraph_t graph = nullptr;
      cuda_check(cudaStreamEndCapture(s, &graph), "CUDA graph capture");
      cudaGraphExec_t exec = nullptr;
      const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
      cudaGraphDestroy(graph);
      cuda_check(e, "CUDA graph instantiation");
      it = graphs_.emplace(key, Graph{exec, 0}).first;
      ++graph_captures_;
    }
    it->second.last_use = ++graph_clock_;
    cuda_check(cudaGraphLaunch(it->second.exec, stream_.s), "CUDA graph launch");
  }

  // The argmax kernel's per-row records start zeroed (its ticket counters; see kernels/argmax.cuh).
  bool reserve_argmax_scratch(int rows) {
    if (!argmax_scratch_.reserve(argmax_scratch_bytes(rows), "allocation of argmax scratch")) return false;
    cuda_check(cudaMemsetAsync(argmax_scratch_.as(), 0, argmax_scratch_.bytes(), stream_.s), "clearing argmax scratch");
    return true;
  }

  bool reserve_scratch(int rows) {
    if (rows <= scratch_rows_) return false;
    const size_t h = cfg_.hidden_size, qd = size_t(cfg_.num_heads) * cfg_.head_dim;
    const size_t qkv = qd + 2 * size_t(cfg_.num_kv_heads) * cfg_.head_dim, inter = cfg_.intermediate_size;
    const size_t wide = std::max({h, inter, qd});
    residual_.reserve(rows * h * 4, "allocation of activations");
    x_.reserve(rows * wide * 4, "allocation of activations");
    xb_.reserve(rows * wide * 2, "allocation of activations");
    qkv_.reserve(rows * qkv * 4, "allocation of activations");
    q_.reserve(rows * qd * 4, "allocation of activations");
    attn_.reserve(rows * qd * 4, "allocation of activations");
    delta_.reserve(rows * h * 4, "allocation of activations");
    gu_.reserve(rows * 2 * inter * 4, "allocation of activations");
    rope_.reserve(rows * size_t(cfg_.head_dim / 2) * sizeof(float2), "allocation of activations");
    scratch_rows_ = rows;
    return true;
  }

  // y[m, n] = x[m, k] · w[n, k]ᵀ. Invariant steps: the batch-invariant tensor-core kernel (split
  // activations by default, see MatmulMode) or the float32 GEMV; prompt steps: cuBLAS on bf16
  // operands with float32 accumulation.
  void matmul(bool invariant, const float* x, int m, int k, const bf16* w, int n, float* y) {
    if (invariant) {
      if (mode_ != MatmulMode::Gemv && gemm_mma_supports(k)) {
        launch_gemm_mma(x, mode_ == MatmulMode::MmaSplit, m, k, w, n, y, stream_.s);
      } else {
        launch_gemv(x, m, k, w, n, y, stream_.s);
      }
      return;
    }
    bf16* xb = xb_.as<bf16>();
    launch_f32_to_bf16(x, int64_t(m) * k, xb, stream_.s);
    cublas_matmul(xb, m, k, w, n, y);
  }

  // Prompt-step product on bf16 activations: cuBLASLt when enabled and it has an algorithm, else
  // cublasGemmEx; float32 accumulation and result.
  void cublas_matmul(const bf16* xb, int m, int k, const bf16* w, int n, float* y) {
    if (lt_ && lt_->run(xb, m, k, w, n, y, stream_.s)) return;
    const float one = 1.f, zero = 0.f;
    cublas_check(cublasGemmEx(cublas_.h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, xb, CUDA_R_16BF, k,
                              &zero, y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  }
  // The same writing bf16 (float32 accumulation, rounded once at the end).
  void cublas_matmul_bf16_out(const bf16* xb, int m, int k, const bf16* w, int n, bf16* y) {
    const float one = 1.f, zero = 0.f;
    cublas_check(cublasGemmEx(cublas_.h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, xb, CUDA_R_16BF, k,
                              &zero, y, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx (bf16 out)");
  }

  // Where an invariant product of m rows over k into n rows takes the warpgroup form, the kernel that
  // makes its input writes the form's activation images instead of a float32 array (no split kernel,
  // no round trip; same bits): where they go. p nullptr otherwise.
  WgmmaImages product_images(bool invariant, int m, int k, int n) const {
    if (!invariant || !image_inputs_ || mode_ == MatmulMode::Gemv) return {};
    return gemm_mma_images(m, k, n, mode_ == MatmulMode::MmaSplit, stream_.s);
  }

  // add_rmsnorm of the residual stream (+= delta when given), then the product of its output.
  void norm_then_matmul(bool invariant, const float* delta, const bf16* norm, int m, const bf16* w, int n, float* y) {
    const int h = cfg_.hidden_size;
    float* residual = residual_.as<float>();
    if (const WgmmaImages img = product_images(invariant, m, h, n); img.p) {
      launch_add_rmsnorm_images(residual, delta, norm, m, h, cfg_.rms_norm_eps, img, stream_.s);
      launch_gemm_mma_on_images(img, m, w, n, y, stream_.s);
      return;
    }
    float* x = x_.as<float>();
    launch_add_rmsnorm(residual, delta, norm, m, h, cfg_.rms_norm_eps, x, stream_.s);
    matmul(invariant, x, m, h, w, n, y);
  }

  // SwiGLU of gu_, then the down product of its output.
  void swiglu_then_matmul(bool invariant, int m, const bf16* down, float* y) {
    const int h = cfg_.hidden_size, inter = cfg_.intermediate_size;
    if (const WgmmaImages img = product_images(invariant, m, inter, h); img.p) {
      launch_swiglu_images(gu_.as<float>(), m, inter, img, stream_.s);
      launch_gemm_mma_on_images(img, m, down, h, y, stream_.s);
      return;
    }
    float* x = x_.as<float>();
    launch_swiglu(gu_.as<float>(), m, inter, x, stream_.s);
    matmul(invariant, x, m, inter, down, h, y);
  }

  void run_chunk(const StepInput& in, int n, int i0, int i1, bool invariant, const int32_t* len_dev, const int32_t* tokens,
                 const int32_t* positions, int32_t* argmax) {
    const int m = i1 - i0;
    const int h = cfg_.hidden_size, hd = cfg_.head_dim, qd = cfg_.num_heads * hd, inter = cfg_.intermediate_size;
    const float eps = cfg_.rms_norm_eps;
    cudaStream_t s = stream_.s;
    float* residual = residual_.as<float>();
    float* x = x_.as<float>();
    launch_embedding(tokens + i0, m, model_->embed, h, residual, s);
    launch_rope_table(positions + i0, inv_freq_.as<float>(), m, hd, rope_.as<float2>(), s);  // once for every layer
    const bool split = mode_ == MatmulMode::MmaSplit;
    // Decode and verification steps of models up to kFoldMaxHidden wide fold the RMSNorms into the
    // products that read them and the residual adds into the products that make them (gemm_mma.cuh's
    // folded forms): two kernels fewer per layer. Every invariant step of the model takes this path or
    // none does (the fold changes the norm's float32 rounding), so a token's logits never depend on
    // its step's size. STRIDE_CUDA_FOLD_NORMS=0 turns it off, =1 forces it on for wider models.
    const bool fold = invariant && fold_norms_ != 0 && (fold_norms_ == 1 || h <= kFoldMaxHidden) &&
                      mode_ != MatmulMode::Gemv && gemm_mma_folds(h) && gemm_mma_folds(qd) && gemm_mma_folds(inter);
    // Prompt steps may have the RMSNorms and SwiGLU write the bf16 inputs of their cuBLAS products
    // directly (default; STRIDE_CUDA_PREFILL_BF16=0 turns it off): the same rounded values without a float32 copy and a
    // conversion pass (~200 MB of traffic per layer at 2048 tokens of the 1.5B shape).
    const bool bf16_inputs = !invariant && prefill_bf16_;
    // Decode and verification steps of up to 16 tokens end their q/k/v and gate/up products in
    // qkv_rope and SwiGLU (gemm_mma.cuh: two launches per layer fewer, same bits, so a token's
    // logits do not depend on which path its step took; STRIDE_CUDA_EPILOGUES=0 turns it off).
    // Unfolded products that the warpgroup form takes keep the separate kernels (faster, gemm_mma.cuh).
    const bool mma = invariant && m <= kGemmEpilogueMaxTokens && mode_ != MatmulMode::Gemv && epilogues_ &&
                     gemm_mma_supports(h);
    const int qkv_rows = (cfg_.num_heads + 2 * cfg_.num_kv_heads) * hd;
    const bool qkv_epilogue = mma && hd % 16 == 0 && (fold || !gemm_mma_takes_wgmma(m, h, qkv_rows, s));
    const bool swiglu_epilogue = mma && inter % 8 == 0 && gemm_mma_supports(inter) &&
                                 (fold || !gemm_mma_takes_wgmma(m, h, 2 * inter, s));
    if (fold) {
      run_folded_layers(m, i0, len_dev, split, qkv_epilogue, swiglu_epilogue, in, n, i1);
    } else {
      run_layers(m, i0, i1, n, in, invariant, len_dev, split, bf16_inputs, qkv_epilogue, swiglu_epilogue);
    }
    const int lo = std::max(i0, in.logits_from);
    if (lo < i1) {
      float* out = logits_.as<float>() + size_t(lo - in.logits_from) * cfg_.vocab_size;
      if (fold) {
        // The final norm folded into the LM head (invariant steps: logits for every row).
        launch_gemm_mma_fused(residual + size_t(lo - i0) * h, split, i1 - lo, h, model_->lm_head, cfg_.vocab_size,
                              out, rms_norm_input(model_->final_norm, eps), s);
      } else if (lo == i0) {
        norm_then_matmul(invariant, delta_.as<float>(), model_->final_norm, m, model_->lm_head, cfg_.vocab_size, out);
      } else {
        launch_add_rmsnorm(residual, delta_.as<float>(), model_->final_norm, m, h, eps, x, s);
        matmul(invariant, x + size_t(lo - i0) * h, i1 - lo, h, model_->lm_head, cfg_.vocab_size, out);
      }
      launch_argmax(out, i1 - lo, cfg_.vocab_size, argmax + lo, argmax_scratch_.as(), s);
    }
  }

  // The attention of layer l for rows i0 .. i1 of the step (q_ holds their queries; attn_ gets the output).
  // out_images: where the output goes instead of attn_ (the o product's images; invariant steps).
  void run_attention(const StepInput& in, int n, int i0, int i1, bool invariant, const int32_t* len_dev, int l,
                     bool bf16_inputs, bool* attn_in_xb, const WgmmaImages& out_images = {}) {
    const int hd = cfg_.head_dim, H = cfg_.num_heads, KV = cfg_.num_kv_heads;
    cudaStream_t s = stream_.s;
    const KvLayer kv = kv_.layer(l);
    AttentionArgs a;
    a.q = q_.as<float>();
    a.out = attn_.as<float>();
    a.rows = i1 - i0;
    a.first_row = i0;
    a.heads = H;
    a.kv_heads = KV;
    a.head_dim = hd;
    a.cache_len = cache_len_;
    a.cache_len_dev = len_dev;
    a.key_limit = i1;
    a.mask = in.mask.empty() ? nullptr : step_mask(n);
    a.mask_stride = n;
    a.scale = 1.f / std::sqrt(static_cast<float>(hd));
    a.chunk = invariant ? kDecodeKeyChunk : kPrefillKeyChunk;
    a.splits = invariant ? decode_splits(i1) : attention_splits(cache_len_, i1, a.chunk);
    a.partials = partials_.as<float>();
    a.tickets = merge_in_chunks_ ? tickets_.as<unsigned>() : nullptr;
    // A prompt step's flash attention may write the bf16 input of its cuBLAS o product directly
    // (the same rounding as the conversion pass; xb_ is free again once the qkv product ran).
    *attn_in_xb = false;
    if (!invariant && flash_prefill_ && attention_prefill_supports(a)) {
      *attn_in_xb = bf16_inputs;
      if (*attn_in_xb) a.out_bf16 = xb_.as<bf16>();
      launch_attention_prefill(a, kv, s);
    } else {
      a.out_images = out_images;
      launch_attention(a, kv, s);
    }
  }

  QkvRopeArgs qkv_rope_args(int l, int i0, const int32_t* len_dev) {
    QkvRopeArgs qa;
    qa.bias = model_->layers[l].qkv_bias;
    qa.rope = rope_.as<float2>();
    qa.heads = cfg_.num_heads;
    qa.kv_heads = cfg_.num_kv_heads;
    qa.head_dim = cfg_.head_dim;
    qa.q = q_.as<float>();
    qa.kv = kv_.layer(l);
    qa.base_slot = len_dev;
    qa.first_slot = i0;
    return qa;
  }

  // A folded product's RMSNorm input (gemm_mma.cuh).
  static GemmFusion rms_norm_input(const bf16* weight, float eps) {
    GemmFusion f;
    f.input = GemmInput::RmsNorm;
    f.norm = weight;
    f.eps = eps;
    return f;
  }

  // The sizes a layer's kernels take: hidden, head, query heads, kv heads, q width, q/k/v width,
  // intermediate; and the RMSNorm epsilon.
  struct LayerShape {
    int h, hd, H, KV, qd, qkv_w, inter;
    float eps;
  };
  LayerShape layer_shape() const {
    const int hd = cfg_.head_dim, H = cfg_.num_heads, KV = cfg_.num_kv_heads;
    return {cfg_.hidden_size, hd, H, KV, H * hd, (H + 2 * KV) * hd, cfg_.intermediate_size, cfg_.rms_norm_eps};
  }

  // The layers of an invariant step with the norms and residual adds folded into the products:
  // residual (the embedding) is the only stream; qkv, gate/up and the LM head read it through their
  // RMSNorm, o and down add into it.
  void run_folded_layers(int m, int i0, const int32_t* len_dev, bool split, bool qkv_epilogue, bool swiglu_epilogue,
                         const StepInput& in, int n, int i1) {
    const auto [h, hd, H, KV, qd, qkv_w, inter, eps] = layer_shape();
    cudaStream_t s = stream_.s;
    float* residual = residual_.as<float>();
    float* x = x_.as<float>();
    GemmFusion add;
    add.add_into_y = true;
    // o adds into the residual that the previous layer's down product (or the embedding) wrote, down
    // into what o wrote: a kernel or more lies between in either case (the attention; gate/up), so
    // both products may load what they add to before their PDL wait.
    add.y_settled = early_epilogues_;
    for (int l = 0; l < cfg_.num_layers; ++l) {
      const DeviceLayer& L = model_->layers[l];
      const GemmNorm input_norm{L.input_norm, eps}, post_norm{L.post_attn_norm, eps};
      QkvRopeArgs qa = qkv_rope_args(l, i0, len_dev);
      // The rotation table comes from the kernel just before layer 0's q/k/v product (run_chunk);
      // the block table and the slot base from the host, before the step.
      qa.settled = early_epilogues_ && l > 0;
      if (qkv_epilogue) {
        launch_gemm_mma_qkv_rope(residual, split, m, h, L.qkv, qa, s, &input_norm);
      } else {
        launch_gemm_mma_fused(residual, split, m, h, L.qkv, qkv_w, qkv_.as<float>(), rms_norm_input(L.input_norm, eps),
                              s);
        launch_qkv_rope(qkv_.as<float>(), L.qkv_bias, qa.rope, m, H, KV, hd, q_.as<float>(), qa.kv, len_dev, i0, s);
      }
      bool attn_in_xb = false;
      run_attention(in, n, i0, i1, true, len_dev, l, false, &attn_in_xb);
      launch_gemm_mma_fused(attn_.as<float>(), split, m, qd, L.o, h, residual, add, s);  // residual += o
      const float* down_in = gu_.as<float>();
      if (swiglu_epilogue) {
        launch_gemm_mma_swiglu(residual, split, m, h, L.gate_up, 2 * inter, gu_.as<float>(), s, &post_norm);
      } else {
        launch_gemm_mma_fused(residual, split, m, h, L.gate_up, 2 * inter, gu_.as<float>(),
                              rms_norm_input(L.post_attn_norm, eps), s);
        launch_swiglu(gu_.as<float>(), m, inter, x, s);
        down_in = x;
      }
      launch_gemm_mma_fused(down_in, split, m, inter, L.down, h, residual, add, s);  // residual += down
    }
  }

  // The layers with separate RMSNorm and residual-add kernels: prompt steps (cuBLAS products) and
  // the invariant steps of models the folded forms do not serve.
  void run_layers(int m, int i0, int i1, int n, const StepInput& in, bool invariant, const int32_t* len_dev, bool split,
                  bool bf16_inputs, bool qkv_epilogue, bool swiglu_epilogue) {
    const auto [h, hd, H, KV, qd, qkv_w, inter, eps] = layer_shape();
    cudaStream_t s = stream_.s;
    float* residual = residual_.as<float>();
    float* x = x_.as<float>();
    float* delta = delta_.as<float>();
    for (int l = 0; l < cfg_.num_layers; ++l) {
      const DeviceLayer& L = model_->layers[l];
      if (bf16_inputs) {
        launch_add_rmsnorm_bf16(residual, l == 0 ? nullptr : delta, L.input_norm, m, h, eps, xb_.as<bf16>(), s);
        cublas_matmul(xb_.as<bf16>(), m, h, L.qkv, qkv_w, qkv_.as<float>());
      } else if (qkv_epilogue) {
        launch_add_rmsnorm(residual, l == 0 ? nullptr : delta, L.input_norm, m, h, eps, x, s);
      } else {
        norm_then_matmul(invariant, l == 0 ? nullptr : delta, L.input_norm, m, L.qkv, qkv_w, qkv_.as<float>());
      }
      QkvRopeArgs qa = qkv_rope_args(l, i0, len_dev);
      // The rotation table is at least two kernels back here (the add_rmsnorm lies between), the
      // block table and the slot base come from the host before the step.
      qa.settled = early_epilogues_;
      if (qkv_epilogue) {
        launch_gemm_mma_qkv_rope(x, split, m, h, L.qkv, qa, s);
      } else {
        launch_qkv_rope(qkv_.as<float>(), L.qkv_bias, qa.rope, m, H, KV, hd, q_.as<float>(), qa.kv, len_dev, i0, s);
      }
      bool attn_in_xb = false;
      const WgmmaImages o_images = product_images(invariant, m, qd, h);
      run_attention(in, n, i0, i1, invariant, len_dev, l, bf16_inputs, &attn_in_xb, o_images);
      if (attn_in_xb) {
        cublas_matmul(xb_.as<bf16>(), m, qd, L.o, h, delta);
      } else if (o_images.p) {
        launch_gemm_mma_on_images(o_images, m, L.o, h, delta, s);
      } else {
        matmul(invariant, attn_.as<float>(), m, qd, L.o, h, delta);
      }
      if (bf16_inputs) {
        bf16* xb = xb_.as<bf16>();
        launch_add_rmsnorm_bf16(residual, delta, L.post_attn_norm, m, h, eps, xb, s);
        if (prefill_gate_bf16_) {
          cublas_matmul_bf16_out(xb, m, h, L.gate_up, 2 * inter, gu_.as<bf16>());
          launch_swiglu_bf16_in(gu_.as<bf16>(), m, inter, xb, s);
        } else {
          cublas_matmul(xb, m, h, L.gate_up, 2 * inter, gu_.as<float>());
          launch_swiglu_bf16(gu_.as<float>(), m, inter, xb, s);
        }
        cublas_matmul(xb, m, inter, L.down, h, delta);
        continue;
      }
      if (swiglu_epilogue) {
        launch_add_rmsnorm(residual, delta, L.post_attn_norm, m, h, eps, x, s);
        // The activations go to gu_ (x is this product's input).
        launch_gemm_mma_swiglu(x, split, m, h, L.gate_up, 2 * inter, gu_.as<float>(), s);
        matmul(invariant, gu_.as<float>(), m, inter, L.down, h, delta);
        continue;
      }
      norm_then_matmul(invariant, delta, L.post_attn_norm, m, L.gate_up, 2 * inter, gu_.as<float>());
      swiglu_then_matmul(invariant, m, L.down, delta);
    }
    // The final norm runs with the LM head (run_chunk).
  }

  std::shared_ptr<const ModelWeights> host_;  // keeps the mapped files alive as long as we are
  std::unique_ptr<DeviceModel> model_;
  const ModelConfig& cfg_;
  int capacity_;
  Stream stream_;
  Cublas cublas_;
  PagedKvCache kv_;
  std::string name_;
  DeviceBuffer inv_freq_, residual_, x_, xb_, qkv_, q_, attn_, delta_, gu_, rope_, logits_, step_ints_;
  DeviceBuffer move_scratch_, partials_, top_, argmax_scratch_, tickets_, wgmma_scratch_;
  std::vector<char> host_top_;
  std::vector<int32_t> argmax_host_;  // argmax() of the last forward, once downloaded
  bool argmax_host_valid_ = false;
  // Pinned staging of the step inputs and the argmax; an event keeps the host from rewriting the
  // upload buffer before its copy ran.
  PinnedBuffer staging_, argmax_staging_;
  Event upload_done_;
  const int32_t* argmax_dev_ = nullptr;
  struct Graph {
    cudaGraphExec_t exec;
    uint64_t last_use;  // graph_clock_ at its last replay
  };
  std::map<std::tuple<int, int, bool, int>, Graph> graphs_;
  uint64_t graph_clock_ = 0;
  int graph_captures_ = 0, graph_evictions_ = 0;
  bool graphs_enabled_ = env_not_off("STRIDE_CUDA_GRAPHS");  // 0: eager launches, to compare timings
  MatmulMode mode_ = mode_from_env();
  bool flash_prefill_ = flash_prefill_from_env();
  int chunk_ = prefill_chunk_from_env();
  bool split_buckets_ = env_not_off("STRIDE_CUDA_SPLIT_BUCKETS");
  int row_bucket_ = row_bucket_from_env();
  // STRIDE_CUDA_PREFILL_GEMM=lt: prompt-step products through cuBLASLt with a heuristic algorithm and a
  // workspace (lt_matmul.h); cublasGemmEx by default (measured on the H100: the same prefill times).
  std::unique_ptr<LtMatmul> lt_ = [] {
    const char* v = std::getenv("STRIDE_CUDA_PREFILL_GEMM");
    const std::string m = v ? v : "cublas";
    if (m == "cublas") return std::unique_ptr<LtMatmul>();
    if (m == "lt") return std::make_unique<LtMatmul>();
    throw Error("STRIDE_CUDA_PREFILL_GEMM must be cublas or lt, not '" + m + "'");
  }();
  // See run_chunk and top_logits. On by default (verified and measured on the H100, session 8):
  // bf16 prompt-step inputs (prefill 2048 at 1.5B 22 -> 19 ms), device sampling candidates. Opt-in:
  // nothing (the fused decode products of sessions 8-13, which recomputed each block's inputs'
  // norm and SwiGLU, measured slower and were replaced by the folded forms).
  bool prefill_bf16_ = env_not_off("STRIDE_CUDA_PREFILL_BF16");
  // STRIDE_CUDA_FOLD_NORMS: unset = by width (kFoldMaxHidden), 0 = never, 1 = always.
  int fold_norms_ = [] {
    const char* v = std::getenv("STRIDE_CUDA_FOLD_NORMS");
    return v && *v ? (std::strcmp(v, "0") == 0 ? 0 : 1) : -1;
  }();
  bool epilogues_ = env_not_off("STRIDE_CUDA_EPILOGUES");
  // The q/k/v and residual-add epilogues load their settled inputs before the PDL wait (gemm_mma.cuh:
  // QkvRopeArgs::settled, GemmFusion::y_settled); STRIDE_CUDA_EARLY_EPILOGUES=0 loads them after it.
  bool early_epilogues_ = env_not_off("STRIDE_CUDA_EARLY_EPILOGUES");
  // add_rmsnorm and SwiGLU write the activation images of the warpgroup products that read them
  // (product_images). STRIDE_CUDA_IMAGE_INPUTS=0: float32 outputs and the split kernel, to compare.
  bool image_inputs_ = env_not_off("STRIDE_CUDA_IMAGE_INPUTS");
  bool device_sampling_ = env_not_off("STRIDE_CUDA_DEVICE_SAMPLING");
  // The split attention's chunks merged by the last chunk block of each row (ticket counters)
  // instead of a second kernel; same arithmetic. STRIDE_CUDA_MERGE_IN_CHUNKS=0: the merge kernel.
  bool merge_in_chunks_ = env_not_off("STRIDE_CUDA_MERGE_IN_CHUNKS");
  // Prompt steps' gate/up product written in bf16 and SwiGLU reading it: the largest activation of
  // a prompt step (2 x intermediate per token) at half the traffic. On by default (H100, 1.5B shape:
  // prefill 2048 19.5 -> 18.3 ms); STRIDE_CUDA_PREFILL_GATE_BF16=0 turns it off.
  bool prefill_gate_bf16_ = env_not_off("STRIDE_CUDA_PREFILL_GATE_BF16");
  StepInput padded_;  // pad_to_bucket's step (kept to reuse its capacity)
  int scratch_rows_ = 0;
  int cache_len_ = 0, last_n_ = 0, logits_from_ = 0;
  bool accepted_ = false;
};

void check_capacity(int capacity) {
  if (capacity <= 0) throw Error("CUDA backend: KV capacity must be positive");
}

void require_device() {
  std::string why;
  if (!cuda_device_available(&why)) throw Error("CUDA backend: " + why);
  // How the host thread waits for a step (benchmarks: STRIDE_CUDA_SYNC=spin|yield|block; default:
  // CUDA's own choice, which spins while the process has fewer contexts than CPUs).
  if (const char* v = std::getenv("STRIDE_CUDA_SYNC")) {
    const std::string m = v;
    const unsigned flags = m == "spin"    ? cudaDeviceScheduleSpin
                           : m == "yield" ? cudaDeviceScheduleYield
                           : m == "block" ? cudaDeviceScheduleBlockingSync
                                          : cudaDeviceScheduleAuto;
    const cudaError_t e = cudaSetDeviceFlags(flags);
    if (e != cudaSuccess) {
      cudaGetLastError();
      std::fprintf(stderr, "STRIDE_CUDA_SYNC=%s not applied: %s\n", v, cudaGetErrorString(e));
    }
  }
}

}  // namespace
}  // namespace cuda

bool cuda_device_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    cudaGetLastError();
    if (why) *why = e != cudaSuccess ? std::string("no usable CUDA device (") + cudaGetErrorString(e) + ")" : "no CUDA device found";
    return false;
  }
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = "the CUDA device could not be queried";
    return false;
  }
  if (major < 8) {
    if (why) *why = "the GPU has compute capability " + std::to_string(major) + ".x; bf16 kernels need 8.0 or newer";
    return false;
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend(std::shared_ptr<const ModelWeights> weights, int capacity) {
  if (!weights) throw Error("CUDA backend: no model weights");
  cuda::check_capacity(capacity);
  cuda::require_device();
  auto model = cuda::DeviceModel::upload(*weights);
  return std::make_unique<cuda::CudaBackend>(std::move(weights), std::move(model), capacity);
}

std::unique_ptr<Backend> make_cuda_backend_random(const ModelConfig& config, uint64_t seed, int capacity) {
  cuda::check_capacity(capacity);
  cuda::require_device();
  auto model = cuda::DeviceModel::random(config, seed);
  return std::make_unique<cuda::CudaBackend>(nullptr, std::move(model), capacity);
}

int64_t cuda_backend_weight_bytes(const Backend& backend) {
  const auto* b = dynamic_cast<const cuda::CudaBackend*>(&backend);
  if (!b) throw Error("cuda_backend_weight_bytes: not a CUDA backend");
  return b->weight_bytes();
}

}  // namespace stride
