// Every CUDA runtime / cuBLAS call of the backend goes through these: failures become
// stride::Error naming the call, out-of-memory becomes stride::OutOfMemoryError.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "stride/engine.h"

namespace stride::cuda {

inline void cuda_check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  if (e == cudaErrorMemoryAllocation) throw OutOfMemoryError(std::string("CUDA: out of GPU memory in ") + what);
  throw Error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(e));
}

inline void cublas_check(cublasStatus_t st, const char* what) {
  if (st == CUBLAS_STATUS_SUCCESS) return;
  if (st == CUBLAS_STATUS_ALLOC_FAILED) throw OutOfMemoryError(std::string("cuBLAS: out of GPU memory in ") + what);
  throw Error(std::string("cuBLAS: ") + what + " failed: " + cublasGetStatusString(st));
}

}  // namespace stride::cuda
