// The k highest logits of a row and the row's softmax normalizer, on the GPU, so that sampling
// (temperature, top-k, top-p) needs only k ids and values back on the host, not the whole row.
//
// Order: highest logit first, equal logits by lower id (exactly the host sampler's order); NaN
// sorts below every number. sum_exp = Σ over the whole row of exp((logit - max) * inv_temperature)
// (NaN entries skipped); it is not computed when inv_temperature <= 0.
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

constexpr int kTopLogitsMaxK = 256;

// One row: ids[k], values[k] (device), sum_exp[1] (device, double). 1 <= k <= min(vocab, kTopLogitsMaxK).
void launch_top_logits(const float* row, int vocab, int k, float inv_temperature, int32_t* ids, float* values,
                       double* sum_exp, cudaStream_t s);
}
