// The suggestion shown as ghost text: where it is anchored in the document and what is left of
// it. A plain value (no Qt objects) so the controller and the painter share it without coupling.
#pragma once

#include <QString>
#include <QStringList>

namespace stride::ui {

struct GhostSuggestion {
  int anchor = -1;  // document position the ghost text starts at (the cursor when shown)
  QString text;     // what would be inserted by "accept all"

  bool visible() const { return anchor >= 0 && !text.isEmpty(); }
  QString firstLine() const { return text.section(QLatin1Char('\n'), 0, 0); }
  QStringList lines() const { return text.split(QLatin1Char('\n')); }
};

// Length of the next word of `text` for Ctrl+Right: leading whitespace, then one run of word
// characters or one run of other non-space characters (like the editor's word movement).
int nextWordLength(const QString& text);
// Length of the rest of the current ghost line, newline excluded (Ctrl+Down). When the ghost
// starts with a newline, that newline and the following line are taken together.
int nextLineLength(const QString& text);

}  // namespace stride::ui
