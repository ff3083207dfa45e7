#include "decode/ngram_pool.h"

#include <algorithm>

namespace stride {

void NgramPool::add(const TokenId* gram, int n) {
  if (n < 2) return;
  std::vector<TokenId> rest(gram + 1, gram + n);
  auto& list = grams_[gram[0]];
  auto it = std::find(list.begin(), list.end(), rest);
  if (it != list.end()) {
    list.erase(it);
    --size_;
  }
  list.push_front(std::move(rest));
  ++size_;
  if (static_cast<int>(list.size()) > per_key_) {
    list.pop_back();
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
  auto it = grams_.find(first);
  if (it == grams_.end()) return out;
  for (const auto& rest : it->second) {
    if (static_cast<int>(out.size()) >= max) break;
    out.push_back(rest);
  }
  return out;
}

}  // namespace stride
