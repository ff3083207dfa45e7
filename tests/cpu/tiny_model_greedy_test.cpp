// The CPU backend against the Hugging Face reference of the real tiny model (float32, greedy).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "model/model_weights.h"
#include "random_model.h"
#include "runtime/cpu/cpu_backend.h"

using namespace stride;

namespace {

nlohmann::json reference() {
  std::ifstream in(std::string(STRIDE_SHARED_DIR) + "/fixtures/tiny-qwen2-coder-reference.json");
  return nlohmann::json::parse(in);
}

std::unique_ptr<Backend> tiny_backend() {
  const std::string dir = test::tiny_model_dir();
  auto weights = std::shared_ptr<const ModelWeights>(ModelWeights::load(dir, ModelConfig::load(dir)));
  return make_cpu_backend(weights, 2, 512);
}

StepInput prefill(const std::vector<int32_t>& ids, int start) {
  StepInput in;
  in.tokens = ids;
  for (size_t i = 0; i < ids.size(); ++i) in.positions.push_back(start + int(i));
  in.logits_from = int(ids.size()) - 1;
  return in;
}

}  // namespace

TEST(TinyModelGreedy, ReproducesReferenceContinuations) {
  const nlohmann::json ref = reference();
  auto backend = tiny_backend();
  ASSERT_FALSE(ref["greedy"].empty());
  int index = 0;
  for (const auto& c : ref["greedy"]) {
    SCOPED_TRACE("case " + std::to_string(index++) + " (" + c["kind"].get<std::string>() + ")");
    const auto prompt = c["prompt_ids"].get<std::vector<int32_t>>();
    const auto expected = c["greedy_ids"].get<std::vector<int32_t>>();
    const auto margins = c["top1_margins"].get<std::vector<double>>();
    backend->truncate(0);

    backend->forward(prefill(prompt, 0));
    std::vector<int> all(prompt.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
    int32_t next = backend->argmax().back();

    // First step: the reference's top-5 logits.
    std::vector<float> logits;
    backend->logits(int(prompt.size()) - 1, logits);
    for (const auto& pair : c["first_step_top5"]) {
      const int id = pair[0].get<int>();
      const double want = pair[1].get<double>();
      EXPECT_NEAR(logits[id], want, 1e-3 * std::max(1.0, std::abs(want))) << "token " << id;
    }
    backend->accept(all);

    // One token per step; the comparison ends at the first near-tie of the reference, where float
    // rounding may legitimately pick the other token.
    int compared = 0;
    for (size_t step = 0; step < expected.size(); ++step) {
      if (margins[step] < 1e-3) break;
      ASSERT_EQ(next, expected[step]) << "step " << step;
      ++compared;
      backend->forward(prefill({next}, backend->cache_len()));
      next = backend->argmax()[0];
      backend->accept({0});
    }
    EXPECT_GT(compared, 0);
  }
}
