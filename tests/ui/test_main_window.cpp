// The app window around the engine: a bad model folder shows the engine's error and leaves the
// editor working; the real tiny model loads on a background thread and streams completions on
// the CPU backend while the user types, without the UI thread's event loop ever stalling.
#include <QDir>
#include <QEventLoop>
#include <QMessageBox>
#include <QTemporaryDir>
#include <QtTest>

#include "editor/code_editor.h"
#include "event_loop_gap_monitor.h"
#include "window/main_window.h"

#ifdef STRIDE_HAVE_LSP_BRIDGE
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// A stride-lsp stand-in: one Unix-socket connection speaking the bridge's framing.
class BridgeConnection {
 public:
  explicit BridgeConnection(const QString& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const QByteArray p = path.toUtf8();
    std::memcpy(addr.sun_path, p.constData(), std::min<size_t>(size_t(p.size()), sizeof addr.sun_path - 1));
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~BridgeConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const QByteArray& json) {
    const QByteArray frame = "Content-Length: " + QByteArray::number(json.size()) + "\r\n\r\n" + json;
    return ::write(fd_, frame.constData(), size_t(frame.size())) == frame.size();
  }
  // Reads until `needle` has arrived (or the 20 s receive timeout / EOF).
  QByteArray readUntil(const QByteArray& needle) {
    while (!buffer_.contains(needle)) {
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) break;
      buffer_.append(chunk, int(n));
    }
    return buffer_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  QByteArray buffer_;
};
#endif

using stride::ui::CompletionController;
using stride::ui::MainWindow;

class MainWindowTest : public QObject {
  Q_OBJECT

  QTemporaryDir home_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(home_.isValid());
    qputenv("XDG_DATA_HOME", home_.path().toUtf8());  // history goes to the temp folder
    QCoreApplication::setOrganizationName(QStringLiteral("StrideTest"));
    QStandardPaths::setTestModeEnabled(true);
  }

  void badModelFolderShowsTheEnginesError() {
    stride::ui::AppSettings settings;
    settings.backend = stride::BackendKind::Cpu;
    MainWindow window(settings);
    window.openPath(home_.filePath(QStringLiteral("x.py")));
    window.show();
    QSignalSpy failed(&window, &MainWindow::engineFailed);
    window.loadEngine(home_.filePath(QStringLiteral("no-such-model")));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    const QString error = failed.at(0).at(0).toString();
    QVERIFY2(error.contains(QStringLiteral("no-such-model")), qPrintable(error));
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("engineError"));
    QVERIFY(box);
    QCOMPARE(box->informativeText(), error);
    QVERIFY(!window.engineReady());
    // The editor keeps working.
    QTest::keyClicks(window.currentEditor(), "print(1)");
    QCOMPARE(window.currentEditor()->toPlainText(), QStringLiteral("print(1)"));
    box->close();
  }

  // Everything after the window is shown happens inside one QEventLoop::exec(): QTRY_* and
  // qWait() sleep between event batches and would themselves look like stalls.
  void tinyModelStreamsWhileTypingWithoutStallingTheUi() {
    const QString model = QStringLiteral(STRIDE_SHARED_DIR "/models/tiny-qwen2-coder");
    if (!QDir(model).exists()) QSKIP("tiny model not available");
    stride::ui::AppSettings settings;
    settings.backend = stride::BackendKind::Cpu;
    settings.completion.max_tokens = 32;
    settings.debounce_ms = 10;
    const auto history_before = stride::HistoryStore::open(stride::HistoryStore::default_path())->rows().size();
    int shown = 0;
    {
      MainWindow window(settings);
      window.setBridgeEnabled(false);  // as with --no-bridge
      window.openPath(home_.filePath(QStringLiteral("demo.py")));
      window.resize(900, 600);
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      stride::ui::CodeEditor* editor = window.currentEditor();
      CompletionController& completion = editor->completion();

      int finished = 0, finished_after_accept = 0, partial_updates = 0, max_ghost_chars = 0;
      bool accepted = false;
      bool typed_after_accept = false;
      connect(&completion, &CompletionController::completionFinished, this, [&](const stride::Result& r, bool) {
        finished += r.generated_tokens > 0;
        finished_after_accept += typed_after_accept;
      });
      connect(&completion, &CompletionController::suggestionChanged, this, [&] {
        ++partial_updates;
        max_ghost_chars = std::max(max_ghost_chars, int(completion.suggestion().text.size()));
      });

      // Types a key every 30 ms once the engine is up; after the text, waits for a finished
      // completion, accepts it with Tab, presses Return and waits for the next completion.
      const QString keys = QStringLiteral("def fibonacci(n):\n    if n < 2:\n        return n\n    return ");
      int next = 0;
      QTimer typer;
      typer.setTimerType(Qt::PreciseTimer);
      typer.setInterval(30);
      QEventLoop loop;
      connect(&typer, &QTimer::timeout, &window, [&] {
        if (next < keys.size()) {
          const QChar ch = keys[next++];
          if (ch == QLatin1Char('\n')) QTest::keyClick(editor, Qt::Key_Return);
          else QTest::keyClicks(editor, QString(ch));
        } else if (!accepted && completion.hasSuggestion() && !completion.requestInFlight()) {
          shown = 1;
          accepted = true;
          QTest::keyClick(editor, Qt::Key_Tab);
        } else if (accepted && !typed_after_accept) {
          typed_after_accept = true;  // a new line after the accepted text asks for more
          QTest::keyClick(editor, Qt::Key_Return);
        } else if (finished_after_accept > 0) {
          loop.quit();
        }
      });
      connect(&window, &MainWindow::engineLoaded, &typer, qOverload<>(&QTimer::start));
      connect(&window, &MainWindow::engineFailed, &loop, &QEventLoop::quit);
      QTimer::singleShot(45000, &loop, &QEventLoop::quit);

      stride::test::EventLoopGapMonitor monitor;
      monitor.start();
      window.loadEngine(model);
      loop.exec();
      monitor.stop();
      typer.stop();

      qInfo("%.0f ms: %d completions with tokens, %d ghost updates (longest %d chars), max event-loop stall %.2f ms (wall gap %.2f ms); long gaps: %s",
            monitor.elapsedMs(), finished, partial_updates, max_ghost_chars, monitor.maxStallMs(),
            monitor.maxGapMs(), qPrintable(monitor.longGaps()));
      QVERIFY2(window.engineReady(), "the tiny model did not load");
      QVERIFY(window.bridgeSocketPath().isEmpty());
      QVERIFY2(accepted, "no completion was shown to accept");
      QVERIFY(finished >= 1 && finished_after_accept >= 1);
      QVERIFY(max_ghost_chars > 0);
      QVERIFY2(monitor.maxStallMs() <= 16.0, qPrintable(QStringLiteral("event loop stalled: %1").arg(monitor.longGaps())));
      QVERIFY(editor->toPlainText().startsWith(keys));
      QVERIFY(editor->toPlainText().size() > keys.size());  // the accepted completion is in
    }
    // Every completion shown wrote a row from the app; the accepted one says so.
    const auto rows = stride::HistoryStore::open(stride::HistoryStore::default_path())->rows();
    QVERIFY(rows.size() >= history_before + size_t(shown));
    bool saw_accepted = false;
    for (size_t i = history_before; i < rows.size(); ++i) {
      QCOMPARE(rows[i].source, std::string("app"));
      QCOMPARE(rows[i].file_type, std::string("py"));
      QVERIFY2(rows[i].outcome != "pending", rows[i].outcome.c_str());
      saw_accepted = saw_accepted || rows[i].outcome == "accepted_all";
    }
    QVERIFY(saw_accepted);
  }

