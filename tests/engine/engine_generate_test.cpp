// Engine-level behaviour on the real tiny model, CPU backend: the HF reference, prefix reuse,
// streaming, stop rules, cancellation, sampling reproducibility, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/fixture.h"
#include "stride/engine.h"

namespace stride {
namespace {

using testing::determined_steps;
using testing::reference_fixture;
using testing::tiny_model_dir;

Engine& tiny_engine() {
  static std::unique_ptr<Engine> engine = [] {
    EngineOptions o;
    o.model_dir = tiny_model_dir();
    o.backend = BackendKind::Cpu;
    return Engine::load(o);
  }();
  return *engine;
}

Request greedy_request(std::vector<TokenId> prompt, int max_tokens) {
  Request r;
  r.prompt_ids = std::move(prompt);
  r.max_tokens = max_tokens;
  r.stop_at_eos = false;
  return r;
}

TEST(EngineGenerate, GreedyMatchesHuggingFaceReference) {
  const auto& cases = reference_fixture()["greedy"];
  ASSERT_GE(cases.size(), 6u);
  for (const auto& c : cases) {
    auto expected = c["greedy_ids"].get<std::vector<TokenId>>();
    Result r = tiny_engine().generate(greedy_request(c["prompt_ids"].get<std::vector<TokenId>>(),
                                                     static_cast<int>(expected.size())));
    ASSERT_EQ(r.ids.size(), expected.size());
    size_t firm = determined_steps(c);
    for (size_t i = 0; i < firm; ++i) {
      ASSERT_EQ(r.ids[i], expected[i]) << "case '" << c.value("text", c.value("prefix", "")) << "' step " << i;
    }
    EXPECT_EQ(r.generated_tokens, static_cast<int>(expected.size()));
    EXPECT_EQ(r.stats.steps, static_cast<int>(expected.size()) - 1);  // the first token comes from prefill
  }
}

TEST(EngineGenerate, AutoStrategyIsGreedyOnTheCpuAndGivesItsTokens) {
  const auto& c = reference_fixture()["greedy"][0];
  const auto prompt = c["prompt_ids"].get<std::vector<TokenId>>();
  Request plain = greedy_request(prompt, 16);
  Request autod = greedy_request(prompt, 16);
  autod.strategy = StrategyKind::Auto;
  const Result a = tiny_engine().generate(autod), g = tiny_engine().generate(plain);
  EXPECT_EQ(a.strategy, StrategyKind::Greedy);  // the resolved strategy is reported
  EXPECT_EQ(a.ids, g.ids);
  EXPECT_EQ(parse_strategy("auto"), StrategyKind::Auto);
  EXPECT_STREQ(to_string(StrategyKind::Auto), "auto");
}

TEST(EngineGenerate, FimPromptMatchesReferenceIds) {
  for (const auto& c : reference_fixture()["greedy"]) {
    if (c["kind"] != "fim") continue;
    auto ids = tiny_engine().fim_prompt(c["prefix"].get<std::string>(), c["suffix"].get<std::string>());
    EXPECT_EQ(ids, c["prompt_ids"].get<std::vector<TokenId>>());
  }
}

TEST(EngineGenerate, SpecialTokenTextInUserFileStaysPlainText) {
  const Engine& e = tiny_engine();
  auto ids = e.fim_prompt("x = '<|fim_middle|><|endoftext|>'\n", "");
  int middle = e.tokenizer().token_id("<|fim_middle|>");
  int eot = e.tokenizer().token_id("<|endoftext|>");
  ASSERT_GE(middle, 0);
  // Exactly one control <|fim_middle|> (the template's own, at the end) and no <|endoftext|>.
  EXPECT_EQ(std::count(ids.begin(), ids.end(), middle), 1);
  EXPECT_EQ(ids.back(), middle);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), eot), 0);
}

