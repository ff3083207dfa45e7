// Stop rules and the no-duplicate rule as the user sees them: the real CompletionService (on
// its worker thread) over a scripted engine, feeding a CodeEditor's ghost text.
#include <QtTest>

#include "editor/code_editor.h"
#include "fake_engine.h"  // tests/completion: byte tokenizer + scripted engine

using stride::testing::FakeEngine;
using stride::ui::CodeEditor;

class StopRulesInEditorTest : public QObject {
  Q_OBJECT

  std::unique_ptr<stride::CompletionService> service_;  // outlives the editor of each test

  // Puts `text` in an editor with the cursor at `cursor`, lets the model answer `answer` and
  // returns the ghost text that was shown once the request finished.
  QString ghostFor(CodeEditor& editor, const QString& text, int cursor, const std::string& answer,
                   stride::CompletionSettings settings = {}) {
    auto engine = std::make_shared<FakeEngine>([answer](const stride::Request&) { return answer; });
    service_ = stride::CompletionService::create(engine);
    auto& service = service_;
    editor.setPlainText(text);
    QTextCursor c = editor.textCursor();
    c.setPosition(cursor);
    editor.setTextCursor(c);
    editor.completion().setService(service.get());
    editor.completion().setSettings(settings, 0);
    QSignalSpy finished(&editor.completion(), &stride::ui::CompletionController::completionFinished);
    editor.completion().requestNow();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 5000); }();
    return editor.completion().suggestion().text;
  }

 private Q_SLOTS:
  void cleanup() {
    if (service_) service_->shutdown();
    service_.reset();
  }
  void restOfLineIsNotDuplicated() {
    CodeEditor editor;
    editor.setFilePath(QStringLiteral("a.py"));
    QCOMPARE(ghostFor(editor, QStringLiteral("print()"), 6, "a, b)"), QStringLiteral("a, b"));
    QTest::keyClick(&editor, Qt::Key_Tab);
    QCOMPARE(editor.toPlainText(), QStringLiteral("print(a, b)"));
  }

  void nextLinesAreNotDuplicated() {
    CodeEditor editor;
    editor.setFilePath(QStringLiteral("a.py"));
    const QString text = QStringLiteral("def f(x):\n    return x\n");
    QCOMPARE(ghostFor(editor, text, 9, "\n    x += 1\n    return x\n"), QStringLiteral("\n    x += 1"));
    QTest::keyClick(&editor, Qt::Key_Tab);
    QCOMPARE(editor.toPlainText(), QStringLiteral("def f(x):\n    x += 1\n    return x\n"));
  }

  void maxLinesCutsTheSuggestion() {
    CodeEditor editor;
    editor.setFilePath(QStringLiteral("a.py"));
    stride::CompletionSettings settings;
    settings.max_lines = 2;
    QCOMPARE(ghostFor(editor, QString(), 0, "a()\nb()\nc()\n", settings), QStringLiteral("a()\nb()"));
  }

  void endOfBlockStops() {
    CodeEditor editor;
    editor.setFilePath(QStringLiteral("a.py"));
    const QString text = QStringLiteral("def g(xs):\n    total = ");
    QCOMPARE(ghostFor(editor, text, int(text.size()), "0\n    for x in xs:\n        total += x\n    return total\ndef other():\n"),
             QStringLiteral("0\n    for x in xs:\n        total += x\n    return total"));
  }
};

QTEST_MAIN(StopRulesInEditorTest)
#include "test_stop_rules_in_editor.moc"
