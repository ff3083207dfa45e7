// String forms of the public enums, for the CLI, JSON output and settings.
#include <string>

#include "stride/engine.h"

namespace stride {

const char* to_string(BackendKind b) {
  switch (b) {
    case BackendKind::Auto: return "auto";
    case BackendKind::Cpu: return "cpu";
    case BackendKind::Cuda: return "cuda";
  }
  return "?";
}

BackendKind parse_backend(const std::string& s) {
  if (s == "auto") return BackendKind::Auto;
  if (s == "cpu") return BackendKind::Cpu;
  if (s == "cuda") return BackendKind::Cuda;
  throw Error("unknown backend '" + s + "' (expected auto, cpu or cuda)");
}

const char* to_string(StrategyKind s) {
  switch (s) {
    case StrategyKind::Greedy: return "greedy";
    case StrategyKind::Sample: return "sample";
    case StrategyKind::Lookahead: return "lookahead";
    case StrategyKind::Ngram: return "ngram";
    case StrategyKind::Draft: return "draft";
    case StrategyKind::Auto: return "auto";
  }
  return "?";
}

StrategyKind parse_strategy(const std::string& s) {
  if (s == "greedy") return StrategyKind::Greedy;
  if (s == "sample") return StrategyKind::Sample;
  if (s == "lookahead") return StrategyKind::Lookahead;
  if (s == "ngram") return StrategyKind::Ngram;
  if (s == "draft") return StrategyKind::Draft;
  if (s == "auto") return StrategyKind::Auto;
  throw Error("unknown strategy '" + s + "' (expected auto, greedy, sample, lookahead, ngram or draft)");
}

}  // namespace stride
