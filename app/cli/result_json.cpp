#include "result_json.h"

namespace stride::cli {

nlohmann::json result_to_json(const Result& r) {
  nlohmann::json j;
  j["ids"] = r.ids;
  j["text"] = r.text;
  j["prompt_tokens"] = r.prompt_tokens;
  j["reused_prompt_tokens"] = r.reused_prompt_tokens;
  j["generated_tokens"] = r.generated_tokens;
  j["steps"] = r.stats.steps;
  j["tokens_per_step"] = r.tokens_per_step();
  j["ttft_ms"] = r.ttft_ms;
  j["total_ms"] = r.total_ms;
  j["strategy"] = to_string(r.strategy);
  j["backend"] = to_string(r.backend);
  j["finish_reason"] = r.finish_reason;
  nlohmann::json s;
  s["accepted_histogram"] = r.stats.accepted_histogram;
  s["tokens_by_branch"] = r.stats.tokens_by_branch;
  s["pool_size"] = r.stats.pool_size;
  s["pool_lookups"] = r.stats.pool_lookups;
  s["pool_hits"] = r.stats.pool_hits;
  s["pool_hit_rate"] = r.stats.pool_lookups ? double(r.stats.pool_hits) / r.stats.pool_lookups : 0.0;
  s["draft_proposed"] = r.stats.draft_proposed;
  s["draft_accepted"] = r.stats.draft_accepted;
  j["stats"] = s;
  return j;
}

void apply_request_options(const nlohmann::json& j, Request& req) {
  auto num = [&](const char* key, auto& dst) {
    if (j.contains(key)) {
      if (!j[key].is_number()) throw Error(std::string("\"") + key + "\" must be a number");
      dst = j[key].get<std::decay_t<decltype(dst)>>();
    }
  };
  if (j.contains("strategy")) {
    if (!j["strategy"].is_string()) throw Error("\"strategy\" must be a string");
    req.strategy = parse_strategy(j["strategy"].get<std::string>());
  }
  num("max_tokens", req.max_tokens);
  num("temperature", req.sampling.temperature);
  num("top_k", req.sampling.top_k);
  num("top_p", req.sampling.top_p);
  num("seed", req.sampling.seed);
  num("window", req.lookahead.window);
  num("ngram", req.lookahead.ngram);
  num("verify", req.lookahead.verify);
  num("prompt_lookup_min", req.ngram.min_match);
  num("prompt_lookup_max", req.ngram.max_match);
  num("draft_tokens", req.draft.draft_tokens);
  if (j.contains("draft_model")) req.draft.model_dir = j["draft_model"].get<std::string>();
  if (j.contains("stop")) req.stop_strings = j["stop"].get<std::vector<std::string>>();
}

}  // namespace stride::cli
