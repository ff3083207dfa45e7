// The n-gram pool of lookahead decoding: n-grams keyed by their first token, the continuation
// (the other N-1 tokens) kept most-recent-first with at most `per_key` entries per key.
#pragma once

#include <deque>
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

  // Up to `max` continuations of `first`, most recent first.
  std::vector<std::vector<TokenId>> lookup(TokenId first, int max) const;

  int size() const { return size_; }

 private:
  int per_key_;
  int size_ = 0;
  std::unordered_map<TokenId, std::deque<std::vector<TokenId>>> grams_;
};

}  // namespace stride
