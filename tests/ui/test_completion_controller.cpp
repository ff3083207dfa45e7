// CompletionController without a window: a QTextDocument, a scripted CompletionService and the
// real queued hand-over from a worker thread.
#include <QTextCursor>
#include <QTextDocument>
#include <QtTest>

#include "controller/completion_controller.h"
#include "fake_completion_service.h"

using stride::test::FakeCompletionService;
using stride::ui::CompletionController;

namespace {

// Records outcomes like the SQLite store would, to check what the controller reports.
class RecordingHistory : public stride::HistoryStore {
 public:
  int64_t add(const stride::HistoryRow& row) override {
    rows_.push_back(row);
    rows_.back().id = int64_t(rows_.size());
    return rows_.back().id;
  }
  void set_outcome(int64_t id, const std::string& outcome) override { rows_.at(size_t(id - 1)).outcome = outcome; }
  std::vector<stride::HistoryRow> rows(int64_t) const override { return rows_; }
  void clear() override { rows_.clear(); }
  int schema_version() const override { return 1; }

 private:
  std::vector<stride::HistoryRow> rows_;
};

}  // namespace

class CompletionControllerTest : public QObject {
  Q_OBJECT

  QTextDocument* doc_ = nullptr;
  CompletionController* ctrl_ = nullptr;
  FakeCompletionService* service_ = nullptr;
  RecordingHistory* history_ = nullptr;

  void type(const QString& text) {
    for (QChar ch : text) {
      QTextCursor c(doc_);
      c.setPosition(ctrl_->cursorPosition());
      c.insertText(QString(ch));
      ctrl_->setCursorPosition(c.position());
    }
  }
  // Waits past the debounce and returns the newest request.
  std::shared_ptr<FakeCompletionService::Call> waitForRequest(size_t expected_count) {
    [&] { QTRY_COMPARE_WITH_TIMEOUT(service_->count(), expected_count, 2000); }();
    return service_->last();
  }
  void showSuggestion(const std::string& text, bool finish = true) {
    auto call = service_->last();
    QVERIFY(call);
    FakeCompletionService::stream(call, text, finish);
    QTRY_VERIFY_WITH_TIMEOUT(ctrl_->hasSuggestion(), 2000);
    if (finish) QTRY_VERIFY_WITH_TIMEOUT(!ctrl_->requestInFlight(), 2000);
  }

 private Q_SLOTS:
  void init() {
    doc_ = new QTextDocument;
    service_ = new FakeCompletionService;
    history_ = new RecordingHistory;
    ctrl_ = new CompletionController(doc_);
    ctrl_->setService(service_);
    ctrl_->setHistory(history_);
    ctrl_->setFilePath(QStringLiteral("demo.py"));
    ctrl_->setSettings(stride::CompletionSettings{}, 10);
  }
  void cleanup() {
    delete ctrl_;
    delete history_;
    delete service_;
    delete doc_;
  }

  void debouncesAndSendsByteCursor() {
    ctrl_->setSettings(stride::CompletionSettings{}, 60);
    type(QStringLiteral("é = f("));
    QCOMPARE(service_->count(), size_t(0));  // not before the debounce
    auto call = waitForRequest(1);
    QCOMPARE(call->input.text, std::string("é = f("));
    QCOMPARE(call->input.cursor, std::string("é = f(").size());  // bytes, not characters
    QCOMPARE(call->input.path, std::string("demo.py"));
    QCOMPARE(call->input.client_id, std::string("app"));
  }

  void streamsPartialTextAsGhost() {
    type(QStringLiteral("def add(a, b):\n    "));
    auto call = waitForRequest(1);
    FakeCompletionService::stream(call, "return", false);
    QTRY_COMPARE(ctrl_->suggestion().text, QStringLiteral("return"));
    FakeCompletionService::stream(call, "return a + b", false);
    QTRY_COMPARE(ctrl_->suggestion().text, QStringLiteral("return a + b"));
    QCOMPARE(ctrl_->suggestion().anchor, ctrl_->cursorPosition());
    QVERIFY(ctrl_->requestInFlight());
  }

