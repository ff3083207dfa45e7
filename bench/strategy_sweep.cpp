#include "strategy_sweep.h"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "decode/prompt_set.h"

namespace stride::bench {
namespace {

struct Setting {
  std::string label;
  StrategyKind kind;
  LookaheadParams lookahead;
};

struct Totals {
  int64_t decoded = 0;     // tokens of the decode phase (the first token comes from the prompt pass)
  int64_t steps = 0;       // forward passes of the decode phase
  double decode_ms = 0;    // wall time of the decode phase (total - time to first token)
  int exact = 0;           // prompts whose ids equal plain greedy's
  std::vector<std::vector<TokenId>> ids;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

std::vector<LookaheadParams> parse_lookahead_grid(const std::string& text) {
  std::vector<LookaheadParams> grid;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    LookaheadParams p;
    char c1 = 0, c2 = 0;
    std::stringstream is(item);
    if (!(is >> p.window >> c1 >> p.ngram >> c2 >> p.verify) || c1 != ':' || c2 != ':' || p.window < 1 || p.ngram < 2 ||
        p.verify < 0)
      throw Error("stride-bench: lookahead grid entry '" + item + "' is not W:N:G (W >= 1, N >= 2, G >= 0)");
    grid.push_back(p);
  }
  return grid;
}

std::string run_strategy_sweep(const SweepOptions& o) {
  EngineOptions eo;
  eo.model_dir = o.model_dir;
  eo.backend = o.backend;
  eo.threads = o.threads;
  eo.max_context = 4096;
  auto engine = Engine::load(eo);

  std::vector<std::vector<TokenId>> prompts;
  for (const auto& p : stride::testing::code_prompts()) {
    if (o.prompts > 0 && int(prompts.size()) >= o.prompts) break;
    prompts.push_back(p.fim ? engine->fim_prompt(p.prefix, p.suffix) : engine->tokenizer().encode(p.prefix, false));
  }

  std::vector<LookaheadParams> grid = o.grid;
  if (grid.empty()) grid = parse_lookahead_grid(kDefaultSweepGrid);
  std::vector<Setting> settings = {{"greedy", StrategyKind::Greedy, {}}};
  for (const auto& p : grid)
    settings.push_back({"lookahead W=" + std::to_string(p.window) + " N=" + std::to_string(p.ngram) +
                            " G=" + std::to_string(p.verify),
                        StrategyKind::Lookahead, p});
  settings.push_back({"prompt lookup (1..4, 10)", StrategyKind::Ngram, {}});
  settings.push_back({"draft self K=" + std::to_string(o.draft_tokens), StrategyKind::Draft, {}});

  const DeviceInfo dev = engine->device_info();
  std::ostringstream table;
  table << "Model " << o.model_dir << ", backend " << to_string(dev.backend) << " (" << dev.name << "), " << prompts.size()
        << " prompts x " << o.max_tokens << " tokens, greedy (temperature 0), EOS ignored.\n\n"
        << "| strategy | tokens/step | decode tok/s | speedup vs greedy | speedup / (tokens/step) | = greedy |\n"
        << "| --- | --- | --- | --- | --- | --- |\n";
  std::printf("\n%s", table.str().c_str());
  std::fflush(stdout);

  auto request = [&](const Setting& s, const std::vector<TokenId>& prompt) {
    Request r;
    r.prompt_ids = prompt;
    r.max_tokens = o.max_tokens;
    r.stop_at_eos = false;
    r.strategy = s.kind;
    r.sampling.temperature = 0.0f;
    r.lookahead = s.lookahead;
    r.draft.model_dir = o.model_dir;
    r.draft.draft_tokens = o.draft_tokens;
    return engine->generate(r);
  };

  Totals greedy;
  for (const Setting& s : settings) {
    for (int i = 0; i < std::min<int>(o.warmup_prompts, int(prompts.size())); ++i) request(s, prompts[i]);
    Totals t;
    for (size_t i = 0; i < prompts.size(); ++i) {
      const Result r = request(s, prompts[i]);
      t.decoded += r.generated_tokens - 1;
      t.steps += r.stats.steps;
      t.decode_ms += r.total_ms - r.ttft_ms;
      t.ids.push_back(r.ids);
    }
    if (s.kind == StrategyKind::Greedy) greedy = t;
    for (size_t i = 0; i < prompts.size(); ++i) t.exact += t.ids[i] == greedy.ids[i];
    const double tps = t.steps ? double(t.decoded) / t.steps : 0;
    const double rate = t.decode_ms > 0 ? t.decoded / (t.decode_ms * 1e-3) : 0;
    const double base = greedy.decode_ms > 0 ? greedy.decoded / (greedy.decode_ms * 1e-3) : 0;
    const double speedup = base > 0 ? rate / base : 0;
    std::ostringstream row;
    row << "| " << s.label << " | " << fmt("%.2f", tps) << " | " << fmt("%.1f", rate) << " | " << fmt("%.2fx", speedup)
        << " | " << fmt("%.2f", tps > 0 ? speedup / tps : 0) << " | " << t.exact << "/" << prompts.size() << " |\n";
    table << row.str();
    std::printf("%s", row.str().c_str());
    std::fflush(stdout);
  }
  return table.str();
}

}  // namespace stride::bench
