// The editor widget as a user drives it (offscreen): keys reach the controller, an accepted
// completion is one undo step, the ghost text is painted, brackets are matched.
#include <QtTest>

#include "editor/bracket_matcher.h"
#include "editor/code_editor.h"
#include "fake_completion_service.h"

using stride::test::FakeCompletionService;
using stride::ui::CodeEditor;

class CodeEditorTest : public QObject {
  Q_OBJECT

  CodeEditor* editor_ = nullptr;
  FakeCompletionService* service_ = nullptr;

  void suggest(const std::string& text) {
    QTRY_VERIFY_WITH_TIMEOUT(service_->count() > 0, 2000);
    auto call = service_->last();
    FakeCompletionService::stream(call, text, true);
    QTRY_VERIFY_WITH_TIMEOUT(editor_->completion().hasSuggestion(), 2000);
  }

 private Q_SLOTS:
  void init() {
    service_ = new FakeCompletionService;
    editor_ = new CodeEditor;
    editor_->setFilePath(QStringLiteral("demo.py"));
    editor_->completion().setService(service_);
    editor_->completion().setSettings(stride::CompletionSettings{}, 5);
    editor_->resize(600, 300);
    editor_->show();
    QVERIFY(QTest::qWaitForWindowExposed(editor_));
  }
  void cleanup() {
    delete editor_;
    delete service_;
  }

  void tabAcceptsAsOneUndoStep() {
    QTest::keyClicks(editor_, "def f(x):");
    QTest::keyClick(editor_, Qt::Key_Return);
    const QString typed = editor_->toPlainText();
    suggest("return x * 2\nprint(f(3))");
    QTest::keyClick(editor_, Qt::Key_Tab);
    QCOMPARE(editor_->toPlainText(), typed + QStringLiteral("return x * 2\nprint(f(3))"));
    QCOMPARE(editor_->textCursor().position(), editor_->document()->characterCount() - 1);
    editor_->undo();
    QCOMPARE(editor_->toPlainText(), typed);  // the whole completion went in one step
    editor_->redo();
    QCOMPARE(editor_->toPlainText(), typed + QStringLiteral("return x * 2\nprint(f(3))"));
  }

  void typingAfterAcceptIsItsOwnUndoStep() {
    QTest::keyClicks(editor_, "x = ");
    suggest("1");
    QTest::keyClick(editor_, Qt::Key_Tab);
    QTest::keyClicks(editor_, "  # one");
    editor_->undo();
    QCOMPARE(editor_->toPlainText(), QStringLiteral("x = 1"));
    editor_->undo();
    QCOMPARE(editor_->toPlainText(), QStringLiteral("x = "));
  }

  void ctrlRightAndCtrlDownAcceptParts() {
    QTest::keyClicks(editor_, "y = ");
    suggest("compute(a)\nz = 2");
    QTest::keyClick(editor_, Qt::Key_Right, Qt::ControlModifier);
    QCOMPARE(editor_->toPlainText(), QStringLiteral("y = compute"));
    QTest::keyClick(editor_, Qt::Key_Down, Qt::ControlModifier);
    QCOMPARE(editor_->toPlainText(), QStringLiteral("y = compute(a)"));
    QCOMPARE(editor_->completion().suggestion().text, QStringLiteral("\nz = 2"));
    QTest::keyClick(editor_, Qt::Key_Escape);
    QVERIFY(!editor_->completion().hasSuggestion());
    QCOMPARE(editor_->toPlainText(), QStringLiteral("y = compute(a)"));
  }

  void typingTheSuggestionConsumesIt() {
    QTest::keyClicks(editor_, "for ");
    suggest("i in range(3):");
    const size_t requests = service_->count();
    QTest::keyClicks(editor_, "i in");
    QCOMPARE(editor_->completion().suggestion().text, QStringLiteral(" range(3):"));
    QTest::qWait(30);
    QCOMPARE(service_->count(), requests);
    QTest::keyClick(editor_, Qt::Key_Tab);
    QCOMPARE(editor_->toPlainText(), QStringLiteral("for i in range(3):"));
  }

  void tabWithoutSuggestionIndents() {
    QTest::keyClick(editor_, Qt::Key_Tab);
    QCOMPARE(editor_->toPlainText(), QStringLiteral("\t"));
  }

  void ghostTextIsPainted() {
    QTest::keyClicks(editor_, "s = ");
    const QImage before = editor_->viewport()->grab().toImage();
    suggest("'hello world'\nprint(s)");
    const QImage after = editor_->viewport()->grab().toImage();
    QVERIFY(before != after);  // the overlay changed pixels without changing the text
    QCOMPARE(editor_->toPlainText(), QStringLiteral("s = "));
  }

  void bracketMatching() {
    const QString text = QStringLiteral("f(a[1], {b: (2)})");
    QCOMPARE(stride::ui::matchBracket(text, 1).close, 16);
    QCOMPARE(stride::ui::matchBracket(text, 17).open, 1);   // just after ')'
    QCOMPARE(stride::ui::matchBracket(text, 3).close, 5);
    QVERIFY(!stride::ui::matchBracket(QStringLiteral("(("), 0).valid());
  }
};

QTEST_MAIN(CodeEditorTest)
#include "test_code_editor.moc"
