#include "stride/tokenizer.h"
#include "tokenizer/unicode_text.h"

namespace stride {

std::string StreamingDecoder::push(int32_t id) {
  pending_ += tokenizer_.decode_bytes({id});
  // An emoji is often split over two or three byte-level tokens: keep its first bytes back until
  // the sequence is complete. Sequences that can no longer complete become U+FFFD.
  size_t complete = tokenizer::complete_utf8_prefix(pending_);
  std::string out = tokenizer::repair_utf8(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out = tokenizer::repair_utf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace stride
