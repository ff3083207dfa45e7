// Row-wise argmax of float32 logits on the GPU (lowest id on exact ties), so only ints come back.
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
void launch_argmax(const float* logits, int rows, int vocab, int32_t* out, cudaStream_t s);
}
