// Measures how long the UI thread's event loop goes without turning: a precise 1 ms QTimer
// records the largest gap between two of its timeouts, and where (ms since start()) every gap
// over a threshold ended, so a failure says when the stall happened, not only that it did.
//
// On a busy machine (CI runs everything on 2 shared cores) the OS may keep the runnable UI thread
// off the CPU for tens of ms: that is not the app stalling. Linux reports per thread how long it
// waited on the run queue (/proc/thread-self/schedstat, 2nd field); the stall of a gap is its
// wall time minus that wait. Time the UI thread spends computing, sleeping or blocked on a lock
// (e.g. waiting for the engine) all still counts. Without schedstat, stall = wall gap.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace stride::test {

class EventLoopGapMonitor : public QObject {
 public:
  explicit EventLoopGapMonitor(double report_over_ms = 16.0) : report_over_ns_(qint64(report_over_ms * 1e6)) {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(1);
    connect(&timer_, &QTimer::timeout, this, [this] {
      const qint64 now = clock_.nsecsElapsed();
      qint64 ran = -1;
      const qint64 waited = runQueueWaitNs(&ran);
      if (last_ >= 0) {
        const qint64 gap = now - last_;
        const qint64 stall = waited >= 0 && last_wait_ >= 0 ? std::max<qint64>(0, gap - (waited - last_wait_)) : gap;
        max_gap_ns_ = std::max(max_gap_ns_, gap);
        max_stall_ns_ = std::max(max_stall_ns_, stall);
        const double cpu_ms = ran >= 0 && last_run_ >= 0 ? (ran - last_run_) / 1e6 : -1;
        if (gap > report_over_ns_) long_gaps_.push_back({now / 1e6, gap / 1e6, stall / 1e6, cpu_ms});
      }
      last_ = now;
      last_wait_ = waited;
      last_run_ = ran;
      ++ticks_;
    });
#if defined(__linux__)
    schedstat_ = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
#endif
  }
  ~EventLoopGapMonitor() override {
#if defined(__linux__)
    if (schedstat_ >= 0) ::close(schedstat_);
#endif
  }
  void start() {
    clock_.start();
    last_ = -1;
    max_gap_ns_ = max_stall_ns_ = 0;
    ticks_ = 0;
    long_gaps_.clear();
    timer_.start();
  }
  void stop() { timer_.stop(); }
  // Longest time the event loop did not turn for reasons of this process (see above).
  double maxStallMs() const { return max_stall_ns_ / 1e6; }
  // Longest wall-clock gap, run-queue waits included.
  double maxGapMs() const { return max_gap_ns_ / 1e6; }
  bool schedulerAware() const { return schedstat_ >= 0; }
  double elapsedMs() const { return clock_.nsecsElapsed() / 1e6; }
  int ticks() const { return ticks_; }
  // "gap 24.1 ms (stall 3.0 ms, on CPU 2.5 ms) ending at 812.3 ms; ..." for logs and failures.
  QString longGaps() const {
    QStringList parts;
    for (const auto& g : long_gaps_)
      parts << QStringLiteral("gap %1 ms (stall %2 ms, on CPU %3 ms) ending at %4 ms")
                   .arg(g.gap_ms, 0, 'f', 1)
                   .arg(g.stall_ms, 0, 'f', 1)
                   .arg(g.cpu_ms, 0, 'f', 1)
                   .arg(g.at_ms, 0, 'f', 1);
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral("; "));
  }

 private:
  struct LongGap {
    double at_ms, gap_ms, stall_ms, cpu_ms;
  };

  // Nanoseconds this thread has spent runnable but not running (and, in *ran, running), or -1
  // when unknown.
  qint64 runQueueWaitNs(qint64* ran) const {
#if defined(__linux__)
    if (schedstat_ < 0) return -1;
    char buf[128];
    const ssize_t n = ::pread(schedstat_, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = '\0';
    unsigned long long run = 0, wait = 0;
    if (std::sscanf(buf, "%llu %llu", &run, &wait) != 2) return -1;
    *ran = qint64(run);
    return qint64(wait);
#else
    return -1;
#endif
  }

  QTimer timer_;
  QElapsedTimer clock_;
  qint64 report_over_ns_;
  qint64 last_ = -1, last_wait_ = -1, last_run_ = -1, max_gap_ns_ = 0, max_stall_ns_ = 0;
  int ticks_ = 0;
  int schedstat_ = -1;
  std::vector<LongGap> long_gaps_;
};

}  // namespace stride::test
