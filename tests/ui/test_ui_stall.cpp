// The UI thread never waits on the engine: while completions stream in from a worker thread,
// typing into the editor keeps the event loop turning at least every 16 ms (one frame at 60 Hz).
// The engine here is a streaming service on its own thread that answers every request with
// partial text every few milliseconds, the load pattern of the real CompletionService.
#include <QEventLoop>
#include <QtTest>
#include <atomic>
#include <mutex>
#include <thread>

#include "editor/code_editor.h"
#include "event_loop_gap_monitor.h"

namespace {

class StreamingService : public stride::CompletionService {
  class Handle : public stride::CompletionRequestHandle {
   public:
    Handle(std::shared_ptr<std::atomic<bool>> flag, uint64_t id) : flag_(std::move(flag)), id_(id) {}
    void cancel() override { flag_->store(true); }
    uint64_t id() const override { return id_; }

   private:
    std::shared_ptr<std::atomic<bool>> flag_;
    uint64_t id_;
  };

 public:
  ~StreamingService() override { shutdown(); }
  std::shared_ptr<stride::CompletionRequestHandle> submit(stride::CompletionInput input, OnPartial on_partial,
                                                           OnDone on_done) override {
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    const uint64_t id = ++next_id_;
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.emplace_back([=, text = input.text] {
      std::string out;
      const std::string piece = "value = compute(x, y)\n    ";
      for (int i = 0; i < 60 && !cancelled->load() && !stop_.load(); ++i) {
        out += piece.substr(size_t(i) % piece.size(), 1);
        on_partial(id, out);
        ++partials_;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      stride::CompletionOutput done;
      done.text = out;
      done.cancelled = cancelled->load();
      done.result.generated_tokens = int(out.size());
      done.result.total_ms = 120;
      on_done(id, done);
    });
    return std::make_shared<Handle>(cancelled, id);
  }
  stride::Engine& engine() override { throw std::logic_error("StreamingService has no engine"); }
  void shutdown() override {
    stop_.store(true);
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  int partials() const { return partials_.load(); }
  uint64_t requests() const { return next_id_.load(); }

 private:
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_id_{0};
  std::atomic<int> partials_{0};
};

}  // namespace

class UiStallTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void typingWhileStreamingNeverStalls() {
    StreamingService service;
    stride::ui::CodeEditor editor;
    editor.setFilePath(QStringLiteral("stall.py"));
    QString body;
    for (int i = 0; i < 400; ++i) body += QStringLiteral("def f%1(x):\n    return x * %1\n\n").arg(i);
    editor.setPlainText(body);
    editor.moveCursor(QTextCursor::End);
    editor.completion().setService(&service);
    editor.completion().setSettings(stride::CompletionSettings{}, 5);
    editor.resize(800, 600);
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));

    // Everything runs inside the event loop: a typing timer and the gap monitor.
    const QString keys = QStringLiteral("def g(a, b):\n    total = a + b\n    return total\n");
    int next = 0;
    QTimer typer;
    typer.setTimerType(Qt::PreciseTimer);
    typer.setInterval(25);
    connect(&typer, &QTimer::timeout, &editor, [&] {
      if (next < keys.size()) {
        const QChar ch = keys[next++];
        if (ch == QLatin1Char('\n')) QTest::keyClick(&editor, Qt::Key_Return);
        else QTest::keyClicks(&editor, QString(ch));
      } else if (editor.completion().hasSuggestion()) {
        QTest::keyClick(&editor, Qt::Key_Tab);  // accept, which starts the next round
      }
    });
    stride::test::EventLoopGapMonitor monitor;
    QEventLoop loop;
    QTimer::singleShot(2000, &loop, &QEventLoop::quit);
    monitor.start();
    typer.start();
    loop.exec();
    monitor.stop();
    typer.stop();
    editor.completion().setService(nullptr);
    service.shutdown();

    qInfo("requests %llu, partials %d, loop ticks %d, max gap %.2f ms", (unsigned long long)service.requests(),
          service.partials(), monitor.ticks(), monitor.maxGapMs());
    QVERIFY(service.requests() >= 5);   // completions were really requested...
    QVERIFY(service.partials() >= 50);  // ...and streamed while we typed
    QVERIFY2(monitor.maxGapMs() <= 16.0, qPrintable(QStringLiteral("event loop stalled %1 ms").arg(monitor.maxGapMs())));
  }
};

QTEST_MAIN(UiStallTest)
#include "test_ui_stall.moc"
