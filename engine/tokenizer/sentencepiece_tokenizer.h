// SentencePiece tokenizer (Llama / Mistral tokenizer.model) through libsentencepiece.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "stride/tokenizer.h"
#include "tokenizer/added_tokens.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace stride::tokenizer {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws Error naming the file when it cannot be loaded.
  static std::unique_ptr<SentencePieceTokenizer> from_file(const std::filesystem::path& model_file);
  ~SentencePieceTokenizer() override;

  // parse_special: control pieces ("<s>", "</s>") and "<unk>" in the text become their ids.
  std::vector<int32_t> encode(const std::string& text, bool parse_special = false) const override;
  // Pieces concatenated with U+2581 as a space and byte pieces ("<0xE2>") as their bytes; control
  // pieces are empty. Unlike decode(), the leading space of the first piece is kept, so decoding
  // token by token concatenates to the same bytes (what StreamingDecoder needs).
  std::string decode_bytes(const std::vector<int32_t>& ids) const override;
  // SentencePiece's own detokenisation (drops the dummy-prefix space at the start).
  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override;
  int token_id(const std::string& token) const override;
  std::string token_text(int32_t id) const override;
  bool is_special(int32_t id) const override;
  std::vector<int32_t> eos_ids() const override { return eos_ids_; }

  void set_eos_ids(std::vector<int32_t> ids) { eos_ids_ = std::move(ids); }
  int32_t builtin_eos_id() const;

 private:
  SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp, std::string file);
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string file_;
  AddedTokenMatcher specials_;
  std::vector<std::string> id_bytes_;
  std::vector<int32_t> eos_ids_;
};

}  // namespace stride::tokenizer
