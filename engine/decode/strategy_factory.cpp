#include "decode/decode_strategy.h"
#include "decode/plain_strategy.h"

namespace stride {

std::unique_ptr<DecodeStrategy> make_strategy(StrategyKind kind, const Request& request,
                                              const ModelConfig& config) {
  (void)request;
  (void)config;
  switch (kind) {
    case StrategyKind::Greedy:
    case StrategyKind::Sample:
      return std::make_unique<PlainStrategy>();
    default:
      throw Error(std::string("strategy '") + to_string(kind) + "' is not available in this build");
  }
}

}  // namespace stride
