#include "editor/bracket_matcher.h"

namespace stride::ui {

namespace {
constexpr char kOpen[] = "([{";
constexpr char kClose[] = ")]}";

int scan(const QString& text, int from, QChar open, QChar close, int dir, int limit) {
  int depth = 0;
  for (int i = from, n = 0; i >= 0 && i < text.size() && n < limit; i += dir, ++n) {
    if (text[i] == open) depth += dir;
    else if (text[i] == close) depth -= dir;
    if (depth == 0) return i;
  }
  return -1;
}

BracketPair matchAt(const QString& text, int i, int limit) {
  if (i < 0 || i >= text.size()) return {};
  const char c = text[i].toLatin1();
  for (int k = 0; k < 3; ++k) {
    if (c == kOpen[k]) {
      const int j = scan(text, i, QLatin1Char(kOpen[k]), QLatin1Char(kClose[k]), +1, limit);
      return j < 0 ? BracketPair{} : BracketPair{i, j};
    }
    if (c == kClose[k]) {
      const int j = scan(text, i, QLatin1Char(kOpen[k]), QLatin1Char(kClose[k]), -1, limit);
      return j < 0 ? BracketPair{} : BracketPair{j, i};
    }
  }
  return {};
}
}  // namespace

BracketPair matchBracket(const QString& text, int position, int limit) {
  BracketPair p = matchAt(text, position, limit);
  if (!p.valid()) p = matchAt(text, position - 1, limit);
  return p;
}

}  // namespace stride::ui