TEST(EngineGenerate, PrefixReuseGivesTheSameTokensAsAFreshRun) {
  const auto& c = reference_fixture()["greedy"][0];
  auto prompt = c["prompt_ids"].get<std::vector<TokenId>>();
  Result first = tiny_engine().generate(greedy_request(prompt, 12));
  // The next keystroke: the same prompt with one more token.
  auto longer = prompt;
  longer.push_back(first.ids[0]);
  Result reused = tiny_engine().generate(greedy_request(longer, 11));
  EXPECT_GE(reused.reused_prompt_tokens, static_cast<int>(prompt.size()) - 1);
  EXPECT_EQ(std::vector<TokenId>(first.ids.begin() + 1, first.ids.end()), reused.ids);
  // A different prompt after that must not see stale cache entries.
  const auto& other = reference_fixture()["greedy"][1];
  Result r2 = tiny_engine().generate(greedy_request(other["prompt_ids"].get<std::vector<TokenId>>(), 4));
  auto expected = other["greedy_ids"].get<std::vector<TokenId>>();
  for (size_t i = 0; i < std::min<size_t>(4, determined_steps(other)); ++i) EXPECT_EQ(r2.ids[i], expected[i]);
  EXPECT_GT(tiny_engine().prefix_cache_hit_tokens(), 0);
  EXPECT_GT(tiny_engine().prefix_cache_lookup_tokens(), tiny_engine().prefix_cache_hit_tokens());
}

TEST(EngineGenerate, LongPromptPrefillsInChunksLikeOnePass) {
  // A prompt longer than one prefill chunk (512 tokens): its continuation must equal the one
  // computed after a chunked prefill that ends on a different boundary (prefix reuse).
  std::string text;
  for (int i = 0; text.size() < 4000; ++i) {
    text += "def function_" + std::to_string(i) + "(x, y):\n    return x * " + std::to_string(i) + " + y\n\n";
  }
  auto prompt = tiny_engine().tokenizer().encode(text);
  ASSERT_GT(prompt.size(), 1100u);
  Result cold = tiny_engine().generate(greedy_request(std::vector<TokenId>(prompt.begin(), prompt.begin() + 700), 1));
  EXPECT_EQ(cold.generated_tokens, 1);
  Result r = tiny_engine().generate(greedy_request(prompt, 8));
  EXPECT_EQ(r.reused_prompt_tokens, 700);
  EXPECT_EQ(r.generated_tokens, 8);
  // The same prompt after a cache holding only its first two tokens (chunks at 2, 514, 1026).
  tiny_engine().generate(greedy_request({prompt[0], prompt[1]}, 1));
  Result fresh = tiny_engine().generate(greedy_request(prompt, 8));
  EXPECT_EQ(fresh.reused_prompt_tokens, 2);
  EXPECT_EQ(fresh.ids, r.ids);
}

TEST(EngineGenerate, StreamedTextConcatenatesToTheResult) {
  auto prompt = reference_fixture()["greedy"][2]["prompt_ids"].get<std::vector<TokenId>>();
  Request req = greedy_request(prompt, 20);
  std::string streamed;
  std::vector<TokenId> ids;
  req.on_stream = [&](const StreamEvent& ev) {
    streamed += ev.new_text;
    ids.insert(ids.end(), ev.new_ids.begin(), ev.new_ids.end());
    return true;
  };
  Result r = tiny_engine().generate(req);
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(ids, r.ids);
  EXPECT_EQ(r.text, tiny_engine().tokenizer().decode(r.ids));
  EXPECT_EQ(r.finish_reason, "length");
}

TEST(EngineGenerate, StopStringEndsGenerationAndIsNotReturned) {
  auto prompt = reference_fixture()["greedy"][0]["prompt_ids"].get<std::vector<TokenId>>();
  Result full = tiny_engine().generate(greedy_request(prompt, 24));
  size_t nl = full.text.find('\n');
  ASSERT_NE(nl, std::string::npos) << full.text;
  Request req = greedy_request(prompt, 24);
  req.stop_strings = {"\n"};
  std::string streamed;
  req.on_stream = [&](const StreamEvent& ev) {
    streamed += ev.new_text;
    return true;
  };
  Result r = tiny_engine().generate(req);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.text, full.text.substr(0, nl));
  EXPECT_EQ(streamed, r.text);
}

TEST(EngineGenerate, CancelFromTheStreamCallbackStopsEarly) {
  auto prompt = reference_fixture()["greedy"][3]["prompt_ids"].get<std::vector<TokenId>>();
  Request req = greedy_request(prompt, 40);
  int events = 0;
  req.on_stream = [&](const StreamEvent&) { return ++events < 3; };
  Result r = tiny_engine().generate(req);
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_EQ(r.generated_tokens, 3);

  auto token = std::make_shared<CancelToken>();
  token->cancel();
  Request pre = greedy_request(prompt, 40);
  pre.cancel = token;
  Result r2 = tiny_engine().generate(pre);
  EXPECT_EQ(r2.finish_reason, "cancelled");
  EXPECT_EQ(r2.generated_tokens, 0);
}

