// A deterministic stand-in for the engine: a byte-level tokenizer (one token per byte, plus a few
// special tokens) and an Engine that "generates" a scripted answer token by token, streaming it,
// honouring cancellation, and optionally holding each request at a gate so tests can line up
// several requests behind it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "stride/engine.h"

namespace stride::testing {

class ByteTokenizer final : public Tokenizer {
 public:
  // Special tokens get ids 0..n-1, byte b gets id kByteBase + b.
  static constexpr int kByteBase = 16;
  explicit ByteTokenizer(std::vector<std::string> specials = {"<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>",
                                                               "<|fim_middle|>", "<|file_sep|>", "<|repo_name|>"})
      : specials_(std::move(specials)) {}

  std::vector<int32_t> encode(const std::string& text, bool parse_special) const override {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < text.size();) {
      bool matched = false;
      if (parse_special) {
        for (size_t s = 0; s < specials_.size(); ++s) {
          if (text.compare(i, specials_[s].size(), specials_[s]) == 0) {
            ids.push_back(int32_t(s));
            i += specials_[s].size();
            matched = true;
            break;
          }
        }
      }
      if (!matched) ids.push_back(kByteBase + static_cast<unsigned char>(text[i++]));
    }
    return ids;
  }
  std::string decode_bytes(const std::vector<int32_t>& ids) const override {
    std::string out;
    for (int32_t id : ids) out += token_text(id);
    return out;
  }
  std::string decode(const std::vector<int32_t>& ids) const override { return decode_bytes(ids); }
  int vocab_size() const override { return kByteBase + 256; }
  int token_id(const std::string& token) const override {
    for (size_t s = 0; s < specials_.size(); ++s) {
      if (specials_[s] == token) return int(s);
    }
    return -1;
  }
  std::string token_text(int32_t id) const override {
    if (id >= 0 && size_t(id) < specials_.size()) return specials_[id];
    return std::string(1, char(id - kByteBase));
  }
  bool is_special(int32_t id) const override { return id >= 0 && id < kByteBase; }
  std::vector<int32_t> eos_ids() const override { return {0}; }

 private:
  std::vector<std::string> specials_;
};

class FakeEngine final : public Engine {
 public:
  // Maps a request to the text the "model" answers.
  using Script = std::function<std::string(const Request&)>;

  explicit FakeEngine(Script script, std::vector<std::string> specials = {})
      : script_(std::move(script)),
        tokenizer_(specials.empty() ? ByteTokenizer() : ByteTokenizer(std::move(specials))) {
    info_.name = "fake";
    info_.family = "qwen2";
    info_.vocab_size = tokenizer_.vocab_size();
    for (const char* t : {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"}) {
      if (tokenizer_.token_id(t) < 0) return;  // no FIM support
    }
    fim_ = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
            tokenizer_.token_id("<|file_sep|>") >= 0 ? "<|file_sep|>" : ""};
  }

  const Tokenizer& tokenizer() const override { return tokenizer_; }
  const ModelInfo& model_info() const override { return info_; }
  DeviceInfo device_info() const override { return {BackendKind::Cpu, "fake"}; }
  const FimTemplate& fim_template() const override { return fim_; }
  std::vector<TokenId> fim_prompt(const std::string&, const std::string&) const override { return {}; }
  int64_t prefix_cache_hit_tokens() const override { return 0; }
  int64_t prefix_cache_lookup_tokens() const override { return 0; }

  Result generate(const Request& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      ++calls_;
      running_ = true;
    }
    cv_.notify_all();
    wait_at_gate(request);
    Result res;
    res.strategy = request.strategy;
    res.prompt_tokens = int(request.prompt_ids.size());
    const std::string answer = script_(request);
    res.finish_reason = "eos";
    for (char c : answer) {
      if (request.cancel && request.cancel->cancelled()) {
        res.finish_reason = "cancelled";
        break;
      }
      if (int(res.ids.size()) >= request.max_tokens) {
        res.finish_reason = "length";
        break;
      }
      StreamEvent ev;
      ev.new_ids = {ByteTokenizer::kByteBase + static_cast<unsigned char>(c)};
      ev.new_text = std::string(1, c);
      res.ids.push_back(ev.new_ids[0]);
      res.text += c;
      ++res.stats.steps;
      if (request.on_stream && !request.on_stream(ev)) {
        res.finish_reason = "cancelled";
        break;
      }
    }
    res.generated_tokens = int(res.ids.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      streamed_tokens_ += res.generated_tokens;
    }
    return res;
  }

  // Requests block at the gate until it opens (or they are cancelled).
  void close_gate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      gate_open_ = true;
    }
    cv_.notify_all();
  }
  // Waits until `n` generate calls have begun.
  bool wait_for_calls(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_ >= n; });
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int streamed_tokens() const {
    std::lock_guard<std::mutex> lock(mu_);
    return streamed_tokens_;
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void wait_at_gate(const Request& request) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!gate_open_ && !(request.cancel && request.cancel->cancelled())) {
      cv_.wait_for(lock, std::chrono::milliseconds(2));
    }
  }

  Script script_;
  ByteTokenizer tokenizer_;
  ModelInfo info_;
  FimTemplate fim_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true;
  bool running_ = false;
  int calls_ = 0;
  int streamed_tokens_ = 0;
  std::vector<Request> requests_;
};

}  // namespace stride::testing
