// The tiny-qwen2-coder tokenizer (Qwen2.5's tokenizer.json), loaded once per test binary.
#pragma once

#include <memory>
#include <string>

#include "stride/tokenizer.h"

namespace stride::test {

inline std::string qwen_model_dir() { return std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder"; }

inline const Tokenizer& qwen_tokenizer() {
  static const std::unique_ptr<Tokenizer> tok = Tokenizer::load_from_folder(qwen_model_dir());
  return *tok;
}

}  // namespace stride::test
