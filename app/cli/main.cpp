// stride-cli: a thin command-line client of the engine (tokenize, complete, batch).
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "result_json.h"
#include "stride/engine.h"

namespace stride::cli {
namespace {

const char* kUsage = R"(usage:
  stride-cli tokenize --model DIR (--text T | --file F) [--special] [--json]
  stride-cli complete --model DIR (--prompt T | --prompt-file F | --prefix-file P [--suffix-file S])
             [--max-tokens N] [--strategy auto|greedy|sample|lookahead|ngram|draft] [--backend auto|cpu|cuda]
             [--temperature T] [--top-k K] [--top-p P] [--seed S]
             [--window W] [--ngram N] [--verify G] [--draft-model DIR] [--draft-tokens K]
             [--special] [--json]
  stride-cli batch --model DIR [--backend auto|cpu|cuda] [--threads N]
             reads one JSON request per line on stdin ({"prompt_ids":[...]}, {"prompt":"..."} or
             {"prefix":"...","suffix":"..."}, plus max_tokens, strategy, temperature, top_k, top_p,
             seed, window, ngram, verify, prompt_lookup_min/max, draft_model, draft_tokens, stop)
             and writes one JSON result per line.
--special parses special-token strings in the text as control tokens (never do this for text from
a user's files).
)";

const std::vector<std::string> kFlags = {"json", "special"};

EngineOptions engine_options(const Args& a) {
  EngineOptions o;
  o.model_dir = a.require("model");
  o.backend = parse_backend(a.get("backend", "auto"));
  o.threads = a.get_int("threads", 0);
  o.max_context = a.get_int("max-context", 0);
  return o;
}

int cmd_tokenize(const Args& a) {
  auto tok = Tokenizer::load_from_folder(a.require("model"));
  std::string text = a.has("file") ? read_file(a.get("file")) : a.require("text");
  auto ids = tok->encode(text, a.has("special"));
  if (a.has("json")) {
    nlohmann::json j;
    j["ids"] = ids;
    std::vector<std::string> pieces;
    for (auto id : ids) pieces.push_back(tok->token_text(id));
    j["tokens"] = pieces;
    j["count"] = ids.size();
    std::cout << j.dump() << "\n";
  } else {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
  }
  return 0;
}

Request request_from_args(const Args& a, const Engine& engine) {
  Request req;
  if (a.has("prefix-file")) {
    std::string suffix = a.has("suffix-file") ? read_file(a.get("suffix-file")) : "";
    req.prompt_ids = engine.fim_prompt(read_file(a.get("prefix-file")), suffix);
  } else {
    std::string prompt = a.has("prompt-file") ? read_file(a.get("prompt-file")) : a.require("prompt");
    req.prompt_ids = engine.tokenizer().encode(prompt, a.has("special"));
  }
  nlohmann::json j;
  auto copy_num = [&](const char* opt, const char* key) {
    if (a.has(opt)) j[key] = a.get_double(opt, 0);
  };
  if (a.has("strategy")) j["strategy"] = a.get("strategy");
  copy_num("max-tokens", "max_tokens");
  copy_num("temperature", "temperature");
  copy_num("top-k", "top_k");
  copy_num("top-p", "top_p");
  copy_num("seed", "seed");
  copy_num("window", "window");
  copy_num("ngram", "ngram");
  copy_num("verify", "verify");
  copy_num("draft-tokens", "draft_tokens");
  if (a.has("draft-model")) j["draft_model"] = a.get("draft-model");
  // JSON numbers from doubles: integers are converted by apply_request_options' get<int>.
  apply_request_options(j, req);
  return req;
}

int cmd_complete(const Args& a) {
  auto engine = Engine::load(engine_options(a));
  Request req = request_from_args(a, *engine);
  const bool json = a.has("json");
  if (!json) {
    req.on_stream = [](const StreamEvent& ev) {
      std::fwrite(ev.new_text.data(), 1, ev.new_text.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
  Result r = engine->generate(req);
  if (json) {
    std::cout << result_to_json(r).dump() << "\n";
  } else {
    std::fprintf(stderr, "\n[%s · %s] %d prompt + %d new tokens, %d steps (%.2f tokens/step), ttft %.1f ms, %.1f tokens/s\n",
                 engine->device_info().name.c_str(), to_string(r.strategy), r.prompt_tokens,
                 r.generated_tokens, r.stats.steps, r.tokens_per_step(), r.ttft_ms,
                 r.total_ms > 0 ? 1000.0 * r.generated_tokens / r.total_ms : 0.0);
  }
  return 0;
}

int cmd_batch(const Args& a) {
  auto engine = Engine::load(engine_options(a));
  std::string line;
  int failures = 0;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json out;
    try {
      nlohmann::json j = nlohmann::json::parse(line);
      if (!j.is_object()) throw Error("a request must be a JSON object");
      Request req;
      if (j.contains("prompt_ids")) {
        req.prompt_ids = j["prompt_ids"].get<std::vector<TokenId>>();
      } else if (j.contains("prefix")) {
        req.prompt_ids = engine->fim_prompt(j["prefix"].get<std::string>(), j.value("suffix", std::string()));
      } else if (j.contains("prompt")) {
        req.prompt_ids = engine->tokenizer().encode(j["prompt"].get<std::string>(), j.value("parse_special", false));
      } else {
        throw Error("a request needs \"prompt_ids\", \"prompt\" or \"prefix\"");
      }
      if (j.contains("context")) req.context_ids = engine->tokenizer().encode(j["context"].get<std::string>());
      apply_request_options(j, req);
      out = result_to_json(engine->generate(req));
      if (j.contains("id")) out["id"] = j["id"];
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
      ++failures;
    }
    std::cout << out.dump() << std::endl;
  }
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace stride::cli

int main(int argc, char** argv) {
  using namespace stride::cli;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  try {
    Args args(argc, argv, 2, kFlags);
    if (cmd == "tokenize") return cmd_tokenize(args);
    if (cmd == "complete") return cmd_complete(args);
    if (cmd == "batch") return cmd_batch(args);
    std::fprintf(stderr, "stride-cli: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stride-cli: %s\n", e.what());
    return 1;
  }
}
