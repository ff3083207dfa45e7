// Padding a forward step with rows that no real row sees, so that steps of varying sizes share a
// few shapes (the CUDA backend captures one graph per shape). Pad rows repeat the last token at its
// position; with a mask, their columns are 0 in every real row and each pad row sees only itself
// (plus the committed cache, always visible); causal steps need no mask (pad rows come last). A
// backend that reduces in an order independent of the row count (the CUDA decode kernels) gives
// the real rows bit-identical results; the pad rows' K/V lie past the step and are never accepted.
#pragma once

#include <algorithm>

#include "runtime/backend.h"

namespace stride {

// `in` padded to `rows` rows (rows >= in.tokens.size(), which must not be empty) into `out`.
inline void pad_step(const StepInput& in, int rows, StepInput& out) {
  const int n = static_cast<int>(in.tokens.size());
  out.tokens = in.tokens;
  out.positions = in.positions;
  out.tokens.resize(rows, in.tokens.back());
  out.positions.resize(rows, in.positions.back());
  out.logits_from = in.logits_from;
  out.mask.clear();
  if (in.mask.empty()) return;
  out.mask.assign(size_t(rows) * rows, 0);
  for (int i = 0; i < n; ++i)
    std::copy(in.mask.begin() + size_t(i) * n, in.mask.begin() + size_t(i + 1) * n, out.mask.begin() + size_t(i) * rows);
  for (int i = n; i < rows; ++i) out.mask[size_t(i) * rows + i] = 1;
}

}  // namespace stride
