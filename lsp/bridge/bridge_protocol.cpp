#include "bridge/bridge_protocol.h"

#include <cstdlib>
#include <unistd.h>

namespace stride::bridge {

std::string default_socket_path() {
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return std::string(run) + "/stride/bridge.sock";
  return "/tmp/stride-" + std::to_string(::getuid()) + "/bridge.sock";
}

json to_json(const CompletionInput& in) {
  json files = json::array();
  for (const auto& f : in.other_files) files.push_back({{"path", f.path}, {"text", f.text}});
  const auto& s = in.settings;
  return {{"client_id", in.client_id},
          {"document_id", in.document_id},
          {"path", in.path},
          {"text", in.text},
          {"cursor", in.cursor},
          {"other_files", files},
          {"settings",
           {{"strategy", to_string(s.strategy)},
            {"window", s.lookahead.window},
            {"ngram", s.lookahead.ngram},
            {"verify", s.lookahead.verify},
            {"temperature", s.temperature},
            {"max_tokens", s.max_tokens},
            {"max_lines", s.max_lines},
            {"context_budget_tokens", s.context_budget_tokens}}}};
}

CompletionInput input_from_json(const json& j) {
  try {
    CompletionInput in;
    in.client_id = j.at("client_id").get<std::string>();
    in.document_id = j.at("document_id").get<std::string>();
    in.path = j.value("path", "");
    in.text = j.at("text").get<std::string>();
    in.cursor = j.at("cursor").get<size_t>();
    if (in.cursor > in.text.size()) throw Error("bridge: input.cursor past the end of input.text");
    for (const auto& f : j.value("other_files", json::array()))
      in.other_files.push_back({f.at("path").get<std::string>(), f.at("text").get<std::string>()});
    const json s = j.value("settings", json::object());
    CompletionSettings& cs = in.settings;
    if (s.contains("strategy")) cs.strategy = parse_strategy(s["strategy"].get<std::string>());
    cs.lookahead.window = s.value("window", cs.lookahead.window);
    cs.lookahead.ngram = s.value("ngram", cs.lookahead.ngram);
    cs.lookahead.verify = s.value("verify", cs.lookahead.verify);
    cs.temperature = s.value("temperature", cs.temperature);
    cs.max_tokens = s.value("max_tokens", cs.max_tokens);
    cs.max_lines = s.value("max_lines", cs.max_lines);
    cs.context_budget_tokens = s.value("context_budget_tokens", cs.context_budget_tokens);
    return in;
  } catch (const json::exception& e) {
    throw Error(std::string("bridge: malformed completion input: ") + e.what());
  }
}

json to_json(const CompletionOutput& out) {
  const Result& r = out.result;
  return {{"text", out.text},
          {"cancelled", out.cancelled},
          {"error", out.error},
          {"from_cache", out.from_cache},
          {"result",
           {{"prompt_tokens", r.prompt_tokens},
            {"generated_tokens", r.generated_tokens},
            {"reused_prompt_tokens", r.reused_prompt_tokens},
            {"ttft_ms", r.ttft_ms},
            {"total_ms", r.total_ms},
            {"steps", r.stats.steps},
            {"strategy", to_string(r.strategy)},
            {"backend", to_string(r.backend)},
            {"finish_reason", r.finish_reason}}}};
}

CompletionOutput output_from_json(const json& j) {
  try {
    CompletionOutput out;
    out.text = j.value("text", "");
    out.cancelled = j.value("cancelled", false);
    out.error = j.value("error", "");
    out.from_cache = j.value("from_cache", false);
    const json r = j.value("result", json::object());
    out.result.prompt_tokens = r.value("prompt_tokens", 0);
    out.result.generated_tokens = r.value("generated_tokens", 0);
    out.result.reused_prompt_tokens = r.value("reused_prompt_tokens", 0);
    out.result.ttft_ms = r.value("ttft_ms", 0.0);
    out.result.total_ms = r.value("total_ms", 0.0);
    out.result.stats.steps = r.value("steps", 0);
    out.result.strategy = parse_strategy(r.value("strategy", "greedy"));
    out.result.backend = parse_backend(r.value("backend", "cpu"));
    out.result.finish_reason = r.value("finish_reason", "");
    return out;
  } catch (const std::exception& e) {
    CompletionOutput out;
    out.error = std::string("bridge: malformed answer: ") + e.what();
    return out;
  }
}

}  // namespace stride::bridge
