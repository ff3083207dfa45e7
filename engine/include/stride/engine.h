// Stride engine — the one public header set. The app, the LSP server, the CLI and the
// benchmarks are thin clients of this API; nothing here depends on Qt or CUDA.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "stride/tokenizer.h"

namespace stride {

using TokenId = int32_t;

// Every failure the engine reports to its clients: carries context (file, tensor, request).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The GPU (or host) ran out of memory; the engine has released what it took.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

enum class BackendKind { Auto, Cpu, Cuda };
const char* to_string(BackendKind b);
BackendKind parse_backend(const std::string& s);  // "auto"|"cpu"|"cuda"; throws Error

// Auto: the fastest lossless greedy strategy for the backend the engine runs on (see Engine::generate).
enum class StrategyKind { Greedy, Sample, Lookahead, Ngram, Draft, Auto };
const char* to_string(StrategyKind s);
StrategyKind parse_strategy(const std::string& s);  // throws Error on unknown names

struct SamplingParams {
  // < 0 = unset: 1.0 for Sample, 0 (greedy, lossless) for every other strategy. Speculative
  // strategies sample with the speculative-sampling rule when it is > 0.
  float temperature = -1.0f;
  int top_k = 0;             // 0 = off
  float top_p = 1.0f;        // 1 = off
  uint64_t seed = 0;
};

// Lookahead decoding (Fu et al. 2024): W columns, N-gram size, G verification candidates.
struct LookaheadParams {
  int window = 0;  // W; 0 = the model's default
  int ngram = 0;   // N
  int verify = 0;  // G
};

// Prompt lookup (n-gram matching against the prompt and extra context).
struct NgramParams {
  int min_match = 1;
  int max_match = 4;
  int max_draft = 10;
};

struct DraftParams {
  std::string model_dir;  // draft model folder (same tokenizer as the target)
  int draft_tokens = 5;   // K
};

// A piece of the output as it streams. Returning false from the callback cancels the request.
struct StreamEvent {
  std::vector<TokenId> new_ids;  // tokens accepted by this step
  std::string new_text;          // text that became complete with them (UTF-8 safe)
};
using StreamCallback = std::function<bool(const StreamEvent&)>;

// Shared cancellation flag: set from any thread; the engine checks it between steps.
class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct Request {
  std::vector<TokenId> prompt_ids;      // already tokenized prompt (see Engine::tokenizer)
  std::vector<TokenId> context_ids;     // extra text for prompt lookup / pool seeding
  int max_tokens = 64;
  StrategyKind strategy = StrategyKind::Greedy;
  SamplingParams sampling;
  LookaheadParams lookahead;
  NgramParams ngram;
  DraftParams draft;
  bool stop_at_eos = true;
  std::vector<std::string> stop_strings;  // generation ends when the text contains one
  StreamCallback on_stream;               // optional
  std::shared_ptr<CancelToken> cancel;    // optional
};

// Speculative statistics, per request.
struct DecodeStats {
  int steps = 0;                         // forward passes of the decode phase
  std::vector<int> accepted_histogram;   // [k] = steps that accepted k tokens
  std::map<std::string, int> tokens_by_branch;  // "base", "lookahead", "prompt", "draft"
  int pool_size = 0;                     // lookahead n-gram pool size at the end
  int pool_lookups = 0;                  // steps where the pool was consulted
  int pool_hits = 0;                     // ...and at least one candidate token was accepted
  int draft_proposed = 0;
  int draft_accepted = 0;
};

struct Result {
  std::vector<TokenId> ids;  // generated ids, prompt excluded
  std::string text;
  int prompt_tokens = 0;
  int generated_tokens = 0;
  int reused_prompt_tokens = 0;  // prompt tokens whose KV came from the prefix cache
  double ttft_ms = 0;
  double total_ms = 0;
  StrategyKind strategy = StrategyKind::Greedy;
  BackendKind backend = BackendKind::Cpu;
  std::string finish_reason;  // "length" | "eos" | "stop" | "cancelled"
  DecodeStats stats;
  double tokens_per_step() const {
    return stats.steps ? double(generated_tokens) / stats.steps : 0.0;
  }
};

struct EngineOptions {
  std::string model_dir;
  BackendKind backend = BackendKind::Auto;
  int threads = 0;            // CPU threads; 0 = hardware concurrency
  int max_context = 0;        // KV capacity in tokens; 0 = min(model max, 32768)
  std::function<void(float)> on_load_progress;  // 0..1, optional
};

struct ModelInfo {
  std::string name;        // folder name
  std::string family;      // "qwen2" | "llama"
  int vocab_size = 0, hidden_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0;
  int max_position_embeddings = 0;
  int64_t parameters = 0;
};

struct DeviceInfo {
  BackendKind backend = BackendKind::Cpu;
  std::string name;  // "CPU (8 threads)" or the GPU's name
};

// FIM prompt text for the model family (Qwen2.5-Coder: <|fim_prefix|>…<|fim_suffix|>…<|fim_middle|>).
struct FimTemplate {
  std::string prefix_token, suffix_token, middle_token;
  std::string file_separator;  // repo-level context separator ("<|file_sep|>"); may be empty
  bool supported() const { return !prefix_token.empty(); }
};

class Engine {
 public:
  // Loads the model folder and picks the backend; throws Error (or OutOfMemoryError).
  static std::unique_ptr<Engine> load(const EngineOptions& options);
  virtual ~Engine() = default;

  virtual const Tokenizer& tokenizer() const = 0;
  virtual const ModelInfo& model_info() const = 0;
  virtual DeviceInfo device_info() const = 0;
  virtual const FimTemplate& fim_template() const = 0;

  // Prompt ids for a fill-in-the-middle request. User text is always encoded as plain text.
  virtual std::vector<TokenId> fim_prompt(const std::string& prefix, const std::string& suffix) const = 0;

  // Runs one request to completion on the calling thread (requests are serialized inside).
  virtual Result generate(const Request& request) = 0;

  // Prefix-cache statistics since load.
  virtual int64_t prefix_cache_hit_tokens() const = 0;
  virtual int64_t prefix_cache_lookup_tokens() const = 0;
};

}  // namespace stride
