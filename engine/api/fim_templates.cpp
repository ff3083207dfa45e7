// FIM templates by model family, recognised from the control tokens the vocabulary has, so that
// other families can be added as one table row.
#include "api/fim_templates.h"

namespace stride {

FimTemplate detect_fim_template(const Tokenizer& tokenizer) {
  static const FimTemplate kKnown[] = {
      // Qwen2.5-Coder: <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
      {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>"},
      // StarCoder / DeepSeek-style names.
      {"<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"},
      // CodeLlama (SentencePiece).
      {"▁<PRE>", "▁<SUF>", "▁<MID>", ""},
  };
  for (const FimTemplate& t : kKnown) {
    if (tokenizer.token_id(t.prefix_token) >= 0 && tokenizer.token_id(t.suffix_token) >= 0 &&
        tokenizer.token_id(t.middle_token) >= 0) {
      FimTemplate found = t;
      if (!found.file_separator.empty() && tokenizer.token_id(found.file_separator) < 0) {
        found.file_separator.clear();
      }
      return found;
    }
  }
  return {};
}

std::vector<TokenId> build_fim_prompt(const Tokenizer& tokenizer, const FimTemplate& fim,
                                      const std::string& prefix, const std::string& suffix) {
  if (!fim.supported()) throw Error("this model's vocabulary has no fill-in-the-middle tokens");
  std::vector<TokenId> ids;
  ids.push_back(tokenizer.token_id(fim.prefix_token));
  for (TokenId t : tokenizer.encode(prefix, /*parse_special=*/false)) ids.push_back(t);
  ids.push_back(tokenizer.token_id(fim.suffix_token));
  for (TokenId t : tokenizer.encode(suffix, /*parse_special=*/false)) ids.push_back(t);
  ids.push_back(tokenizer.token_id(fim.middle_token));
  return ids;
}

}  // namespace stride
