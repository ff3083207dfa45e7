// Tokenizer interface shared by the byte-level BPE (tokenizer.json) and SentencePiece models.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stride {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // parse_special: whether special-token strings ("<|fim_prefix|>") in `text` become control
  // tokens. Text from a user's files must always be encoded with parse_special = false.
  virtual std::vector<int32_t> encode(const std::string& text, bool parse_special = false) const = 0;
  // Raw bytes of the tokens concatenated (may end in an incomplete UTF-8 sequence).
  virtual std::string decode_bytes(const std::vector<int32_t>& ids) const = 0;
  // Decoded text; invalid/incomplete UTF-8 replaced by U+FFFD.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;

  virtual int vocab_size() const = 0;
  virtual int token_id(const std::string& token) const = 0;  // -1 if absent
  virtual std::string token_text(int32_t id) const = 0;     // the vocabulary string
  virtual bool is_special(int32_t id) const = 0;
  virtual std::vector<int32_t> eos_ids() const = 0;

  // Loads tokenizer.json (byte-level BPE) or tokenizer.model (SentencePiece) from a model
  // folder; throws stride::Error naming the file on failure.
  static std::unique_ptr<Tokenizer> load_from_folder(const std::string& model_dir);
};

// Streaming detokenizer: holds back partial UTF-8 sequences until they are complete.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Returns the text that became complete with this token (possibly empty).
  std::string push(int32_t id);
  // Whatever is held back, with incomplete sequences replaced by U+FFFD.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace stride
