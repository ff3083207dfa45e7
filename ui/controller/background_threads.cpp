#include "controller/background_threads.h"

#include <algorithm>
#include <thread>

#if defined(__linux__)
#include <cerrno>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace stride::ui {

int cpuThreadsLeavingOneForUi() {
  const int cores = int(std::thread::hardware_concurrency());
  return std::max(1, cores - 1);
}

bool lowerCurrentThreadPriority(int delta) {
#if defined(__linux__)
  // On Linux the nice value belongs to the thread (its task id), not the whole process.
  const auto tid = id_t(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, std::min(19, current + delta)) == 0;
#else
  (void)delta;
  return false;
#endif
}

}  // namespace stride::ui
