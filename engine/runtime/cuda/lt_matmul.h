// Prompt-step matrix products through cuBLASLt: y[m, n] = x[m, k] · w[n, k]ᵀ with bf16 operands,
// float32 accumulation and a float32 result. The algorithm for each (m, n, k) comes from
// cuBLASLt's heuristic once, with a 32 MiB workspace (what Hopper's fastest kernels ask for),
// and is reused. Decode and verification steps never come here: they need batch-invariant kernels.
#pragma once

#include <cublasLt.h>

#include <map>
#include <tuple>

#include "kernels/common.cuh"
#include "runtime/cuda/device_buffer.h"

namespace stride::cuda {

class LtMatmul {
 public:
  LtMatmul();
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  // Returns false (nothing launched) when cuBLASLt has no algorithm for the shape, so the caller can
  // take cublasGemmEx; throws stride::Error on a failed call.
  bool run(const bf16* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s);

 private:
  struct Plan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool usable = false;
  };
  Plan& plan(int m, int k, int n);

  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
  std::map<std::tuple<int, int, int>, Plan> plans_;
};

}  // namespace stride::cuda
