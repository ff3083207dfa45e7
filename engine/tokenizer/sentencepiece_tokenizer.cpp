#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "stride/engine.h"

namespace stride::tokenizer {

namespace {

// "<0xAB>" -> byte 0xAB.
bool parse_byte_piece(const std::string& piece, char& byte) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return false;
  byte = static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16));
  return true;
}

std::string replace_meta_space(const std::string& piece) {
  static const std::string kMetaSpace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK
  std::string out;
  out.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kMetaSpace.size(), kMetaSpace) == 0) {
      out += ' ';
      i += kMetaSpace.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_file(const std::filesystem::path& model_file) {
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  if (!std::filesystem::is_regular_file(model_file)) throw Error(model_file.string() + ": file not found");
  auto status = sp->Load(model_file.string());
  if (!status.ok()) throw Error(model_file.string() + ": cannot load SentencePiece model: " + status.ToString());
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(std::move(sp), model_file.string()));
}

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp,
                                               std::string file)
    : sp_(std::move(sp)), file_(std::move(file)) {
  const int n = sp_->GetPieceSize();
  id_bytes_.resize(n);
  std::vector<AddedToken> specials;
  for (int id = 0; id < n; ++id) {
    const std::string& piece = sp_->IdToPiece(id);
    char byte;
    if (sp_->IsControl(id) || sp_->IsUnused(id)) {
      id_bytes_[id] = "";
    } else if (sp_->IsUnknown(id)) {
      id_bytes_[id] = " \xE2\x81\x87 ";  // SentencePiece's surface form of <unk>
    } else if (sp_->IsByte(id) && parse_byte_piece(piece, byte)) {
      id_bytes_[id] = std::string(1, byte);
    } else {
      id_bytes_[id] = replace_meta_space(piece);
    }
    if (sp_->IsControl(id) || sp_->IsUnknown(id)) specials.push_back({id, piece, true, false, false, false});
  }
  specials_ = AddedTokenMatcher(std::move(specials));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<int> ids;
  auto status = sp_->Encode(std::string(text), &ids);
  if (!status.ok()) throw Error(file_ + ": SentencePiece encode failed: " + status.ToString());
  out.insert(out.end(), ids.begin(), ids.end());
}

std::vector<int32_t> SentencePieceTokenizer::encode(const std::string& text, bool parse_special) const {
  std::vector<int32_t> ids;
  if (!parse_special) {
    encode_plain(text, ids);
    return ids;
  }
  for (const auto& seg : specials_.split(text)) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
    } else {
      encode_plain(seg.text, ids);
    }
  }
  return ids;
}

std::string SentencePieceTokenizer::decode_bytes(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) out += id_bytes_[id];
  }
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<int> known;
  known.reserve(ids.size());
  for (int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) known.push_back(id);
  }
  std::string text;
  auto status = sp_->Decode(known, &text);
  if (!status.ok()) throw Error(file_ + ": SentencePiece decode failed: " + status.ToString());
  return text;
}

int SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

int SentencePieceTokenizer::token_id(const std::string& token) const {
  int id = sp_->PieceToId(token);  // returns the unknown id for absent pieces
  return id >= 0 && sp_->IdToPiece(id) == token ? id : -1;
}

std::string SentencePieceTokenizer::token_text(int32_t id) const {
  return id >= 0 && id < vocab_size() ? sp_->IdToPiece(id) : std::string();
}

bool SentencePieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < vocab_size() && (sp_->IsControl(id) || sp_->IsUnknown(id));
}

int32_t SentencePieceTokenizer::builtin_eos_id() const { return sp_->eos_id(); }

}  // namespace stride::tokenizer
