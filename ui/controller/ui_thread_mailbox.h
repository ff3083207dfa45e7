// Hands work from the engine's worker thread to a QObject's (UI) thread without ever blocking
// the UI thread. The target may be destroyed while the worker still holds the mailbox: close()
// (called from the target's destructor) makes later posts no-ops.
#pragma once

#include <QMetaObject>
#include <QObject>
#include <functional>
#include <memory>
#include <mutex>

namespace stride::ui {

class UiThreadMailbox {
 public:
  explicit UiThreadMailbox(QObject* target) : target_(target) {}

  // Thread-safe. Queues fn to run on the target's thread (Qt::QueuedConnection); returns false
  // when the target is gone.
  bool post(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!target_) return false;
    return QMetaObject::invokeMethod(target_, std::move(fn), Qt::QueuedConnection);
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    target_ = nullptr;
  }

 private:
  std::mutex mutex_;
  QObject* target_;
};

}  // namespace stride::ui
