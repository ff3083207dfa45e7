// The editor pane: a QPlainTextEdit with line numbers, current-line and bracket highlights,
// syntax highlighting (KSyntaxHighlighting when built in) and the ghost-text overlay of its
// CompletionController. Keys that act on the suggestion are forwarded to the controller.
#pragma once

#include <QPlainTextEdit>

#include "controller/completion_controller.h"

namespace KSyntaxHighlighting {
class SyntaxHighlighter;
}

namespace stride::ui {

class CodeEditor : public QPlainTextEdit {
  Q_OBJECT
 public:
  explicit CodeEditor(QWidget* parent = nullptr);
  ~CodeEditor() override;

  CompletionController& completion() { return *controller_; }

  // Picks the highlighting definition from the file name (or, failing that, the content).
  void setFilePath(const QString& path);
  QString filePath() const { return path_; }
  void setDarkTheme(bool dark);
  bool darkTheme() const { return dark_; }

  int lineNumberAreaWidth() const;
  void paintLineNumbers(QPaintEvent* event);

 protected:
  void keyPressEvent(QKeyEvent* event) override;
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void updateLineNumberAreaWidth();
  void updateLineNumberArea(const QRect& rect, int dy);
  void updateExtraSelections();
  void paintGhostText();
  void applyTheme();

  QWidget* line_numbers_;
  CompletionController* controller_;
  KSyntaxHighlighting::SyntaxHighlighter* highlighter_ = nullptr;
  QString path_;
  bool dark_ = false;
  QColor current_line_, bracket_match_, gutter_bg_, gutter_fg_, ghost_fg_, ghost_bg_;
};

}  // namespace stride::ui
