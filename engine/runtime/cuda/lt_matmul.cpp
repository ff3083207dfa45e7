#include "runtime/cuda/lt_matmul.h"

#include <string>

#include "runtime/cuda/cuda_check.h"

namespace stride::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t(32) << 20;

void lt_check(cublasStatus_t st, const char* what) { cublas_check(st, what); }

}  // namespace

LtMatmul::LtMatmul() {
  lt_check(cublasLtCreate(&handle_), "cublasLtCreate");
  workspace_.allocate(kWorkspaceBytes, "allocation of the cuBLASLt workspace");
}

LtMatmul::~LtMatmul() {
  for (auto& [shape, p] : plans_) {
    if (p.op) cublasLtMatmulDescDestroy(p.op);
    if (p.a) cublasLtMatrixLayoutDestroy(p.a);
    if (p.b) cublasLtMatrixLayoutDestroy(p.b);
    if (p.c) cublasLtMatrixLayoutDestroy(p.c);
  }
  if (handle_) cublasLtDestroy(handle_);
}

// Column-major view, as cuBLAS has it: C (n × m, ld n) = op(A) · B with A = w stored k × n (ld k)
// and transposed, B = x stored k × m (ld k). In row-major terms: y[m, n] = x · wᵀ.
LtMatmul::Plan& LtMatmul::plan(int m, int k, int n) {
  auto key = std::make_tuple(m, k, n);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  Plan& p = plans_[key];
  lt_check(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  lt_check(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), "cuBLASLt TRANSA");
  lt_check(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb), "cuBLASLt TRANSB");
  lt_check(cublasLtMatrixLayoutCreate(&p.a, CUDA_R_16BF, k, n, k), "cuBLASLt layout of the weights");
  lt_check(cublasLtMatrixLayoutCreate(&p.b, CUDA_R_16BF, k, m, k), "cuBLASLt layout of the activations");
  lt_check(cublasLtMatrixLayoutCreate(&p.c, CUDA_R_32F, n, m, n), "cuBLASLt layout of the result");
  cublasLtMatmulPreference_t pref = nullptr;
  lt_check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  const size_t ws = kWorkspaceBytes;
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmulAlgoGetHeuristic(handle_, p.op, p.a, p.b, p.c, p.c, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
    p.algo = result.algo;
    p.usable = true;
  }
  return p;
}

bool LtMatmul::run(const bf16* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s) {
  Plan& p = plan(m, k, n);
  if (!p.usable) return false;
  const float one = 1.f, zero = 0.f;
  lt_check(cublasLtMatmul(handle_, p.op, &one, w, p.a, x, p.b, &zero, y, p.c, y, p.c, &p.algo, workspace_.as(),
                          kWorkspaceBytes, s),
           "cublasLtMatmul");
  return true;
}

}  // namespace stride::cuda
