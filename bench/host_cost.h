// stride-bench --step-breakdown, second table: the host work of each strategy alone. The strategies
// run against an oracle backend (each row's argmax is the true greedy token at its position,
// recorded once from a real backend; no model compute), so a step's wall time is the strategy's own
// work plus the decode loop's. Measured warm (back-to-back steps) and with the CPU caches flushed
// before every step (a 32 MB buffer written), as they are after a real step's wait for the GPU.
#pragma once

#include <string>

#include "runtime/backend.h"
#include "step_breakdown.h"
#include "stride/engine.h"

namespace stride::bench {

// Prints and returns a Markdown table; `backend` records the greedy continuations.
std::string run_host_cost(Backend& backend, const Engine& engine, const BreakdownOptions& options);

}  // namespace stride::bench
