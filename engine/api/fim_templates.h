#pragma once

#include <string>
#include <vector>

#include "stride/engine.h"

namespace stride {

// The FIM template of the tokenizer's model family; unsupported() when none is known.
FimTemplate detect_fim_template(const Tokenizer& tokenizer);

// prefix/suffix are user text: always encoded as plain text, never as control tokens.
std::vector<TokenId> build_fim_prompt(const Tokenizer& tokenizer, const FimTemplate& fim,
                                      const std::string& prefix, const std::string& suffix);

}  // namespace stride
