// Byte-level BPE tokenizer read from a Hugging Face tokenizer.json (Qwen2/Qwen2.5, Llama 3,
// GPT-2 style): NFC normaliser, Split pre-tokenizer, ByteLevel mapping, BPE merges, added tokens.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stride/engine.h"
#include "stride/tokenizer.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/pretokenizer.h"

namespace stride::tokenizer {

// A valid tokenizer.json that describes a tokenizer this class does not implement (e.g. a
// SentencePiece-style BPE with byte fallback); the folder loader may then use tokenizer.model.
class UnsupportedTokenizerError : public Error {
 public:
  using Error::Error;
};

class BpeTokenizer final : public Tokenizer {
 public:
  // Throws Error naming the file (UnsupportedTokenizerError for well-formed but unsupported ones).
  static std::unique_ptr<BpeTokenizer> from_file(const std::filesystem::path& tokenizer_json);

  std::vector<int32_t> encode(const std::string& text, bool parse_special = false) const override;
  std::string decode_bytes(const std::vector<int32_t>& ids) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return static_cast<int>(id_bytes_.size()); }
  int token_id(const std::string& token) const override;
  std::string token_text(int32_t id) const override;
  bool is_special(int32_t id) const override;
  std::vector<int32_t> eos_ids() const override { return eos_ids_; }

  void set_eos_ids(std::vector<int32_t> ids) { eos_ids_ = std::move(ids); }

 private:
  BpeTokenizer(std::unique_ptr<BpeModel> model, AddedTokenMatcher added, SplitPattern pattern, bool nfc);
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const;

  std::unique_ptr<BpeModel> model_;
  AddedTokenMatcher added_;
  std::unordered_map<std::string, int32_t> added_ids_;
  SplitPattern pattern_;
  bool nfc_;
  std::vector<std::string> id_bytes_;  // raw bytes of every id ("" for ids that are unused)
  std::vector<std::string> id_text_;   // the vocabulary string of every id
  std::vector<bool> special_;
  std::vector<int32_t> eos_ids_;
};

}  // namespace stride::tokenizer
