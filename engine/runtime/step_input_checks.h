// The checks every backend makes on a forward step before touching its cache: a malformed step
// (from a strategy bug or a bad request) is a clear stride::Error naming the backend, never a crash.
#pragma once

#include <string>

#include "runtime/backend.h"
#include "stride/engine.h"

namespace stride {

inline void check_step_input(const StepInput& in, const char* backend, int vocab, int cache_len, int capacity) {
  const std::string who = backend;
  const int n = static_cast<int>(in.tokens.size());
  if (n == 0) throw Error(who + ": forward with no tokens");
  if (in.positions.size() != size_t(n)) throw Error(who + ": positions and tokens differ in length");
  if (!in.mask.empty() && in.mask.size() != size_t(n) * n) throw Error(who + ": mask is not n×n");
  // logits_from == n: no row gets logits (a prompt chunk that is not the last one).
  if (in.logits_from < 0 || in.logits_from > n) throw Error(who + ": logits_from out of range");
  if (cache_len + n > capacity)
    throw Error(who + ": KV cache capacity of " + std::to_string(capacity) + " tokens exceeded");
  for (int i = 0; i < n; ++i) {
    if (in.tokens[i] < 0 || in.tokens[i] >= vocab)
      throw Error(who + ": token id " + std::to_string(in.tokens[i]) + " out of the vocabulary");
    if (in.positions[i] < 0) throw Error(who + ": negative position");
  }
}

}  // namespace stride
