#include "decode/decode_strategy.h"
#include "decode/draft_strategy.h"
#include "decode/lookahead_strategy.h"
#include "decode/ngram_strategy.h"
#include "decode/plain_strategy.h"

namespace stride {

std::unique_ptr<DecodeStrategy> make_strategy(StrategyKind kind, const Request& request,
                                              const ModelConfig& config) {
  switch (kind) {
    case StrategyKind::Greedy:
    case StrategyKind::Sample:
      return std::make_unique<PlainStrategy>();
    case StrategyKind::Lookahead:
      return std::make_unique<LookaheadStrategy>(resolve_lookahead_params(request.lookahead, config));
    case StrategyKind::Ngram:
      return std::make_unique<NgramStrategy>(request.ngram);
    case StrategyKind::Draft:
      return std::make_unique<DraftStrategy>(request.draft);
    case StrategyKind::Auto:
      throw Error("strategy 'auto' is resolved by the engine for its backend, not by make_strategy");
  }
  throw Error(std::string("strategy '") + to_string(kind) + "' is not available in this build");
}

}  // namespace stride
