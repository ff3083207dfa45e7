// The GPU measurements of stride-bench (CUDA builds): ceilings, prefill, prefix reuse, decode at
// batch 1, forward cost by M, and the forward cost of lookahead step sizes.
#include "gpu_bench.h"

#include <cublas_v2.h>
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_shapes.h"
#include "kernels/convert.cuh"
#include "kernels/gemm_mma.cuh"
#include "kernels/gemv.cuh"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_check.h"
#include "runtime/cuda/device_buffer.h"

namespace stride::bench {
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


int run_gpu_bench(const std::string& shapes, const std::string& model_dir, int decode_tokens) {
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
      const Shape shape = qwen25_coder_shape(s);
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

std::string run_step_costs(const std::string& shape_name, const std::vector<LookaheadParams>& grid,
                           const std::vector<std::string>& matmul_modes) {
  const Shape shape = qwen25_coder_shape(shape_name);
  std::vector<std::pair<std::string, int>> steps = {{"greedy (1 row)", 1}};
  for (const auto& p : grid) {
    const int rows = 1 + (p.window + p.verify) * (p.ngram - 1);
    steps.push_back({"lookahead W=" + std::to_string(p.window) + " N=" + std::to_string(p.ngram) + " G=" +
                         std::to_string(p.verify),
                     rows});
  }
  std::ostringstream table;
  table << "Forward cost of one step on " << shape.name << " (cache 512, logits for every row; lookahead rows = "
        << "1 + (W + G)(N - 1), an upper bound: the verification tree shares prefixes), ms:\n\n| step | M |";
  for (const auto& m : matmul_modes) table << " " << m << " | x M=1 |";
  table << "\n| --- | --- |";
  for (size_t i = 0; i < matmul_modes.size(); ++i) table << " --- | --- |";
  table << "\n";
  std::vector<std::vector<double>> ms(steps.size(), std::vector<double>(matmul_modes.size(), 0));
  for (size_t mi = 0; mi < matmul_modes.size(); ++mi) {
    setenv("STRIDE_CUDA_MATMUL", matmul_modes[mi].c_str(), 1);
    auto b = make_cuda_backend_random(shape.config, 1234, 1024);
    std::mt19937 rng(7);
    const ModelConfig& c = b->config();
    const auto prompt = tokens(rng, 512, c.vocab_size);
    b->forward(causal(prompt, 0, 511));
    std::vector<int> rows(512);
    for (int i = 0; i < 512; ++i) rows[i] = i;
    b->accept(rows);
    for (size_t si = 0; si < steps.size(); ++si) {
      const int m = std::min(steps[si].second, 128);
      const auto step = tokens(rng, m, c.vocab_size);
      ms[si][mi] = median_ms(10, [&] {
        b->forward(causal(step, 512, 0));
        b->argmax();
      });
    }
  }
  unsetenv("STRIDE_CUDA_MATMUL");
  for (size_t si = 0; si < steps.size(); ++si) {
    table << "| " << steps[si].first << " | " << std::min(steps[si].second, 128) << " |";
    for (size_t mi = 0; mi < matmul_modes.size(); ++mi) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.3f | %.2fx |", ms[si][mi], ms[si][mi] / ms[0][mi]);
      table << buf;
    }
    table << "\n";
  }
  std::printf("\n%s", table.str().c_str());
  std::fflush(stdout);
  return table.str();
}

// A random-weight backend of the shape with a committed 512-token prompt: the cache of the
// step-cost and profile modes.
std::unique_ptr<Backend> backend_after_prompt(const ModelConfig& config, std::mt19937& rng) {
  auto b = make_cuda_backend_random(config, 1234, 1024);
  b->forward(causal(tokens(rng, 512, config.vocab_size), 0, 511));
  std::vector<int> all(512);
  for (int i = 0; i < 512; ++i) all[i] = i;
  b->accept(all);
  return b;
}

void run_step_cost_list(const std::string& shape_name, const std::vector<int>& rows) {
  const Shape shape = qwen25_coder_shape(shape_name);
  std::mt19937 rng(7);
  auto b = backend_after_prompt(shape.config, rng);
  const int vocab = b->config().vocab_size;
  const char* tile = std::getenv("STRIDE_GEMM_TILE");
  std::printf("forward + argmax by new tokens M on %s (cache 512, median of 20; STRIDE_GEMM_TILE=%s):\n",
              shape.name.c_str(), tile ? tile : "default");
  double m1 = 0;
  for (int m : rows) {
    if (m < 1 || m > 128) throw Error("--step-costs: row counts must lie in 1..128");
    const auto step = tokens(rng, m, vocab);
    const double ms = median_ms(20, [&] {
      b->forward(causal(step, 512, 0));
      b->argmax();
    });
    if (m1 == 0) m1 = ms;
    std::printf("  M=%3d: %8.4f ms  (%.2fx the first)\n", m, ms, ms / m1);
  }
}

void run_profile_steps(const std::string& shape_name, const std::vector<int>& rows) {
  const Shape shape = qwen25_coder_shape(shape_name);
  std::mt19937 rng(7);
  auto b = backend_after_prompt(shape.config, rng);
  const int vocab = b->config().vocab_size;
  std::vector<std::vector<int32_t>> steps;
  for (int m : rows) {
    if (m < 1 || m > 128) throw Error("--profile-steps: row counts must lie in 1..128");
    steps.push_back(tokens(rng, m, vocab));
    for (int warm = 0; warm < 2; ++warm) {  // captures the step's graph outside the profiled range
      b->forward(causal(steps.back(), 512, 0));
      b->argmax();
    }
  }
  cuda::cuda_check(cudaProfilerStart(), "cudaProfilerStart");
  for (const auto& s : steps) {
    b->forward(causal(s, 512, 0));
    b->argmax();
  }
  cuda::cuda_check(cudaProfilerStop(), "cudaProfilerStop");
  std::printf("profiled one step each of M =");
  for (int m : rows) std::printf(" %d", m);
  std::printf(" on %s (cache 512)\n", shape.name.c_str());
}

void run_profile_prefill(const std::string& shape_name, int n) {
  const Shape shape = qwen25_coder_shape(shape_name);
  if (n < 1 || n > 32768) throw Error("--profile-prefill: the prompt must have 1..32768 tokens");
  auto b = make_cuda_backend_random(shape.config, 1234, n + 16);
  std::mt19937 rng(7);
  const auto prompt = tokens(rng, n, b->config().vocab_size);
  b->forward(causal(prompt, 0, n - 1));  // warm-up: cuBLAS heuristics, allocations
  b->argmax();
  b->truncate(0);
  cuda::cuda_check(cudaProfilerStart(), "cudaProfilerStart");
  b->forward(causal(prompt, 0, n - 1));
  b->argmax();
  cuda::cuda_check(cudaProfilerStop(), "cudaProfilerStop");
  std::printf("profiled one prompt step of %d tokens on %s\n", n, shape.name.c_str());
}

std::string run_gemm_micro(const std::string& shape_name) {
  const ModelConfig c = qwen25_coder_shape(shape_name).config;
  const int h = c.hidden_size, qkv = (c.num_heads + 2 * c.num_kv_heads) * c.head_dim, inter = c.intermediate_size;
  const std::vector<std::pair<std::string, std::pair<int, int>>> mats = {
      {"qkv", {qkv, h}}, {"o", {h, c.num_heads * c.head_dim}}, {"gate_up", {2 * inter, h}}, {"down", {h, inter}},
      {"lm_head", {c.vocab_size, h}}};
  std::ostringstream table;
  table << "Matrix products of " << shape_name << " alone (events, median of 20, weights rotated over 4 copies so L2 "
        << "holds none), weight GB/s:\n\n| matrix n x k | M | gemv | mma k32 | mma k64 | mma-bf16 k64 |\n"
        << "| --- | --- | --- | --- | --- | --- |\n";
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  for (const auto& [name, nk] : mats) {
    const int n = nk.first, k = nk.second;
    const size_t wbytes = size_t(n) * k * 2;
    std::vector<cuda::DeviceBuffer> ws;
    for (int i = 0; i < 4; ++i) {
      ws.emplace_back(wbytes);
      cuda::launch_fill_random_bf16(ws.back().as<cuda::bf16>(), int64_t(n) * k, 11 + i, 0.05f, 0.f, nullptr);
    }
    cuda::DeviceBuffer x(size_t(128) * k * 4), y(size_t(128) * n * 4);
    cuda::launch_fill_random_f32(x.as<float>(), int64_t(128) * k, 5, 1.f, 0.f, nullptr);
    for (int m : {1, 8, 13, 16, 21, 24, 32, 64}) {  // 13, 21: partial token tiles (lookahead steps)
      table << "| " << name << " " << n << " x " << k << " | " << m << " |";
      for (int variant = 0; variant < 4; ++variant) {
        std::vector<float> t;
        for (int rep = 0; rep < 24; ++rep) {
          const cuda::bf16* w = ws[rep % 4].as<cuda::bf16>();
          cudaEventRecord(e0);
          if (variant == 0) cuda::launch_gemv(x.as<float>(), m, k, w, n, y.as<float>(), nullptr);
          else if (variant == 1) cuda::launch_gemm_mma_chunk(x.as<float>(), true, 32, m, k, w, n, y.as<float>(), nullptr);
          else if (variant == 2) cuda::launch_gemm_mma_chunk(x.as<float>(), true, 64, m, k, w, n, y.as<float>(), nullptr);
          else cuda::launch_gemm_mma_chunk(x.as<float>(), false, 64, m, k, w, n, y.as<float>(), nullptr);
          cudaEventRecord(e1);
          cudaEventSynchronize(e1);
          float ms = 0;
          cudaEventElapsedTime(&ms, e0, e1);
          if (rep >= 4) t.push_back(ms);
        }
        std::sort(t.begin(), t.end());
        char buf[64];
        std::snprintf(buf, sizeof buf, " %.0f (%.1f us) |", wbytes / (t[t.size() / 2] * 1e-3) / 1e9, t[t.size() / 2] * 1e3);
        table << buf;
      }
      table << "\n";
    }
  }
  cuda::cuda_check(cudaDeviceSynchronize(), "gemm micro");
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::printf("\n%s", table.str().c_str());
  std::fflush(stdout);
  return table.str();
}

}  // namespace stride::bench