  void acceptAllInsertsAndRecordsHistory() {
    type(QStringLiteral("def add(a, b):\n    "));
    waitForRequest(1);
    showSuggestion("return a + b\n\nprint(add(1, 2))");
    int requested = -1;
    connect(ctrl_, &CompletionController::cursorPositionRequested, this, [&](int p) { requested = p; });
    QVERIFY(ctrl_->acceptAll());
    QCOMPARE(doc_->toPlainText(), QStringLiteral("def add(a, b):\n    return a + b\n\nprint(add(1, 2))"));
    QCOMPARE(requested, doc_->characterCount() - 1);
    QVERIFY(!ctrl_->hasSuggestion());
    const auto rows = history_->rows(0);
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0].outcome, std::string("accepted_all"));
    QCOMPARE(rows[0].source, std::string("app"));
    QCOMPARE(rows[0].file_type, std::string("py"));
    QCOMPARE(rows[0].ttft_ms, 5.0);
  }

  void acceptWordThenLine() {
    type(QStringLiteral("x = "));
    waitForRequest(1);
    showSuggestion("foo_bar(1, 2)\ny = 3\nz");
    QVERIFY(ctrl_->acceptNextWord());
    QCOMPARE(doc_->toPlainText(), QStringLiteral("x = foo_bar"));
    QCOMPARE(ctrl_->suggestion().text, QStringLiteral("(1, 2)\ny = 3\nz"));
    QVERIFY(ctrl_->acceptNextLine());
    QCOMPARE(doc_->toPlainText(), QStringLiteral("x = foo_bar(1, 2)"));
    QVERIFY(ctrl_->acceptNextLine());
    QCOMPARE(doc_->toPlainText(), QStringLiteral("x = foo_bar(1, 2)\ny = 3"));
    QCOMPARE(ctrl_->suggestion().text, QStringLiteral("\nz"));
    ctrl_->dismiss();
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).at(0).outcome, std::string("accepted_part"));
  }

  void typingThroughConsumesWithoutNewRequest() {
    type(QStringLiteral("for "));
    waitForRequest(1);
    showSuggestion("i in range(10):");
    type(QStringLiteral("i in"));
    QCOMPARE(ctrl_->suggestion().text, QStringLiteral(" range(10):"));
    QCOMPARE(ctrl_->suggestion().anchor, ctrl_->cursorPosition());
    QTest::qWait(60);  // well past the debounce
    QCOMPARE(service_->count(), size_t(1));
    type(QStringLiteral(" range(10):"));
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).at(0).outcome, std::string("accepted_all"));
  }

  void typingThroughWhileStreaming() {
    type(QStringLiteral("for "));
    auto call = waitForRequest(1);
    FakeCompletionService::stream(call, "i in", false);
    QTRY_VERIFY(ctrl_->hasSuggestion());
    type(QStringLiteral("i "));
    QVERIFY(!call->cancelled->load());
    FakeCompletionService::stream(call, "i in range(3):", true);
    QTRY_COMPARE(ctrl_->suggestion().text, QStringLiteral("in range(3):"));
  }

  void differentTypingCancelsAtOnceAndRequestsAgain() {
    type(QStringLiteral("for "));
    auto first = waitForRequest(1);
    FakeCompletionService::stream(first, "i in range(10):", false);
    QTRY_VERIFY(ctrl_->hasSuggestion());
    type(QStringLiteral("k"));
    QVERIFY(first->cancelled->load());  // cancelled synchronously, before any debounce
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).at(0).outcome, std::string("typed_over"));
    // A late answer of the cancelled request must not reappear.
    FakeCompletionService::stream(first, "i in range(10): pass", true);
    QTest::qWait(5);
    QCoreApplication::processEvents();
    QVERIFY(!ctrl_->hasSuggestion() || ctrl_->suggestion().text != QStringLiteral("i in range(10): pass"));
    auto second = waitForRequest(2);
    QCOMPARE(second->input.text, std::string("for k"));
  }

  void cancelWhileWaitingDropsRequest() {
    type(QStringLiteral("a"));
    auto first = waitForRequest(1);
    type(QStringLiteral("b"));
    QVERIFY(first->cancelled->load());
    waitForRequest(2);
  }

  void cursorMoveAndEscapeDismiss() {
    type(QStringLiteral("abc "));
    waitForRequest(1);
    showSuggestion("def");
    ctrl_->setCursorPosition(1);
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).at(0).outcome, std::string("dismissed"));
    ctrl_->setCursorPosition(4);
    ctrl_->requestNow();
    QCOMPARE(service_->count(), size_t(2));
    showSuggestion("xyz");
    ctrl_->dismiss();
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).size(), size_t(2));
    QCOMPARE(history_->rows(0).at(1).outcome, std::string("dismissed"));
    QCOMPARE(doc_->toPlainText(), QStringLiteral("abc "));
  }

  void noServiceNoRequests() {
    ctrl_->setService(nullptr);
    type(QStringLiteral("hello"));
    QTest::qWait(40);
    QCOMPARE(service_->count(), size_t(0));
    QVERIFY(!ctrl_->acceptAll());
  }

  void emptyCompletionShowsNothing() {
    type(QStringLiteral("x"));
    auto call = waitForRequest(1);
    FakeCompletionService::stream(call, "", true);
    QTRY_VERIFY(!ctrl_->requestInFlight());
    QVERIFY(!ctrl_->hasSuggestion());
    QCOMPARE(history_->rows(0).size(), size_t(0));  // one row per completion *shown*
  }
};

QTEST_MAIN(CompletionControllerTest)
#include "test_completion_controller.moc"
