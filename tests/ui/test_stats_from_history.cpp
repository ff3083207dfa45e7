// Every suggestion the app shows ends up as one history row (source "app") with its outcome —
// including ones still streaming when their service or editor goes away — and the Stats view
// reads those rows (next to rows stride-lsp wrote) from the same SQLite store.
#include <QTemporaryDir>
#include <QTextCursor>
#include <QTextDocument>
#include <QtTest>

#include "controller/completion_controller.h"
#include "controller/queued_history_store.h"
#include "fake_completion_service.h"
#include "stats/stats_dialog.h"

using stride::test::FakeCompletionService;
using stride::ui::CompletionController;

class StatsFromHistoryTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void everyShownSuggestionIsARowTheStatsViewCounts() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto history = stride::HistoryStore::open(dir.filePath(QStringLiteral("history.sqlite")).toStdString());
    FakeCompletionService service;

    // Types `typed` at the end, answers the request with `suggestion` (finished or still
    // streaming) and waits until it is on screen.
    auto typeAndShow = [&](CompletionController& ctrl, QTextDocument& doc, const QString& typed,
                           const std::string& suggestion, bool finish) {
      const size_t before = service.count();
      QTextCursor c(&doc);
      c.movePosition(QTextCursor::End);
      c.insertText(typed);
      ctrl.setCursorPosition(c.position());
      QTRY_COMPARE(service.count(), before + 1);
      FakeCompletionService::stream(service.last(), suggestion, finish, 20.0);
      QTRY_VERIFY(ctrl.hasSuggestion() && ctrl.requestInFlight() != finish);
    };

    QTextDocument doc;
    {
      CompletionController ctrl(&doc);
      ctrl.setService(&service);
      ctrl.setHistory(history.get());
      ctrl.setFilePath(QStringLiteral("demo.py"));
      ctrl.setSettings(stride::CompletionSettings{}, 1);
      typeAndShow(ctrl, doc, QStringLiteral("def f():\n"), "    return 1\n", true);
      QVERIFY(ctrl.acceptAll());
      typeAndShow(ctrl, doc, QStringLiteral("\ndef g():\n"), "    return", false);
      ctrl.setService(nullptr);  // e.g. the engine is reloaded: the shown suggestion is gone
      QVERIFY(!ctrl.hasSuggestion());
      ctrl.setService(&service);
      typeAndShow(ctrl, doc, QStringLiteral(" 2\n\ndef h():\n"), "    pass", false);
    }  // the editor closes with a suggestion still streaming
    QTRY_VERIFY(true);  // let the last worker callbacks land (they are dropped)

    // A row from an editor served through stride-lsp, as the LSP server writes it.
    stride::HistoryRow lsp;
    lsp.time_ms = QDateTime::currentMSecsSinceEpoch();
    lsp.source = "lsp";
    lsp.outcome = "accepted_all";
    lsp.ttft_ms = 30;
    lsp.total_ms = 80;
    history->add(lsp);

    const auto rows = history->rows();
    QCOMPARE(rows.size(), size_t(4));
    QCOMPARE(rows[0].outcome, std::string("accepted_all"));
    QCOMPARE(rows[0].ttft_ms, 20.0);
    QCOMPARE(rows[1].outcome, std::string("dismissed"));
    QCOMPARE(rows[2].outcome, std::string("dismissed"));
    for (int i = 0; i < 3; ++i) {
      QCOMPARE(rows[size_t(i)].source, std::string("app"));
      QCOMPARE(rows[size_t(i)].file_type, std::string("py"));
    }

    const stride::ui::HistorySummary s = stride::ui::summarize(rows);
    QCOMPARE(s.shown, 4);
    QCOMPARE(s.accepted, 2);
    QCOMPARE(s.shown_by_source.at("app"), 3);
    QCOMPARE(s.shown_by_source.at("lsp"), 1);
    int timed = 0;
    for (int n : s.latency_buckets) timed += n;
    QCOMPARE(timed, 2);  // the two unfinished ones have no engine timings

    stride::ui::StatsDialog dialog(history.get());
    QCOMPARE(dialog.summaryText(), QStringLiteral("4 completions shown (app 3, lsp 1), 2 accepted (50.0%)"));
  }

  // The app's store writes on its own thread; ids it hands out stay valid for set_outcome, and
  // reads see every write queued before them.
  void queuedStoreKeepsOrderAndIds() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath(QStringLiteral("history.sqlite")).toStdString();
    {
      stride::ui::QueuedHistoryStore store(stride::HistoryStore::open(path));
      std::vector<int64_t> ids;
      for (int i = 0; i < 20; ++i) {
        stride::HistoryRow row;
        row.time_ms = 1000 + i;
        row.source = "app";
        row.outcome = "pending";
        row.tokens = i;
        ids.push_back(store.add(row));
      }
      for (int i = 0; i < 20; i += 2) store.set_outcome(ids[size_t(i)], "accepted_all");
      const auto rows = store.rows();
      QCOMPARE(rows.size(), size_t(20));
      for (int i = 0; i < 20; ++i) {
        QCOMPARE(rows[size_t(i)].tokens, i);
        QCOMPARE(rows[size_t(i)].outcome, std::string(i % 2 ? "pending" : "accepted_all"));
      }
      store.set_outcome(ids[1], "dismissed");  // written by the destructor at the latest
    }
    const auto rows = stride::HistoryStore::open(path)->rows();
    QCOMPARE(rows.at(1).outcome, std::string("dismissed"));
  }
};

QTEST_MAIN(StatsFromHistoryTest)
#include "test_stats_from_history.moc"
