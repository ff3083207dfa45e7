// The completion layer shared by the desktop app and stride-lsp: prompt building around a
// cursor, stop rules, a queue that serves several clients fairly on one engine, an answer cache
// and the SQLite history. Pure C++ (no Qt, no JSON-RPC).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stride/engine.h"

namespace stride {

// Another file of the same project, for Qwen2.5-Coder's repo-level <|file_sep|> context.
struct ContextFile {
  std::string path;
  std::string text;
};

struct CompletionSettings {
  StrategyKind strategy = StrategyKind::Auto;  // lookahead on a GPU, greedy on the CPU
  LookaheadParams lookahead;  // zeros = engine defaults
  float temperature = 0.0f;   // 0 = greedy (the strategy's lossless greedy form)
  int max_tokens = 96;
  int max_lines = 8;
  int context_budget_tokens = 1536;  // prompt cap: prefix + suffix + other files
};

struct CompletionInput {
  std::string client_id;    // "app", "lsp:1", ... (fair queuing is per client)
  std::string document_id;  // a newer request for a document cancels its older one
  std::string path;         // file path or name (language / file type for history)
  std::string text;         // the whole document, UTF-8
  size_t cursor = 0;        // byte offset of the cursor in text
  std::vector<ContextFile> other_files;  // farthest first: the last sits next to the current file
                                         // in the prompt and is the last dropped for budget
  CompletionSettings settings;
};

struct CompletionOutput {
  std::string text;     // the completion to insert at the cursor (after stop rules)
  bool cancelled = false;
  std::string error;    // non-empty when the request failed
  bool from_cache = false;
  Result result;        // engine result (latency, tokens, tokens per step, strategy...)
};

// Prompt: FIM around the cursor within the token budget, plus other files before it.
struct BuiltPrompt {
  std::vector<TokenId> ids;
  std::vector<TokenId> seed_ids;  // n-gram seeds for the lookahead pool / prompt lookup
  size_t prefix_chars = 0, suffix_chars = 0;  // how much of each side made it into the prompt
};
BuiltPrompt build_completion_prompt(const Engine& engine, const CompletionInput& input);

// Where a streamed completion must stop, and what it must not repeat. `line_suffix` is the text
// right of the cursor on the cursor's line; `indent` the cursor line's indentation.
struct StopRuleContext {
  std::string line_prefix;  // text left of the cursor on its line
  std::string line_suffix;  // text right of the cursor on its line
  std::string next_lines;   // a few lines after the cursor line (duplicate detection)
  int max_lines = 8;         // <= 0: no line limit
  bool finished = false;     // generation has ended: decide on the whole text, hold nothing back
};
struct StopDecision {
  size_t keep_bytes = 0;  // how much of the generated text to keep
  bool stop = false;      // generation can stop now
};
StopDecision apply_stop_rules(const StopRuleContext& ctx, const std::string& generated);

class CompletionRequestHandle {
 public:
  virtual ~CompletionRequestHandle() = default;
  virtual void cancel() = 0;
  virtual uint64_t id() const = 0;
};

// Runs completions on its own worker thread. Callbacks are called on that thread.
class CompletionService {
 public:
  using OnPartial = std::function<void(uint64_t id, const std::string& text_so_far)>;
  using OnDone = std::function<void(uint64_t id, const CompletionOutput& out)>;

  static std::unique_ptr<CompletionService> create(std::shared_ptr<Engine> engine);
  virtual ~CompletionService() = default;

  // Queues the request (fair across client_ids; cancels the same document's older request).
  virtual std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnPartial on_partial,
                                                           OnDone on_done) = 0;
  virtual Engine& engine() = 0;
  virtual void shutdown() = 0;  // cancels everything, joins the worker
};

// One row per completion shown.
struct HistoryRow {
  int64_t id = 0;
  int64_t time_ms = 0;  // unix epoch ms
  std::string file_type;
  int prompt_tokens = 0;
  double ttft_ms = 0, total_ms = 0;
  int tokens = 0;
  double tokens_per_step = 0;
  std::string strategy;
  std::string source;   // "app" | "lsp"
  std::string outcome;  // "accepted_all" | "accepted_part" | "dismissed" | "typed_over" | "pending"
};

// SQLite history (WAL mode, versioned schema with migrations).
class HistoryStore {
 public:
  static std::unique_ptr<HistoryStore> open(const std::string& path);  // throws stride::Error
  static std::string default_path();  // $XDG_DATA_HOME/stride/history.sqlite (or ~/.local/share)
  virtual ~HistoryStore() = default;
  virtual int64_t add(const HistoryRow& row) = 0;
  virtual void set_outcome(int64_t id, const std::string& outcome) = 0;
  virtual std::vector<HistoryRow> rows(int64_t since_ms = 0) const = 0;
  virtual void clear() = 0;
  virtual int schema_version() const = 0;
};

}  // namespace stride
