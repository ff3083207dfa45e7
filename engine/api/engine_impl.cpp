// Engine: loads a model folder, picks a backend, and runs requests one at a time:
// prefix reuse → prefill → first token → strategy steps, streaming as tokens are accepted.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "api/fim_templates.h"
#include "api/stop_text.h"
#include "decode/decode_strategy.h"
#include "model/model_weights.h"
#include "runtime/cpu/cpu_backend.h"
#include "stride/engine.h"
#ifdef STRIDE_HAVE_CUDA
#include "runtime/cuda/cuda_backend.h"
#endif

namespace stride {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Prompt tokens per prefill forward pass: bounds the activation memory of one pass.
constexpr int kPrefillChunk = 512;
// Room for the tentative tokens of one speculative step (window, verification branch, drafts).
constexpr int kSpeculationMargin = 256;

struct LoadedModel {
  std::shared_ptr<const ModelWeights> weights;
  std::unique_ptr<Backend> backend;
};

// StrategyKind::Auto. On a GPU a step of ~20 rows costs about what a one-row step costs (1.39x at
// the 7B shape, bench/RESULTS.md run 4) and lookahead verifies ~3 tokens per step. On the CPU a
// step's cost grows with its rows (the matrix products are compute bound there): lookahead ran at
// 0.24x greedy's speed and prompt lookup at 0.61x on the tiny model (32 prompts, 2 threads), so
// greedy decoding is the fastest there. All of them return the same tokens.
StrategyKind auto_strategy(BackendKind backend) {
  return backend == BackendKind::Cuda ? StrategyKind::Lookahead : StrategyKind::Greedy;
}

BackendKind resolve_backend(BackendKind wanted) {
  if (wanted == BackendKind::Cpu) return BackendKind::Cpu;
#ifdef STRIDE_HAVE_CUDA
  std::string why;
  if (cuda_device_available(&why)) return BackendKind::Cuda;
  if (wanted == BackendKind::Cuda) throw Error("CUDA backend requested, but " + why);
#else
  if (wanted == BackendKind::Cuda) {
    throw Error("CUDA backend requested, but this build of Stride has no CUDA support (nvcc was not found at build time)");
  }
#endif
  return BackendKind::Cpu;
}

LoadedModel load_model(const std::string& dir, BackendKind kind, int threads, int max_context) {
  LoadedModel m;
  ModelConfig config = ModelConfig::load(dir);
  m.weights = std::shared_ptr<const ModelWeights>(ModelWeights::load(dir, config));
  int capacity = max_context;
  if (capacity <= 0) {
    capacity = std::min(config.max_position_embeddings > 0 ? config.max_position_embeddings : 32768,
                        kind == BackendKind::Cuda ? 32768 : 8192);
  }
#ifdef STRIDE_HAVE_CUDA
  if (kind == BackendKind::Cuda) {
    m.backend = make_cuda_backend(m.weights, capacity);
    return m;
  }
#endif
  m.backend = make_cpu_backend(m.weights, threads, capacity);
  return m;
}

size_t common_prefix(const std::vector<TokenId>& a, const std::vector<TokenId>& b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& options) : options_(options) {
    namespace fs = std::filesystem;
    if (options.model_dir.empty()) throw Error("no model folder given");
    if (!fs::is_directory(options.model_dir)) {
      throw Error("model folder '" + options.model_dir + "' does not exist or is not a folder");
    }
    auto progress = [&](float f) {
      if (options.on_load_progress) options.on_load_progress(f);
    };
    progress(0.0f);
    tokenizer_ = Tokenizer::load_from_folder(options.model_dir);
    progress(0.1f);
    kind_ = resolve_backend(options.backend);
    threads_ = options.threads > 0 ? options.threads
                                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    target_ = load_model(options.model_dir, kind_, threads_, options.max_context);
    progress(1.0f);

    const ModelConfig& c = target_.weights->config();
    info_.name = fs::path(options.model_dir).filename().string();
    if (info_.name.empty()) info_.name = fs::path(options.model_dir).parent_path().filename().string();
    info_.family = c.model_type;
    info_.vocab_size = c.vocab_size;
    info_.hidden_size = c.hidden_size;
    info_.num_layers = c.num_layers;
    info_.num_heads = c.num_heads;
    info_.num_kv_heads = c.num_kv_heads;
    info_.max_position_embeddings = c.max_position_embeddings;
    info_.parameters = target_.weights->parameter_count();
    fim_ = detect_fim_template(*tokenizer_);
    eos_ = tokenizer_->eos_ids();
    for (int id : c.eos_token_ids) {
      if (std::find(eos_.begin(), eos_.end(), id) == eos_.end()) eos_.push_back(id);
    }
  }

  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const ModelInfo& model_info() const override { return info_; }
  DeviceInfo device_info() const override { return {kind_, target_.backend->name()}; }
  const FimTemplate& fim_template() const override { return fim_; }
  std::vector<TokenId> fim_prompt(const std::string& prefix, const std::string& suffix) const override {
    return build_fim_prompt(*tokenizer_, fim_, prefix, suffix);
  }
  int64_t prefix_cache_hit_tokens() const override { return cache_hits_; }
  int64_t prefix_cache_lookup_tokens() const override { return cache_lookups_; }

