#include "completion/answer_cache.h"

namespace stride {
namespace {

void append_field(std::string& key, const std::string& s) {
  key += std::to_string(s.size());
  key += ':';
  key += s;
}

}  // namespace

std::string AnswerCache::key(const BuiltPrompt& prompt, const CompletionSettings& settings,
                             const StopRuleContext& stop) {
  std::string key;
  key.reserve(prompt.ids.size() * 4 + stop.line_suffix.size() + stop.next_lines.size() + 64);
  // Settings first: they are short, so keys of different settings differ early.
  key += std::to_string(int(settings.strategy)) + ',' + std::to_string(settings.lookahead.window) + ',' +
         std::to_string(settings.lookahead.ngram) + ',' + std::to_string(settings.lookahead.verify) + ',' +
         std::to_string(settings.temperature) + ',' + std::to_string(settings.max_tokens) + ',' +
         std::to_string(settings.max_lines) + ';';
  append_field(key, stop.line_prefix);
  append_field(key, stop.line_suffix);
  append_field(key, stop.next_lines);
  for (TokenId id : prompt.ids) key.append(reinterpret_cast<const char*>(&id), sizeof id);
  return key;
}

std::optional<CompletionOutput> AnswerCache::find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void AnswerCache::put(const std::string& key, const CompletionOutput& out) {
  if (capacity_ == 0) return;
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second->second = out;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.emplace_front(key, out);
  map_.emplace(key, order_.begin());
  while (map_.size() > capacity_) {
    map_.erase(order_.back().first);
    order_.pop_back();
  }
}

}  // namespace stride
