// Token embedding gather: out[i] = float(table[tokens[i]]).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
void launch_embedding(const int32_t* tokens, int n, const bf16* table, int hidden, float* out, cudaStream_t s);
}
