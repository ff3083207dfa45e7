// The n-gram pool of lookahead decoding: n-grams keyed by their first token, the continuation
// (the other N-1 tokens) kept most-recent-first with at most `per_key` entries per key.
#pragma once

#include <unordered_map>
#include <vector>

#include "stride/engine.h"

namespace stride {

class NgramPool {
 public:
  explicit NgramPool(int per_key) : per_key_(per_key < 1 ? 1 : per_key) {}

  // Adds gram[0] -> gram[1..]; an n-gram already present moves to the front. Grams of fewer than
  // two tokens carry nothing to guess and are ignored.
  void add(const TokenId* gram, int n);
  void add(const std::vector<TokenId>& gram) { add(gram.data(), static_cast<int>(gram.size())); }
  // Every n-gram of `seq` (sliding window of n tokens; the whole of a shorter seq).
  void add_all(const std::vector<TokenId>& seq, int n);

  // Calls f(const TokenId* continuation, int length) for up to `max` continuations of `first`,
  // most recent first, without copying them (a lookahead step runs this on its critical path).
  template <class F>
  void for_each(TokenId first, int max, F&& f) const {
    auto it = grams_.find(first);
    if (it == grams_.end()) return;
    const std::vector<TokenId>& list = it->second;
    for (size_t at = 0; at < list.size() && max > 0; at += 1 + list[at], --max) f(list.data() + at + 1, list[at]);
  }
  // The same, copied.
  std::vector<std::vector<TokenId>> lookup(TokenId first, int max) const;

  int size() const { return size_; }

 private:
  int per_key_;
  int size_ = 0;
  // Per first token, its continuations as records [length, tokens...] in one array, most recent
  // first: one allocation per key, and a lookup reads one contiguous run (the step's host work
  // runs with cold caches after each GPU wait, so touching fewer lines is what makes it cheap).
  std::unordered_map<TokenId, std::vector<TokenId>> grams_;
};

}  // namespace stride