#ifdef STRIDE_HAVE_LSP_BRIDGE
  // Once the engine is up, a stride-lsp process completes on it through the bridge socket; the
  // socket goes away with the window.
  void bridgeServesTheEngineToStrideLsp() {
    const QString model = QStringLiteral(STRIDE_SHARED_DIR "/models/tiny-qwen2-coder");
    if (!QDir(model).exists()) QSKIP("tiny model not available");
    const QString socket = home_.filePath(QStringLiteral("run/stride/bridge.sock"));
    stride::ui::AppSettings settings;
    settings.backend = stride::BackendKind::Cpu;
    {
      MainWindow window(settings);
      window.setBridgeEnabled(true, socket);
      window.openPath(home_.filePath(QStringLiteral("bridge.py")));
      QSignalSpy loaded(&window, &MainWindow::engineLoaded);
      window.loadEngine(model);
      QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
      QCOMPARE(window.bridgeSocketPath(), socket);

      BridgeConnection lsp(socket);
      QVERIFY(lsp.connected());
      const QByteArray hello = lsp.readUntil("\"hello\"");
      QVERIFY2(hello.contains("\"op\":\"hello\""), hello.constData());
      QVERIFY(lsp.send(R"({"op":"complete","id":7,"input":{"client_id":"lsp:1","document_id":"a",)"
                       R"("path":"/a.py","text":"def add(a, b):\n    ","cursor":19,"other_files":[],)"
                       R"("settings":{"strategy":"lookahead","max_tokens":8,"max_lines":2,"temperature":0,)"
                       R"("context_budget_tokens":512}}})"));
      const QByteArray reply = lsp.readUntil("\"done\"");
      QVERIFY2(reply.contains("\"id\":7") && reply.contains("\"error\":\"\""), reply.constData());
    }
    QVERIFY(!QFileInfo::exists(socket));  // stopped and unlinked on exit
  }
#endif
};

QTEST_MAIN(MainWindowTest)
#include "test_main_window.moc"
