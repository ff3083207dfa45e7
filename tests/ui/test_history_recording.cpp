// The controller writes one SQLite history row per completion shown, with its outcome, through
// the real stride::HistoryStore in a temporary folder.
#include <QTemporaryDir>
#include <QTextCursor>
#include <QTextDocument>
#include <QtTest>

#include "controller/completion_controller.h"
#include "fake_completion_service.h"

using stride::test::FakeCompletionService;
using stride::ui::CompletionController;

class HistoryRecordingTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void rowsAndOutcomesAreStored() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath(QStringLiteral("history.sqlite")).toStdString();
    FakeCompletionService service;
    QTextDocument doc;
    {
      auto history = stride::HistoryStore::open(path);
      CompletionController ctrl(&doc);
      ctrl.setService(&service);
      ctrl.setHistory(history.get());
      ctrl.setFilePath(QStringLiteral("main.cpp"));
      ctrl.setSettings(stride::CompletionSettings{}, 1);

      auto typeAndShow = [&](const QString& typed, const std::string& suggestion) {
        const size_t before = service.count();
        QTextCursor c(&doc);
        c.movePosition(QTextCursor::End);
        c.insertText(typed);
        ctrl.setCursorPosition(c.position());
        QTRY_COMPARE(service.count(), before + 1);
        FakeCompletionService::stream(service.last(), suggestion, true, 12.5);
        QTRY_VERIFY(ctrl.hasSuggestion() && !ctrl.requestInFlight());
      };
      typeAndShow(QStringLiteral("int main() {"), "\n  return 0;\n}");
      QVERIFY(ctrl.acceptAll());
      typeAndShow(QStringLiteral("\n// a"), " comment");
      ctrl.dismiss();
      typeAndShow(QStringLiteral("\nint x = "), "42;");
      QVERIFY(ctrl.acceptNextWord());
      ctrl.dismiss();
      typeAndShow(QStringLiteral("\nint y = "), "7;");
      // Typing something else over "7;" ends it as typed over; the next answer is empty and so
      // never shown, which writes no row.
      const size_t before = service.count();
      QTextCursor c(&doc);
      c.movePosition(QTextCursor::End);
      c.insertText(QStringLiteral("9"));
      ctrl.setCursorPosition(c.position());
      QVERIFY(!ctrl.hasSuggestion());
      QTRY_COMPARE(service.count(), before + 1);
      FakeCompletionService::stream(service.last(), "", true);
      QTRY_VERIFY(!ctrl.requestInFlight());
    }
    // Re-open: the rows are on disk.
    auto history = stride::HistoryStore::open(path);
    const auto rows = history->rows(0);
    QCOMPARE(rows.size(), size_t(4));
    QCOMPARE(rows[0].outcome, std::string("accepted_all"));
    QCOMPARE(rows[1].outcome, std::string("dismissed"));
    QCOMPARE(rows[2].outcome, std::string("accepted_part"));
    QCOMPARE(rows[3].outcome, std::string("typed_over"));
    for (const auto& r : rows) {
      QCOMPARE(r.source, std::string("app"));
      QCOMPARE(r.file_type, std::string("cpp"));
      QCOMPARE(r.ttft_ms, 12.5);
      QCOMPARE(r.strategy, std::string("lookahead"));
      QVERIFY(r.time_ms > 0);
    }
  }
};

QTEST_MAIN(HistoryRecordingTest)
#include "test_history_recording.moc"
