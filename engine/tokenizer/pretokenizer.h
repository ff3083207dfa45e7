// The pre-tokenizer split patterns of byte-level BPE models, as hand-written matchers over code
// points (no regex engine): each reproduces the leftmost-first, backtracking semantics of the
// Oniguruma regex that Hugging Face tokenizers runs for the same pattern.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stride::tokenizer {

enum class SplitPattern {
  // Qwen2 / Qwen2.5: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
  //   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Qwen2,
  // Llama 3: the same with \p{N}{1,3}.
  Llama3,
  // GPT-2 (ByteLevel pre-tokenizer with use_regex): 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
  //   ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Gpt2,
};

// The pattern whose regex source is exactly `regex`, if it is one we implement.
std::optional<SplitPattern> split_pattern_from_regex(const std::string& regex);
std::string split_pattern_regex(SplitPattern p);

// Splits `text` into consecutive pieces (behaviour "Isolated": every match is a piece; the
// patterns above match everywhere, so the pieces cover the whole text). Invalid UTF-8 bytes count
// as characters that are neither letters, numbers nor whitespace.
std::vector<std::string_view> pre_tokenize(SplitPattern pattern, std::string_view text);

}  // namespace stride::tokenizer
