#include "decode/ngram_pool.h"

#include <algorithm>

namespace stride {

void NgramPool::add(const TokenId* gram, int n) {
  if (n < 2) return;
  const int len = n - 1;
  const TokenId* rest = gram + 1;
  std::vector<TokenId>& list = grams_[gram[0]];
  size_t last = 0;  // start of the last record
  int count = 0;
  for (size_t at = 0; at < list.size(); at += 1 + list[at], ++count) {
    if (list[at] == len && std::equal(rest, rest + len, list.begin() + at + 1)) {
      // Present: move its record to the front, the newer ones shift back by one record.
      std::rotate(list.begin(), list.begin() + at, list.begin() + at + 1 + len);
      return;
    }
    last = at;
  }
  list.insert(list.begin(), rest - 1, rest + len);  // one slot for the length, then the tokens
  list[0] = len;
  ++size_;
  if (count + 1 > per_key_) {
    list.resize(last + 1 + len);  // the oldest record, now starting 1 + len further on, goes
    --size_;
  }
}

void NgramPool::add_all(const std::vector<TokenId>& seq, int n) {
  const int len = static_cast<int>(seq.size());
  if (len < n) {
    add(seq.data(), len);
    return;
  }
  for (int i = 0; i + n <= len; ++i) add(seq.data() + i, n);
}

std::vector<std::vector<TokenId>> NgramPool::lookup(TokenId first, int max) const {
  std::vector<std::vector<TokenId>> out;
  for_each(first, max, [&](const TokenId* cont, int len) { out.emplace_back(cont, cont + len); });
  return out;
}

}  // namespace stride
