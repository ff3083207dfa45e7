// FIM prompt around the cursor, with Qwen2.5-Coder's repo-level context in front of it:
//
//   [<|file_sep|>{path}\n{text}\n ...  <|file_sep|>{path}\n]
//   <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
//
// (Qwen2.5-Coder technical report, repo-level FIM format; the optional <|repo_name|> line is
// left out because a request names no repository.) Control tokens are inserted by id; every piece
// of user text is encoded with parse_special = false, so "<|fim_prefix|>" typed in a file stays
// plain text. Within context_budget_tokens the text nearest the cursor wins: the prefix loses
// whole lines from its start, the suffix whole lines from its end, and other files are dropped
// whole before either side is cut.
#include <algorithm>
#include <string_view>

#include "completion/completion_service.h"
#include "completion/cursor_context.h"

namespace stride {
namespace {

// Seeds for the lookahead pool / prompt lookup: the text the continuation most likely repeats.
constexpr size_t kSeedPrefixTokens = 256;
constexpr size_t kSeedSuffixTokens = 128;

TokenId control_id(const Tokenizer& tok, const std::string& token) {
  int id = tok.token_id(token);
  if (id < 0) throw Error("the model's vocabulary has no '" + token + "' token (needed for FIM prompts)");
  return id;
}

std::vector<TokenId> encode_plain(const Tokenizer& tok, std::string_view text) {
  if (text.empty()) return {};
  return tok.encode(std::string(text), /*parse_special=*/false);
}

// A kept piece of one side of the cursor and its token ids.
struct KeptText {
  size_t chars = 0;
  std::vector<TokenId> ids;
};

// Cut points of `text` as kept lengths, nearest-the-cursor piece first. For the prefix the
// cursor is at the end, so pieces start at line starts; for the suffix it is at the start, so
// pieces end just after a newline (or at the end of the text).
std::vector<size_t> prefix_cuts(const std::string& text) {
  std::vector<size_t> keep;  // kept lengths, growing
  for (size_t p = text.size(); p > 0; --p) {
    if (text[p - 1] == '\n' && p < text.size()) keep.push_back(text.size() - p);
  }
  keep.push_back(text.size());
  return keep;
}
std::vector<size_t> suffix_cuts(const std::string& text) {
  std::vector<size_t> keep;
  for (size_t p = 0; p < text.size(); ++p) {
    if (text[p] == '\n' && p + 1 < text.size()) keep.push_back(p + 1);
  }
  keep.push_back(text.size());
  return keep;
}

// The largest cut of `text` whose tokens fit in `budget`. Token counts of the pieces are
// estimated line by line (so only the text near the cursor is ever encoded), then the choice is
// checked by encoding it whole and shrunk while it does not fit. When not even the line at the
// cursor fits, its tokens nearest the cursor are kept.
KeptText fit_side(const Tokenizer& tok, const std::string& text, int budget, bool is_prefix) {
  KeptText kept;
  if (budget <= 0 || text.empty()) return kept;
  auto piece = [&](size_t len) -> std::string_view {
    return is_prefix ? std::string_view(text).substr(text.size() - len) : std::string_view(text).substr(0, len);
  };
  const std::vector<size_t> cuts = is_prefix ? prefix_cuts(text) : suffix_cuts(text);
  size_t estimate = 0, prev = 0;
  int chosen = -1;
  for (size_t i = 0; i < cuts.size(); ++i) {
    std::string_view line = is_prefix ? std::string_view(text).substr(text.size() - cuts[i], cuts[i] - prev)
                                      : std::string_view(text).substr(prev, cuts[i] - prev);
    estimate += encode_plain(tok, line).size();
    if (estimate > size_t(budget)) break;
    chosen = int(i);
    prev = cuts[i];
  }
  for (int i = std::min<int>(chosen + 1, int(cuts.size()) - 1); i >= 0; --i) {
    std::vector<TokenId> ids = encode_plain(tok, piece(cuts[i]));
    if (ids.size() <= size_t(budget)) {
      kept.chars = cuts[i];
      kept.ids = std::move(ids);
      return kept;
    }
  }
  // Not even the cursor's own line fits: keep its tokens nearest the cursor.
  std::vector<TokenId> ids = encode_plain(tok, piece(cuts[0]));
  if (is_prefix) {
    kept.ids.assign(ids.end() - budget, ids.end());
  } else {
    kept.ids.assign(ids.begin(), ids.begin() + budget);
  }
  kept.chars = tok.decode_bytes(kept.ids).size();
  return kept;
}

std::string with_final_newline(std::string s) {
  if (s.empty() || s.back() != '\n') s.push_back('\n');
  return s;
}

}  // namespace

BuiltPrompt build_completion_prompt(const Engine& engine, const CompletionInput& input) {
  check_cursor(input);
  const Tokenizer& tok = engine.tokenizer();
  const FimTemplate& fim = engine.fim_template();
  if (!fim.supported()) {
    throw Error("model '" + engine.model_info().name + "' has no fill-in-the-middle tokens; it cannot complete code");
  }
  const TokenId prefix_id = control_id(tok, fim.prefix_token);
  const TokenId suffix_id = control_id(tok, fim.suffix_token);
  const TokenId middle_id = control_id(tok, fim.middle_token);
  const TokenId file_sep_id = fim.file_separator.empty() ? -1 : tok.token_id(fim.file_separator);
  const bool repo_context = file_sep_id >= 0 && !input.other_files.empty();

  const std::string prefix = input.text.substr(0, input.cursor);
  const std::string suffix = input.text.substr(input.cursor);

  // Budget left for user text once the three control tokens are in.
  const int avail = std::max(0, input.settings.context_budget_tokens - 3);

  // The suffix gets at least a quarter of the room, more when the prefix does not need it; room
  // the prefix leaves (it is cut at whole lines) goes back to the suffix.
  const KeptText prefix_alone = fit_side(tok, prefix, avail, /*is_prefix=*/true);
  const int suffix_budget = std::max(avail / 4, avail - int(prefix_alone.ids.size()));
  KeptText kept_suffix = fit_side(tok, suffix, suffix_budget, /*is_prefix=*/false);
  KeptText kept_prefix = prefix_alone;
  if (prefix_alone.ids.size() + kept_suffix.ids.size() > size_t(avail)) {
    kept_prefix = fit_side(tok, prefix, avail - int(kept_suffix.ids.size()), /*is_prefix=*/true);
    if (kept_suffix.chars < suffix.size()) {
      kept_suffix = fit_side(tok, suffix, avail - int(kept_prefix.ids.size()), /*is_prefix=*/false);
    }
  }

  // Other files fill what is left after the current file's header, nearest (last listed) first;
  // one that does not fit is dropped whole.
  std::vector<TokenId> header_ids;
  if (repo_context) {
    header_ids.push_back(file_sep_id);
    for (TokenId t : encode_plain(tok, input.path + "\n")) header_ids.push_back(t);
  }
  int left = avail - int(kept_prefix.ids.size() + kept_suffix.ids.size() + header_ids.size());
  std::vector<std::vector<TokenId>> file_ids(input.other_files.size());
  bool any_file = false;
  if (repo_context) {
    for (size_t i = input.other_files.size(); i-- > 0 && left > 0;) {
      const ContextFile& f = input.other_files[i];
      std::vector<TokenId> ids{file_sep_id};
      for (TokenId t : encode_plain(tok, f.path + "\n" + with_final_newline(f.text))) ids.push_back(t);
      if (int(ids.size()) > left) continue;
      left -= int(ids.size());
      file_ids[i] = std::move(ids);
      any_file = true;
    }
  }

  BuiltPrompt out;
  for (const auto& ids : file_ids) out.ids.insert(out.ids.end(), ids.begin(), ids.end());
  if (any_file) out.ids.insert(out.ids.end(), header_ids.begin(), header_ids.end());
  out.ids.push_back(prefix_id);
  out.ids.insert(out.ids.end(), kept_prefix.ids.begin(), kept_prefix.ids.end());
  out.ids.push_back(suffix_id);
  out.ids.insert(out.ids.end(), kept_suffix.ids.begin(), kept_suffix.ids.end());
  out.ids.push_back(middle_id);
  out.prefix_chars = kept_prefix.chars;
  out.suffix_chars = kept_suffix.chars;

  const size_t np = std::min(kSeedPrefixTokens, kept_prefix.ids.size());
  const size_t ns = std::min(kSeedSuffixTokens, kept_suffix.ids.size());
  out.seed_ids.assign(kept_prefix.ids.end() - np, kept_prefix.ids.end());
  out.seed_ids.insert(out.seed_ids.end(), kept_suffix.ids.begin(), kept_suffix.ids.begin() + ns);
  return out;
}

}  // namespace stride
