// Finds the bracket matching the one at (or just before) a position in plain text.
#pragma once

#include <QString>

namespace stride::ui {

struct BracketPair {
  int open = -1, close = -1;
  bool valid() const { return open >= 0 && close >= 0; }
};

// Looks at the character after `position`, then the one before it. Brackets: () [] {}.
// Scans at most `limit` characters (keeps huge files responsive).
BracketPair matchBracket(const QString& text, int position, int limit = 20000);

}  // namespace stride::ui
