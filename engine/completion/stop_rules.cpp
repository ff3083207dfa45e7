// Stop rules for streamed completions. `generated` is the text the model produced after the
// cursor; its line 0 continues the cursor's line, lines 1.. start at column 0 of new lines.
// While the stream is live (ctx.finished == false) a piece whose fate is still open (a blank or
// whitespace-only line, a tail that may turn out to duplicate the document) is held back from
// keep_bytes rather than shown and then taken back.
#include <algorithm>
#include <string_view>

#include "completion/completion_service.h"

namespace stride {
namespace {

constexpr int kTabWidth = 4;

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}
std::string_view rstrip(std::string_view s) {
  size_t end = s.find_last_not_of(" \t\r");
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}
std::string_view strip(std::string_view s) {
  s = rstrip(s);
  size_t begin = s.find_first_not_of(" \t\r");
  return begin == std::string_view::npos ? std::string_view() : s.substr(begin);
}
int indent_width(std::string_view line) {
  int w = 0;
  for (char c : line) {
    if (c == ' ') ++w;
    else if (c == '\t') w += kTabWidth - w % kTabWidth;
    else break;
  }
  return w;
}

// Net bracket depth change of a line, brackets inside '...' / "..." string literals ignored.
int bracket_delta(std::string_view line) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') --depth;
  }
  return depth;
}

// A statement is finished when its brackets are closed and its last line does not announce a
// continuation (an operator, a comma, a block opener such as Python's ':').
bool statement_finished(int depth, std::string_view last_line) {
  if (depth > 0) return false;
  std::string_view t = rstrip(last_line);
  if (t.empty()) return true;
  static constexpr std::string_view kContinuations = ",\\([{:=+-*/%&|^<>.?!";
  return kContinuations.find(t.back()) == std::string_view::npos;
}

// Drops trailing blank lines (and the newline before them) from text[0, keep).
size_t trim_trailing_blank_lines(const std::string& text, size_t keep) {
  for (;;) {
    size_t nl = keep == 0 ? std::string::npos : text.rfind('\n', keep - 1);
    if (nl == std::string::npos) return keep;
    if (!is_blank(std::string_view(text).substr(nl + 1, keep - nl - 1))) return keep;
    keep = nl;
  }
}

// The first non-blank line of the document after the cursor line, right-trimmed.
std::string_view first_next_line(const std::string& next_lines) {
  size_t begin = 0;
  while (begin < next_lines.size()) {
    size_t nl = next_lines.find('\n', begin);
    size_t end = nl == std::string::npos ? next_lines.size() : nl;
    std::string_view line = std::string_view(next_lines).substr(begin, end - begin);
    if (!is_blank(line)) return rstrip(line);
    begin = end + 1;
  }
  return {};
}

}  // namespace

StopDecision apply_stop_rules(const StopRuleContext& ctx, const std::string& g) {
  auto stop_at = [&](size_t cut) { return StopDecision{trim_trailing_blank_lines(g, cut), true}; };
  auto hold_from = [&](size_t cut) { return StopDecision{trim_trailing_blank_lines(g, cut), false}; };

  // The cursor line's indentation: its leading whitespace (left and right of the cursor when the
  // cursor sits inside the indentation).
  const int cursor_indent = is_blank(ctx.line_prefix) ? indent_width(ctx.line_prefix + ctx.line_suffix)
                                                      : indent_width(ctx.line_prefix);
  const std::string_view rest_of_line = strip(ctx.line_suffix);
  const std::string_view next_line = first_next_line(ctx.next_lines);

  int depth = bracket_delta(ctx.line_prefix);
  bool content = false;  // the completion has non-blank text
  std::string_view last_line = ctx.line_prefix;

  size_t begin = 0;
  for (int k = 0; begin <= g.size(); ++k) {
    size_t nl = g.find('\n', begin);
    const bool complete = nl != std::string::npos;
    const bool decided = complete || ctx.finished;  // the line will not change any more
    const size_t end = complete ? nl : g.size();
    const std::string_view line = std::string_view(g).substr(begin, end - begin);

    if (k == 0) {
      // No duplicate of the rest of the line: when the first line ends with the text right of
      // the cursor (closing brackets, a quote, the rest of a call), that part is already there.
      // A multi-line completion that closed the line this way ends with it.
      if (!rest_of_line.empty()) {
        std::string_view l0 = rstrip(line);
        if (decided && l0.size() >= rest_of_line.size() &&
            l0.substr(l0.size() - rest_of_line.size()) == rest_of_line) {
          return StopDecision{begin + l0.size() - rest_of_line.size(), true};
        }
        if (!decided) {
          // Hold back a tail that may still become that duplicate.
          for (size_t n = std::min(rest_of_line.size(), l0.size()); n > 0; --n) {
            if (l0.substr(l0.size() - n) == rest_of_line.substr(0, n)) {
              return StopDecision{begin + l0.size() - n, false};
            }
          }
        }
      }
    } else {
      const size_t cut = begin - 1;  // before the newline that starts this line

      // Max lines: a line past the limit ends the completion as soon as it begins.
      if (ctx.max_lines > 0 && k >= ctx.max_lines) return stop_at(cut);

      if (is_blank(line)) {
        // A whitespace-only line still streaming may become anything: hold it back.
        if (!decided) return hold_from(cut);
        // Blank line after a finished statement: the model moved on to something new.
        if (complete && content && statement_finished(depth, last_line)) return stop_at(cut);
        begin = end + 1;
        continue;
      }
      // End of block by indentation: a line indented less than the cursor line's block, after at
      // least one line (the cursor's) was produced, belongs to code outside the block.
      if (indent_width(line) < cursor_indent) return stop_at(cut);

      // No duplicate of the next lines: a generated line equal to the document's next non-blank
      // line (indentation included) means the model is re-typing what follows the cursor.
      if (!next_line.empty()) {
        std::string_view l = rstrip(line);
        if (decided && l == next_line) return stop_at(cut);
        if (!decided && next_line.substr(0, std::min(l.size(), next_line.size())) == l) return hold_from(cut);
      }
    }
    if (!is_blank(line)) {
      content = true;
      last_line = line;
    }
    depth += bracket_delta(line);
    if (!complete) break;
    begin = end + 1;
  }
  return StopDecision{trim_trailing_blank_lines(g, g.size()), false};
}

}  // namespace stride
