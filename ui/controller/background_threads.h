// The engine's CPU work runs beside the UI thread on the same machine; these keep it from
// taking the UI's core: the CPU backend gets one thread fewer than the machine has, and threads
// that run inference lower their scheduling priority (threads they start inherit it).
#pragma once

namespace stride::ui {

// Worker threads for the CPU backend: hardware concurrency minus one for the UI, at least 1.
int cpuThreadsLeavingOneForUi();

// Raises the calling thread's nice value by `delta` (Linux: per thread; a no-op elsewhere).
// Only lowering priority needs no privileges. Returns false if the OS refused.
bool lowerCurrentThreadPriority(int delta = 5);

}  // namespace stride::ui
