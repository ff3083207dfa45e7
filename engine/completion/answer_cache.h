// LRU cache of finished completions, keyed by everything that determines the answer (prompt ids,
// settings, stop-rule context), so asking the same thing twice is answered without the model.
#pragma once

#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "completion/completion_service.h"

namespace stride {

class AnswerCache {
 public:
  explicit AnswerCache(size_t capacity = 64) : capacity_(capacity) {}

  static std::string key(const BuiltPrompt& prompt, const CompletionSettings& settings,
                         const StopRuleContext& stop);

  std::optional<CompletionOutput> find(const std::string& key);  // marks it most recent
  void put(const std::string& key, const CompletionOutput& out);
  size_t size() const { return map_.size(); }

 private:
  using Entry = std::pair<std::string, CompletionOutput>;
  size_t capacity_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
};

}  // namespace stride
