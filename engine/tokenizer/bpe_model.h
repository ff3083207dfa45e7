// The BPE model of a byte-level tokenizer: vocabulary, merge ranks and the merge loop that turns
// one pre-tokenized word (raw bytes) into token ids, with a cache of words already seen.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stride::tokenizer {

class BpeModel {
 public:
  // vocab: byte-level token string -> id. merges: pairs of token strings in rank order.
  // Throws std::invalid_argument (the loader adds the file name) when a merge names an unknown
  // token or a byte has no token of its own.
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges);

  // Appends the ids of one word (raw bytes, before the byte-level mapping).
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byte_ids_{};
  bool ignore_merges_ = false;

  // Words repeat a lot in source code; the cache makes a 20 KB file a few ms of work. Guarded by
  // a mutex because encode() is const and may run on several threads.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace stride::tokenizer
