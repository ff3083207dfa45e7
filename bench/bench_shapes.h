// Model shapes stride-bench builds with random weights (Qwen2.5-Coder 0.5B / 1.5B / 7B).
#pragma once

#include <string>
#include <vector>

#include "model/model_config.h"

namespace stride::bench {

struct Shape {
  std::string name;
  ModelConfig config;
};

// "0.5b", "1.5b", "7b"; throws stride::Error on other names.
Shape qwen25_coder_shape(const std::string& name);

}  // namespace stride::bench
