#include "editor/code_editor.h"

#include <QKeyEvent>
#include <QPainter>
#include <QTextBlock>

#include "editor/bracket_matcher.h"

#ifdef STRIDE_HAVE_SYNTAX_HIGHLIGHTING
#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/SyntaxHighlighter>
#include <KSyntaxHighlighting/Theme>
#endif

namespace stride::ui {

namespace {

class LineNumberArea : public QWidget {
 public:
  explicit LineNumberArea(CodeEditor* editor) : QWidget(editor), editor_(editor) {}
  QSize sizeHint() const override { return {editor_->lineNumberAreaWidth(), 0}; }

 protected:
  void paintEvent(QPaintEvent* event) override { editor_->paintLineNumbers(event); }

 private:
  CodeEditor* editor_;
};

#ifdef STRIDE_HAVE_SYNTAX_HIGHLIGHTING
// One repository for every editor: loading the definitions takes a while.
KSyntaxHighlighting::Repository& repository() {
  static KSyntaxHighlighting::Repository repo;
  return repo;
}
#endif

}  // namespace

CodeEditor::CodeEditor(QWidget* parent)
    : QPlainTextEdit(parent),
      line_numbers_(new LineNumberArea(this)),
      controller_(new CompletionController(document(), this)) {
  setLineWrapMode(QPlainTextEdit::NoWrap);
  QFont mono(QStringLiteral("Monospace"));
  mono.setStyleHint(QFont::TypeWriter);
  mono.setPointSize(11);
  setFont(mono);
  setTabStopDistance(4 * fontMetrics().horizontalAdvance(QLatin1Char(' ')));

#ifdef STRIDE_HAVE_SYNTAX_HIGHLIGHTING
  highlighter_ = new KSyntaxHighlighting::SyntaxHighlighter(document());
#endif
  connect(this, &QPlainTextEdit::blockCountChanged, this, &CodeEditor::updateLineNumberAreaWidth);
  connect(this, &QPlainTextEdit::updateRequest, this, &CodeEditor::updateLineNumberArea);
  connect(this, &QPlainTextEdit::cursorPositionChanged, this, [this] {
    controller_->setCursorPosition(textCursor().position());
    updateExtraSelections();
  });
  connect(controller_, &CompletionController::suggestionChanged, viewport(), qOverload<>(&QWidget::update));
  connect(controller_, &CompletionController::cursorPositionRequested, this, [this](int pos) {
    QTextCursor c = textCursor();
    c.setPosition(pos);
    setTextCursor(c);
    ensureCursorVisible();
  });
  applyTheme();
  updateLineNumberAreaWidth();
  updateExtraSelections();
}

CodeEditor::~CodeEditor() = default;

void CodeEditor::setFilePath(const QString& path) {
  path_ = path;
  controller_->setFilePath(path);
#ifdef STRIDE_HAVE_SYNTAX_HIGHLIGHTING
  auto def = repository().definitionForFileName(path);
  if (!def.isValid()) def = repository().definitionForMimeType(QStringLiteral("text/plain"));
  highlighter_->setDefinition(def);
#endif
}

void CodeEditor::setDarkTheme(bool dark) {
  dark_ = dark;
  applyTheme();
}

void CodeEditor::applyTheme() {
  QPalette pal = palette();
#ifdef STRIDE_HAVE_SYNTAX_HIGHLIGHTING
  const auto theme = repository().defaultTheme(dark_ ? KSyntaxHighlighting::Repository::DarkTheme
                                                     : KSyntaxHighlighting::Repository::LightTheme);
  highlighter_->setTheme(theme);
  highlighter_->rehighlight();
  pal.setColor(QPalette::Base, QColor(theme.editorColor(KSyntaxHighlighting::Theme::BackgroundColor)));
  pal.setColor(QPalette::Text, QColor(theme.textColor(KSyntaxHighlighting::Theme::Normal)));
  current_line_ = QColor(theme.editorColor(KSyntaxHighlighting::Theme::CurrentLine));
  bracket_match_ = QColor(theme.editorColor(KSyntaxHighlighting::Theme::BracketMatching));
  gutter_bg_ = QColor(theme.editorColor(KSyntaxHighlighting::Theme::IconBorder));
  gutter_fg_ = QColor(theme.editorColor(KSyntaxHighlighting::Theme::LineNumbers));
#else
  pal.setColor(QPalette::Base, dark_ ? QColor(0x23, 0x26, 0x29) : QColor(Qt::white));
  pal.setColor(QPalette::Text, dark_ ? QColor(0xcf, 0xcf, 0xc2) : QColor(0x1f, 0x1c, 0x1b));
  current_line_ = dark_ ? QColor(0x2a, 0x2e, 0x32) : QColor(0xf8, 0xf7, 0xf6);
  bracket_match_ = dark_ ? QColor(0x4d, 0x4d, 0x2d) : QColor(0xff, 0xff, 0x00, 0x60);
  gutter_bg_ = pal.color(QPalette::Base).darker(dark_ ? 80 : 104);
  gutter_fg_ = dark_ ? QColor(0x7a, 0x7c, 0x7d) : QColor(0xa0, 0xa0, 0xa0);
#endif
  const QColor base = pal.color(QPalette::Base), text = pal.color(QPalette::Text);
  // Ghost text: half way between text and background, so it reads as "not there yet".
  ghost_fg_ = QColor((base.red() + text.red()) / 2, (base.green() + text.green()) / 2,
                     (base.blue() + text.blue()) / 2);
  ghost_bg_ = base;
  setPalette(pal);
  updateExtraSelections();
  line_numbers_->update();
}

int CodeEditor::lineNumberAreaWidth() const {
  int digits = 1;
  for (int max = std::max(1, blockCount()); max >= 10; max /= 10) ++digits;
  return 12 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * std::max(3, digits);
}

void CodeEditor::updateLineNumberAreaWidth() { setViewportMargins(lineNumberAreaWidth(), 0, 0, 0); }

void CodeEditor::updateLineNumberArea(const QRect& rect, int dy) {
  if (dy) {
    line_numbers_->scroll(0, dy);
  } else {
    line_numbers_->update(0, rect.y(), line_numbers_->width(), rect.height());
  }
  if (rect.contains(viewport()->rect())) updateLineNumberAreaWidth();
}

void CodeEditor::resizeEvent(QResizeEvent* event) {
  QPlainTextEdit::resizeEvent(event);
  const QRect cr = contentsRect();
  line_numbers_->setGeometry(QRect(cr.left(), cr.top(), lineNumberAreaWidth(), cr.height()));
}

void CodeEditor::paintLineNumbers(QPaintEvent* event) {
  QPainter painter(line_numbers_);
  painter.fillRect(event->rect(), gutter_bg_);
  painter.setPen(gutter_fg_);
  QTextBlock block = firstVisibleBlock();
  int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
  int bottom = top + qRound(blockBoundingRect(block).height());
  const int current = textCursor().blockNumber();
  while (block.isValid() && top <= event->rect().bottom()) {
    if (block.isVisible() && bottom >= event->rect().top()) {
      QFont f = font();
      f.setBold(block.blockNumber() == current);
      painter.setFont(f);
      painter.drawText(0, top, line_numbers_->width() - 6, fontMetrics().height(), Qt::AlignRight,
                       QString::number(block.blockNumber() + 1));
    }
    block = block.next();
    top = bottom;
    bottom = top + qRound(blockBoundingRect(block).height());
  }
}

void CodeEditor::updateExtraSelections() {
  QList<QTextEdit::ExtraSelection> selections;
  QTextEdit::ExtraSelection line;
  line.format.setBackground(current_line_);
  line.format.setProperty(QTextFormat::FullWidthSelection, true);
  line.cursor = textCursor();
  line.cursor.clearSelection();
  selections.append(line);

  const BracketPair pair = matchBracket(document()->toPlainText(), textCursor().position());
  if (pair.valid()) {
    for (int pos : {pair.open, pair.close}) {
      QTextEdit::ExtraSelection b;
      b.format.setBackground(bracket_match_);
      b.cursor = QTextCursor(document());
      b.cursor.setPosition(pos);
      b.cursor.setPosition(pos + 1, QTextCursor::KeepAnchor);
      selections.append(b);
    }
  }
  setExtraSelections(selections);
}

void CodeEditor::keyPressEvent(QKeyEvent* event) {
  CompletionController& c = *controller_;
  if (c.hasSuggestion()) {
    const auto mods = event->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier | Qt::AltModifier);
    if (event->key() == Qt::Key_Tab && mods == Qt::NoModifier) {
      c.acceptAll();
      return;
    }
    if (event->key() == Qt::Key_Right && mods == Qt::ControlModifier) {
      c.acceptNextWord();
      return;
    }
    if (event->key() == Qt::Key_Down && mods == Qt::ControlModifier) {
      c.acceptNextLine();
      return;
    }
    if (event->key() == Qt::Key_Escape) {
      c.dismiss();
      return;
    }
  }
  if (event->key() == Qt::Key_Space && event->modifiers() == Qt::ControlModifier) {
    c.requestNow();
    return;
  }
  QPlainTextEdit::keyPressEvent(event);
}

