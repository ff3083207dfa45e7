// Measures how long the UI thread's event loop goes without turning: a precise 1 ms QTimer
// records the largest gap between two of its timeouts.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace stride::test {

class EventLoopGapMonitor : public QObject {
 public:
  EventLoopGapMonitor() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(1);
    connect(&timer_, &QTimer::timeout, this, [this] {
      const qint64 now = clock_.nsecsElapsed();
      if (last_ >= 0) max_gap_ns_ = std::max(max_gap_ns_, now - last_);
      last_ = now;
      ++ticks_;
    });
  }
  void start() {
    clock_.start();
    last_ = -1;
    max_gap_ns_ = 0;
    ticks_ = 0;
    timer_.start();
  }
  void stop() { timer_.stop(); }
  double maxGapMs() const { return max_gap_ns_ / 1e6; }
  int ticks() const { return ticks_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ = -1, max_gap_ns_ = 0;
  int ticks_ = 0;
};

}  // namespace stride::test
