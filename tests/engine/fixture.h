// The Hugging Face reference fixture and the tiny model, shared by engine-level tests.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace stride::testing {

inline std::string shared_dir() { return STRIDE_SHARED_DIR; }
inline std::string tiny_model_dir() { return shared_dir() + "/models/tiny-qwen2-coder"; }

inline const nlohmann::json& reference_fixture() {
  static const nlohmann::json j = [] {
    std::ifstream in(shared_dir() + "/fixtures/tiny-qwen2-coder-reference.json");
    if (!in) throw std::runtime_error("cannot open the reference fixture under " + shared_dir());
    return nlohmann::json::parse(in);
  }();
  return j;
}

// Number of leading greedy steps that are not ties (top1 margin >= 1e-3): only those are
// determined by the reference, a tie may go either way in float32.
inline size_t determined_steps(const nlohmann::json& greedy_case) {
  const auto& margins = greedy_case["top1_margins"];
  size_t n = 0;
  while (n < margins.size() && margins[n].get<double>() >= 1e-3) ++n;
  return n;
}

}  // namespace stride::testing
