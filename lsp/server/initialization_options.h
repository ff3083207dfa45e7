// initialize's `initializationOptions`: per-client completion settings an editor may pass
// (strategy, maxTokens, maxLines, temperature, contextBudget). Absent fields keep the server's
// defaults; unknown fields are ignored (newer clients may send more).
#pragma once

#include <nlohmann/json.hpp>

#include "completion/completion_service.h"

namespace stride::lsp {

// Limits an editor may ask for; outside them the value is refused, not clamped, so a typo in the
// editor's configuration shows up as an error instead of silently changing behaviour.
constexpr int kMaxTokensLimit = 4096;
constexpr int kMaxLinesLimit = 1000;
constexpr int kContextBudgetMin = 16;
constexpr int kContextBudgetMax = 131072;
constexpr double kTemperatureMax = 2.0;

// Applies `options` (the JSON value of initializationOptions; null = nothing) onto `settings`.
// Throws InvalidParamsError naming the field ("initializationOptions.maxTokens: ...") and leaves
// `settings` unchanged when any field is invalid.
void apply_initialization_options(const nlohmann::json& options, CompletionSettings& settings);

}  // namespace stride::lsp