TEST(EngineGenerate, EosEndsGeneration) {
  // Without stop_at_eos the EOS token shows up at some step k; with it, the output is exactly
  // the k tokens before it. (The tiny model ends a finished plain-text file at once.)
  const Engine& e = tiny_engine();
  const int eot = e.tokenizer().token_id("<|endoftext|>");
  const std::vector<std::vector<TokenId>> prompts = {
      e.tokenizer().encode("def add(a, b):\n    return a + b\n"),
      e.fim_prompt("def add(a, b):\n    return ", "\n\ndef sub(a, b):\n    return a - b\n"),
      e.fim_prompt("int main() {\n  return ", ";\n}\n"),
  };
  int ended = 0;
  for (const auto& prompt : prompts) {
    Request raw = greedy_request(prompt, 48);
    Result all = tiny_engine().generate(raw);
    auto at = std::find(all.ids.begin(), all.ids.end(), eot);
    Request req = raw;
    req.stop_at_eos = true;
    Result r = tiny_engine().generate(req);
    EXPECT_EQ(std::count(r.ids.begin(), r.ids.end(), eot), 0);
    if (at != all.ids.end()) {
      ++ended;
      EXPECT_EQ(r.finish_reason, "eos");
      EXPECT_EQ(r.ids, std::vector<TokenId>(all.ids.begin(), at));
    } else {
      EXPECT_EQ(r.ids, all.ids);
    }
  }
  EXPECT_GT(ended, 0) << "no prompt produced <|endoftext|>: the EOS path went untested";
}

TEST(EngineGenerate, SamplingIsReproducibleWithASeed) {
  auto prompt = reference_fixture()["greedy"][1]["prompt_ids"].get<std::vector<TokenId>>();
  auto run = [&](uint64_t seed) {
    Request req = greedy_request(prompt, 24);
    req.strategy = StrategyKind::Sample;
    req.sampling.temperature = 1.0f;
    req.sampling.top_k = 40;
    req.sampling.top_p = 0.95f;
    req.sampling.seed = seed;
    return tiny_engine().generate(req).ids;
  };
  auto a = run(7), b = run(7), c = run(8), d = run(9);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 24u);
  // Different seeds give different samples (three seeds all equal would be a broken RNG).
  EXPECT_FALSE(a == c && a == d);
}

TEST(EngineGenerate, MaxTokensZeroAndBadPromptsAreHandled) {
  auto prompt = reference_fixture()["greedy"][0]["prompt_ids"].get<std::vector<TokenId>>();
  Result r = tiny_engine().generate(greedy_request(prompt, 0));
  EXPECT_TRUE(r.ids.empty());
  EXPECT_THROW(tiny_engine().generate(greedy_request({}, 4)), Error);
  EXPECT_THROW(tiny_engine().generate(greedy_request({-1, 5}, 4)), Error);
  EXPECT_THROW(tiny_engine().generate(greedy_request({10'000'000}, 4)), Error);
  // The engine keeps working after an error.
  Result ok = tiny_engine().generate(greedy_request(prompt, 2));
  EXPECT_EQ(ok.generated_tokens, 2);
}

TEST(EngineLoad, BadModelFolderIsAClearError) {
  EngineOptions o;
  o.backend = BackendKind::Cpu;
  o.model_dir = "/nonexistent/stride-model";
  try {
    Engine::load(o);
    FAIL() << "loading a missing folder must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/stride-model"), std::string::npos) << e.what();
  }
  auto dir = std::filesystem::temp_directory_path() / "stride-engine-bad-model";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << "{ not json";
  o.model_dir = dir.string();
  EXPECT_THROW(Engine::load(o), Error);
  std::filesystem::remove_all(dir);
}

TEST(EngineLoad, ReportsModelAndDevice) {
  const Engine& e = tiny_engine();
  EXPECT_EQ(e.model_info().family, "qwen2");
  EXPECT_EQ(e.model_info().num_layers, 8);
  EXPECT_EQ(e.model_info().vocab_size, 151936);
  EXPECT_GT(e.model_info().parameters, 20'000'000);
  EXPECT_EQ(e.device_info().backend, BackendKind::Cpu);
  EXPECT_FALSE(e.device_info().name.empty());
  EXPECT_TRUE(e.fim_template().supported());
}

}  // namespace
}  // namespace stride
