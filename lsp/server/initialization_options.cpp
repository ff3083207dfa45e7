#include "server/initialization_options.h"

#include <cmath>

#include "protocol/json_rpc.h"
#include "stride/engine.h"

namespace stride::lsp {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw InvalidParamsError{"initializationOptions." + field + ": " + why};
}

int integer_in(const json& v, const std::string& field, int lo, int hi) {
  // JSON numbers such as 96.0 are accepted only when integral (some clients send every number as a double).
  if (!v.is_number()) bad(field, "expected an integer, got " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d) || d != std::floor(d)) bad(field, "expected an integer, got " + v.dump());
  if (d < lo || d > hi) bad(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + v.dump());
  return static_cast<int>(d);
}

}  // namespace

void apply_initialization_options(const json& options, CompletionSettings& settings) {
  if (options.is_null()) return;
  if (!options.is_object()) throw InvalidParamsError{"initializationOptions: expected an object, got " + options.dump()};
  CompletionSettings s = settings;  // all or nothing
  if (auto it = options.find("strategy"); it != options.end()) {
    if (!it->is_string()) bad("strategy", "expected a string, got " + it->dump());
    try {
      s.strategy = parse_strategy(it->get<std::string>());
    } catch (const std::exception& e) {
      bad("strategy", e.what());
    }
  }
  if (auto it = options.find("maxTokens"); it != options.end()) s.max_tokens = integer_in(*it, "maxTokens", 1, kMaxTokensLimit);
  if (auto it = options.find("maxLines"); it != options.end()) s.max_lines = integer_in(*it, "maxLines", 1, kMaxLinesLimit);
  if (auto it = options.find("contextBudget"); it != options.end()) {
    s.context_budget_tokens = integer_in(*it, "contextBudget", kContextBudgetMin, kContextBudgetMax);
  }
  if (auto it = options.find("temperature"); it != options.end()) {
    if (!it->is_number()) bad("temperature", "expected a number, got " + it->dump());
    const double t = it->get<double>();
    if (!std::isfinite(t) || t < 0 || t > kTemperatureMax) bad("temperature", "must be between 0 and 2, got " + it->dump());
    s.temperature = static_cast<float>(t);
  }
  settings = s;
}

}  // namespace stride::lsp