void CodeEditor::paintEvent(QPaintEvent* event) {
  QPlainTextEdit::paintEvent(event);
  if (controller_->hasSuggestion()) paintGhostText();
}

// The first ghost line continues the cursor's line (over whatever follows the cursor there);
// further lines are drawn below it on the editor's background, left-aligned with the text.
void CodeEditor::paintGhostText() {
  const GhostSuggestion& g = controller_->suggestion();
  QTextCursor at(document());
  at.setPosition(std::clamp(g.anchor, 0, document()->characterCount() - 1));
  const QRect r = cursorRect(at);
  const QFontMetrics fm(font());
  const int lineHeight = fm.lineSpacing();
  const int left = int(document()->documentMargin() + contentOffset().x());

  QPainter p(viewport());
  QFont f = font();
  f.setItalic(true);
  p.setFont(f);
  const QStringList lines = g.lines();
  for (int i = 0; i < lines.size(); ++i) {
    QString line = lines[i];
    line.replace(QLatin1Char('\t'), QString(4, QLatin1Char(' ')));
    const int x = i == 0 ? r.left() : left;
    const int y = r.top() + i * lineHeight;
    if (y > viewport()->height()) break;
    const int w = i == 0 ? fm.horizontalAdvance(line) + 2 : viewport()->width() - x;
    if (i > 0 || !line.isEmpty()) p.fillRect(QRect(x, y, w, lineHeight), ghost_bg_);
    p.setPen(ghost_fg_);
    p.drawText(QRect(x, y, viewport()->width() - x, lineHeight), Qt::AlignLeft | Qt::AlignVCenter, line);
  }
}

}  // namespace stride::ui
