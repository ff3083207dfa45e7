// stride-bench: measures the GPU's own ceilings (device copy bandwidth, bf16 matrix rate), then
// for each model: prefill time, decode tokens/s at batch 1, the cost of one forward with
// M = 1..128 new tokens, and prefix-reuse first-token latency, each against its floor.
//
//   stride-bench [--shapes 0.5b,1.5b,7b] [--model DIR] [--decode-tokens 128]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_shapes.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/device_buffer.h"

using namespace stride;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median wall time of fn() over reps after one warm-up; fn must synchronize itself.
double median_ms(int reps, const std::function<void()>& fn) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double a = now_ms();
    fn();
    t.push_back(now_ms() - a);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Device-to-device copy of 1 GiB: bytes read plus bytes written per second.
double copy_bandwidth_gbs() {
  const size_t bytes = size_t(1) << 30;
  cuda::DeviceBuffer a(bytes), b(bytes);
  cuda::cuda_check(cudaMemset(a.as(), 1, bytes), "memset");
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  std::vector<float> t;
  for (int i = 0; i < 12; ++i) {
    cudaEventRecord(e0);
    cuda::cuda_check(cudaMemcpyAsync(b.as(), a.as(), bytes, cudaMemcpyDeviceToDevice), "copy");
    cudaEventRecord(e1);
    cudaEventSynchronize(e1);
    float ms = 0;
    cudaEventElapsedTime(&ms, e0, e1);
    if (i >= 2) t.push_back(ms);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::sort(t.begin(), t.end());
  return 2.0 * bytes / (t[t.size() / 2] * 1e-3) / 1e9;
}

// bf16 GEMM 8192^3 with float32 accumulation through cuBLAS: TFLOP/s.
double matmul_tflops() {
  const int n = 8192;
  cuda::DeviceBuffer a(size_t(n) * n * 2), b(size_t(n) * n * 2), c(size_t(n) * n * 2);
  cuda::cuda_check(cudaMemset(a.as(), 0x3c, a.bytes()), "memset");  // non-zero bf16 values
  cuda::cuda_check(cudaMemset(b.as(), 0x3b, b.bytes()), "memset");
  cublasHandle_t h;
  cuda::cublas_check(cublasCreate(&h), "cublasCreate");
  const float one = 1.f, zero = 0.f;
  auto run = [&] {
    cuda::cublas_check(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.as(), CUDA_R_16BF, n, b.as(), CUDA_R_16BF, n,
                                    &zero, c.as(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                       "gemm");
    cuda::cuda_check(cudaDeviceSynchronize(), "gemm");
  };
  const double ms = median_ms(7, run);
  cublasDestroy(h);
  return 2.0 * n * n * double(n) / (ms * 1e-3) / 1e12;
}

StepInput causal(const std::vector<int32_t>& toks, int first, int logits_from) {
  StepInput in;
  in.tokens = toks;
  for (size_t i = 0; i < toks.size(); ++i) in.positions.push_back(first + int(i));
  in.logits_from = logits_from;
  return in;
}

std::vector<int32_t> tokens(std::mt19937& rng, int n, int vocab) {
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % vocab);
  return t;
}

int64_t matmul_params(const ModelConfig& c) {
  const int64_t h = c.hidden_size, q = int64_t(c.num_heads) * c.head_dim, kv = int64_t(c.num_kv_heads) * c.head_dim;
  return c.num_layers * ((q + 2 * kv) * h + q * h + 3 * h * int64_t(c.intermediate_size));
}

void bench_model(const std::string& label, Backend& b, double bw_gbs, double tflops, int decode_tokens,
                 std::vector<std::string>& summary) {
  const ModelConfig& c = b.config();
  std::mt19937 rng(7);
  const double wbytes = double(cuda_backend_weight_bytes(b));
  const double step_floor_ms = wbytes / (bw_gbs * 1e9) * 1e3;
  std::printf("\n== %s: %.1f M matmul params, %.2f GB streamed per step, floor %.3f ms/step\n", label.c_str(),
              matmul_params(c) / 1e6, wbytes / 1e9, step_floor_ms);
  std::ostringstream row;
  row << label;

  for (int p : {512, 2048, 8192}) {
    if (p + 1 > b.capacity()) continue;
    const auto prompt = tokens(rng, p, c.vocab_size);
    const double ms = median_ms(3, [&] {
      b.truncate(0);
      b.forward(causal(prompt, 0, p - 1));
      b.argmax();
    });
    const double floor = 2.0 * matmul_params(c) * p / (tflops * 1e12) * 1e3;
    std::printf("prefill %5d tokens: %9.2f ms  (matmul floor %.2f ms, ratio %.2f)\n", p, ms, floor, floor / ms);
    char buf[96];
    std::snprintf(buf, sizeof buf, " | prefill %d: %.1f ms", p, ms);
    if (p == 2048) row << buf;
  }

  // Prefix reuse: 2000 of 2048 prompt tokens are cached, the last 48 run, first token comes back.
  {
    const auto prompt = tokens(rng, 2048, c.vocab_size);
    b.truncate(0);
    b.forward(causal(prompt, 0, 2047));
    std::vector<int> rows(2048);
    for (int i = 0; i < 2048; ++i) rows[i] = i;
    b.accept(rows);
    std::vector<int32_t> tail(prompt.end() - 48, prompt.end());
    const double ms = median_ms(5, [&] {
      b.truncate(2000);
      b.forward(causal(tail, 2000, 47));
      b.argmax();
    });
    std::printf("prefix reuse (2000 cached + 48 new) first token: %.2f ms\n", ms);
  }

  // Decode at batch 1 after a 512-token prompt: one forward + argmax + accept per token.
  {
    const auto prompt = tokens(rng, 512, c.vocab_size);
    b.truncate(0);
    b.forward(causal(prompt, 0, 511));
    std::vector<int> rows(512);
    for (int i = 0; i < 512; ++i) rows[i] = i;
    b.accept(rows);
    int next = b.argmax().back();
    for (int i = 0; i < 8; ++i) {  // warm-up
      b.forward(causal({next}, b.cache_len(), 0));
      next = b.argmax()[0];
      b.accept({0});
    }
    const double t0 = now_ms();
    for (int i = 0; i < decode_tokens; ++i) {
      b.forward(causal({next}, b.cache_len(), 0));
      next = b.argmax()[0];
      b.accept({0});
    }
    const double ms = (now_ms() - t0) / decode_tokens;
    std::printf("decode batch 1: %.3f ms/token = %.1f tok/s  (floor %.3f ms = %.1f tok/s; %.0f%% of bandwidth limit)\n", ms,
                1e3 / ms, step_floor_ms, 1e3 / step_floor_ms, 100.0 * step_floor_ms / ms);
    char buf[128];
    std::snprintf(buf, sizeof buf, " | decode %.1f tok/s (%.0f%% of BW limit)", 1e3 / ms, 100.0 * step_floor_ms / ms);
    row << buf;
  }

  // One forward with M new tokens on a 512-token cache (all rows get logits, as verification needs).
  {
    const auto prompt = tokens(rng, 512, c.vocab_size);
    b.truncate(0);
    b.forward(causal(prompt, 0, 511));
    std::vector<int> rows(512);
    for (int i = 0; i < 512; ++i) rows[i] = i;
    b.accept(rows);
    double m1 = 0, m64 = 0;
    std::printf("forward cost by new tokens M (cache 512):\n");
    for (int m = 1; m <= 128; m *= 2) {
      const auto step = tokens(rng, m, c.vocab_size);
      const double ms = median_ms(10, [&] {
        b.forward(causal(step, 512, 0));
        b.argmax();
      });
      if (m == 1) m1 = ms;
      if (m == 64) m64 = ms;
      std::printf("  M=%3d: %8.3f ms  (%.2fx M=1; bandwidth floor %.3f ms, ratio %.2f)\n", m, ms, ms / m1, step_floor_ms,
                  step_floor_ms / ms);
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " | M=64/M=1 %.2fx", m64 / m1);
    row << buf;
  }
  summary.push_back(row.str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string shapes = "0.5b,1.5b,7b", model_dir;
  int decode_tokens = 128;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "stride-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--shapes") shapes = value();
    else if (a == "--model") model_dir = value(), shapes.clear();
    else if (a == "--decode-tokens") decode_tokens = std::stoi(value());
    else {
      std::fprintf(stderr, "usage: stride-bench [--shapes 0.5b,1.5b,7b] [--model DIR] [--decode-tokens N]\n");
      return 2;
    }
  }
  try {
    std::string why;
    if (!cuda_device_available(&why)) {
      std::fprintf(stderr, "stride-bench: %s\n", why.c_str());
      return 1;
    }
    cudaDeviceProp prop{};
    cuda::cuda_check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    const double bw = copy_bandwidth_gbs(), tf = matmul_tflops();
    std::printf("device: %s, %d SMs\nmeasured ceilings: copy bandwidth %.0f GB/s (read + write), bf16 matmul %.0f TFLOP/s\n",
                prop.name, prop.multiProcessorCount, bw, tf);
    std::vector<std::string> summary;
    const int capacity = 8192 + 256;
    if (!model_dir.empty()) {
      const ModelConfig config = ModelConfig::load(model_dir);
      std::shared_ptr<const ModelWeights> w(ModelWeights::load(model_dir, config));
      auto b = make_cuda_backend(w, capacity);
      bench_model(model_dir, *b, bw, tf, decode_tokens, summary);
    }
    std::stringstream ss(shapes);
    for (std::string s; std::getline(ss, s, ',');) {
      if (s.empty()) continue;
      const bench::Shape shape = bench::qwen25_coder_shape(s);
      auto b = make_cuda_backend_random(shape.config, 1234, capacity);
      bench_model(shape.name, *b, bw, tf, decode_tokens, summary);
    }
    std::printf("\n== summary\n");
    for (const auto& r : summary) std::printf("%s\n", r.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stride-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
