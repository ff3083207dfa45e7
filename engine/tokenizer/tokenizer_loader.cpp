// Tokenizer::load_from_folder: picks the tokenizer file of a model folder and its eos ids.
#include <filesystem>

#include "stride/engine.h"
#include "stride/tokenizer.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/eos_config.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace stride {

namespace fs = std::filesystem;

namespace {

std::vector<int32_t> eos_ids_for(const fs::path& dir, const Tokenizer& tok, int32_t builtin_eos) {
  std::vector<int32_t> ids = tokenizer::eos_ids_from_configs(dir, tok);
  if (ids.empty() && builtin_eos >= 0) ids.push_back(builtin_eos);
  if (ids.empty()) {
    for (const char* name : {"<|endoftext|>", "</s>"}) {
      int id = tok.token_id(name);
      if (id >= 0) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

std::unique_ptr<Tokenizer> load_sentencepiece(const fs::path& dir, const fs::path& file) {
  auto tok = tokenizer::SentencePieceTokenizer::from_file(file);
  tok->set_eos_ids(eos_ids_for(dir, *tok, tok->builtin_eos_id()));
  return tok;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::load_from_folder(const std::string& model_dir) {
  const fs::path dir(model_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(model_dir + ": model folder not found");
  const fs::path json_file = dir / "tokenizer.json";
  const fs::path sp_file = dir / "tokenizer.model";
  const bool has_sp = fs::is_regular_file(sp_file, ec);
  if (fs::exists(json_file, ec)) {
    try {
      auto tok = tokenizer::BpeTokenizer::from_file(json_file);
      tok->set_eos_ids(eos_ids_for(dir, *tok, -1));
      return tok;
    } catch (const tokenizer::UnsupportedTokenizerError&) {
      // A SentencePiece model converted to tokenizer.json (Llama 2, Mistral): use the original.
      if (has_sp) return load_sentencepiece(dir, sp_file);
      throw;
    }
  }
  if (has_sp) return load_sentencepiece(dir, sp_file);
  throw Error(model_dir + ": no tokenizer.json or tokenizer.model in the model folder");
}

}  // namespace stride