  Result generate(const Request& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      return run(request);
    } catch (...) {
      // The backend's state is unknown after a failure: forget the cached prefix.
      cached_.clear();
      try {
        target_.backend->truncate(0);
      } catch (...) {
      }
      throw;
    }
  }

 private:
  Backend& draft_backend(const DraftParams& params) {
    if (params.model_dir.empty()) throw Error("the draft strategy needs a draft model folder");
    auto it = drafts_.find(params.model_dir);
    if (it == drafts_.end()) {
      auto draft_tok = Tokenizer::load_from_folder(params.model_dir);
      if (draft_tok->vocab_size() > target_.weights->config().vocab_size + 1024 ||
          draft_tok->token_id("<|endoftext|>") != tokenizer_->token_id("<|endoftext|>")) {
        throw Error("draft model '" + params.model_dir + "' does not share the target's tokenizer");
      }
      it = drafts_.emplace(params.model_dir, load_model(params.model_dir, kind_, threads_, options_.max_context)).first;
    }
    it->second.backend->truncate(0);
    return *it->second.backend;
  }

  Result run(const Request& req) {
    const auto t0 = Clock::now();
    Backend& backend = *target_.backend;
    const auto& prompt = req.prompt_ids;
    if (prompt.empty()) throw Error("empty prompt");
    const int vocab = target_.weights->config().vocab_size;
    for (TokenId t : prompt) {
      if (t < 0 || t >= vocab) throw Error("prompt token id " + std::to_string(t) + " is outside the vocabulary");
    }
    if (static_cast<int>(prompt.size()) + req.max_tokens + kSpeculationMargin > backend.capacity()) {
      throw Error("prompt of " + std::to_string(prompt.size()) + " tokens plus " +
                  std::to_string(req.max_tokens) + " new tokens exceeds the context capacity of " +
                  std::to_string(backend.capacity()));
    }

    const StrategyKind kind = req.strategy == StrategyKind::Auto ? auto_strategy(kind_) : req.strategy;
    Result res;
    res.strategy = kind;
    res.backend = kind_;
    res.prompt_tokens = static_cast<int>(prompt.size());
    res.finish_reason = "length";

    SamplingParams sp = req.sampling;
    if (kind == StrategyKind::Greedy) sp.temperature = 0.0f;
    if (sp.temperature < 0.0f) sp.temperature = kind == StrategyKind::Sample ? 1.0f : 0.0f;
    TokenSampler sampler(sp);
    auto strategy = make_strategy(kind, req, target_.weights->config());

    // Prefix reuse: keep the KV of the longest common prefix with what the cache holds; at least
    // the last prompt token is recomputed because its logits pick the first new token.
    size_t reuse = std::min(common_prefix(cached_, prompt), prompt.size() - 1);
    backend.truncate(static_cast<int>(reuse));
    cached_.resize(reuse);
    cache_hits_ += static_cast<int64_t>(reuse);
    cache_lookups_ += static_cast<int64_t>(prompt.size());
    res.reused_prompt_tokens = static_cast<int>(reuse);

    TokenId first = -1;
    for (size_t start = reuse; start < prompt.size(); start += kPrefillChunk) {
      size_t end = std::min(prompt.size(), start + kPrefillChunk);
      StepInput in;
      in.tokens.assign(prompt.begin() + start, prompt.begin() + end);
      for (size_t p = start; p < end; ++p) in.positions.push_back(static_cast<int32_t>(p));
      const int n = static_cast<int>(end - start);
      const bool last_chunk = end == prompt.size();
      in.logits_from = last_chunk ? n - 1 : n;
      backend.forward(in);
      // The first new token comes from the last prompt row, read before accept() ends the step.
      if (last_chunk) {
        first = sampler.sample_row(backend, n - 1);  // argmax when greedy
      }
      std::vector<int> rows(n);
      for (int i = 0; i < n; ++i) rows[i] = i;
      backend.accept(rows);
      cached_.insert(cached_.end(), in.tokens.begin(), in.tokens.end());
    }
    res.ttft_ms = ms_since(t0);

    std::vector<TokenId> seq = prompt;  // prompt + every accepted token (untrimmed)
    StreamingDecoder decoder(*tokenizer_);
    std::string text;        // decoded output so far
    size_t streamed = 0;     // bytes of `text` already streamed
    bool done = false;

    // Appends accepted tokens to the output, applying EOS, max_tokens and stop strings, and
    // streams what became final. Returns false once generation must end.
    auto take = [&](const std::vector<TokenId>& accepted) {
      StreamEvent ev;
      for (TokenId t : accepted) {
        if (done) break;
        if (req.stop_at_eos && std::find(eos_.begin(), eos_.end(), t) != eos_.end()) {
          res.finish_reason = "eos";
          done = true;
          break;
        }
        res.ids.push_back(t);
        ev.new_ids.push_back(t);
        text += decoder.push(t);
        if (static_cast<int>(res.ids.size()) >= req.max_tokens) done = true;
      }
      if (done) text += decoder.flush();
      size_t stop_at = find_stop(text, req.stop_strings);
      if (stop_at != std::string::npos) {
        text.resize(stop_at);
        res.finish_reason = "stop";
        done = true;
      }
      size_t final_len = done ? text.size() : text.size() - stop_holdback(text, req.stop_strings);
      if (final_len > streamed) {
        ev.new_text = text.substr(streamed, final_len - streamed);
        streamed = final_len;
      }
      if (req.on_stream && (!ev.new_ids.empty() || !ev.new_text.empty())) {
        if (!req.on_stream(ev)) {
          res.finish_reason = "cancelled";
          done = true;
        }
      }
    };

    seq.push_back(first);
    if (req.max_tokens <= 0) {
      done = true;
    } else if (req.cancel && req.cancel->cancelled()) {
      res.finish_reason = "cancelled";
      done = true;
    } else {
      take({first});
    }

    DecodeState state{backend, req, seq, sampler, res.stats, nullptr};
    if (kind == StrategyKind::Draft) state.draft = &draft_backend(req.draft);
    if (!done) strategy->begin(state);
    while (!done) {
      if (req.cancel && req.cancel->cancelled()) {
        res.finish_reason = "cancelled";
        break;
      }
      std::vector<TokenId> accepted = strategy->step(state);
      res.stats.steps++;
      if (res.stats.accepted_histogram.size() <= accepted.size()) {
        res.stats.accepted_histogram.resize(accepted.size() + 1, 0);
      }
      res.stats.accepted_histogram[accepted.size()]++;
      seq.insert(seq.end(), accepted.begin(), accepted.end());
      take(accepted);
    }

    // What the KV cache now holds, for the next request's prefix reuse.
    cached_.assign(seq.begin(), seq.begin() + std::min<size_t>(seq.size(), backend.cache_len()));
    res.text = text;
    res.generated_tokens = static_cast<int>(res.ids.size());
    res.total_ms = ms_since(t0);
    return res;
  }

  EngineOptions options_;
  std::unique_ptr<Tokenizer> tokenizer_;
  BackendKind kind_ = BackendKind::Cpu;
  int threads_ = 1;
  LoadedModel target_;
  std::map<std::string, LoadedModel> drafts_;
  ModelInfo info_;
  FimTemplate fim_;
  std::vector<TokenId> eos_;
  std::mutex mutex_;
  std::vector<TokenId> cached_;  // token ids whose KV the target backend holds
  int64_t cache_hits_ = 0, cache_lookups_ = 0;
};

}  // namespace

std::unique_ptr<Engine> Engine::load(const EngineOptions& options) {
  return std::make_unique<EngineImpl>(options);
}

}  // namespace stride
