// End-of-sequence ids of a model folder, from its Hugging Face config files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "stride/tokenizer.h"

namespace stride::tokenizer {

// The union, in this order, of eos_token_id in generation_config.json and config.json and of
// eos_token in tokenizer_config.json (files that are absent are skipped; invalid JSON throws
// Error naming the file). Empty when none of them names one.
std::vector<int32_t> eos_ids_from_configs(const std::filesystem::path& model_dir, const Tokenizer& tokenizer);

}  // namespace stride::tokenizer
