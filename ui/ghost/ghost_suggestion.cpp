#include "ghost/ghost_suggestion.h"

namespace stride::ui {

namespace {
bool isWordChar(QChar c) { return c.isLetterOrNumber() || c == QLatin1Char('_'); }
}  // namespace

int nextWordLength(const QString& text) {
  int i = 0;
  const int n = text.size();
  // Whitespace up to (and including) one newline belongs to the next word.
  while (i < n && text[i].isSpace() && text[i] != QLatin1Char('\n')) ++i;
  if (i < n && text[i] == QLatin1Char('\n')) {
    ++i;
    while (i < n && text[i].isSpace() && text[i] != QLatin1Char('\n')) ++i;
    if (i > 0) return i;
  }
  if (i >= n) return n;
  if (isWordChar(text[i])) {
    while (i < n && isWordChar(text[i])) ++i;
  } else {
    while (i < n && !text[i].isSpace() && !isWordChar(text[i])) ++i;
  }
  return i;
}

int nextLineLength(const QString& text) {
  int start = 0;
  if (text.startsWith(QLatin1Char('\n'))) start = 1;
  const int nl = text.indexOf(QLatin1Char('\n'), start);
  return nl < 0 ? text.size() : nl;
}

}  // namespace stride::ui
