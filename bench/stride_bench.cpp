// stride-bench: GPU benchmarks of the CUDA backend and the strategy sweep.
//
//   stride-bench [--shapes 0.5b,1.5b,7b] [--model DIR] [--decode-tokens 128]      (CUDA builds)
//       ceilings, prefill, prefix reuse, decode batch 1 and forward cost by M, each against its floor
//   stride-bench --gemm-micro 7b      each matrix product alone: GEMV vs tensor-core variants (CUDA)
//   stride-bench --profile-steps 7b:1,13,31   one step per M inside cudaProfilerStart/Stop, for
//                                     ncu --profile-from-start off (summed by bench/ncu_steps.py)
//   stride-bench --step-costs 7b:1,8,16   forward + argmax of one step per M (STRIDE_GEMM_TILE
//                                     picks the matrix products' tile)
//   stride-bench --profile-prefill 1.5b:2048  one prompt step the same way (its 1024-token chunks
//                                     are the "steps" of ncu_steps.py)
//   stride-bench --sweep --model DIR [--backend auto|cpu|cuda] [--threads N] [--sweep-tokens 64]
//                [--sweep-prompts N] [--grid W:N:G,...] [--step-shape 7b|none] [--matmul-modes mma,gemv]
//                [--append-to bench/RESULTS.md]
//       tokens/s, tokens per step and wall-clock speedup over greedy of every strategy on the prompt
//       set (any backend), then on CUDA the forward cost of each lookahead step size on a random
//       7B-shape model; --append-to appends the tables and the command line to a results file.
//   stride-bench --step-breakdown --model DIR [--backend ...] [--grid W:N:G,...] [--sweep-tokens N]
//                [--sweep-prompts N]
//       per strategy, a decode step's time split into forward, argmax (wait), accept and the
//       strategy's own host work; then that host work alone against an oracle backend, warm and
//       with the CPU caches flushed before each step
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "model/model_weights.h"
#include "runtime/cpu/cpu_backend.h"
#include "host_cost.h"
#include "step_breakdown.h"
#include "strategy_sweep.h"
#ifdef STRIDE_HAVE_CUDA
#include "gpu_bench.h"
#include "runtime/cuda/cuda_backend.h"
#endif

using namespace stride;

namespace {

const char* kUsage =
    "usage: stride-bench [--shapes 0.5b,1.5b,7b] [--model DIR] [--decode-tokens N]\n"
    "       stride-bench --sweep --model DIR [--backend auto|cpu|cuda] [--threads N] [--sweep-tokens N]\n"
    "                    [--sweep-prompts N] [--grid W:N:G,...] [--step-shape 7b|none] [--matmul-modes mma,...]\n"
    "                    [--append-to FILE]\n"
    "       stride-bench --step-breakdown --model DIR [--backend auto|cpu|cuda] [--grid W:N:G,...]\n"
    "                    [--sweep-tokens N] [--sweep-prompts N]\n"
    "       stride-bench --gemm-micro SHAPE | --profile-steps SHAPE:M,M,... | --step-costs SHAPE:M,M,...\n"
    "                    | --profile-prefill SHAPE:TOKENS\n";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    const size_t b = std::min(s.find(',', a), s.size());
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

// "7b:1,13,31" -> ("7b", {1, 13, 31}); throws Error naming the flag when there is no colon.
std::pair<std::string, std::vector<int>> shape_and_rows(const std::string& text, const char* flag) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw Error(std::string(flag) + " wants SHAPE:M,M,... (e.g. 7b:1,13,31)");
  std::vector<int> rows;
  for (const auto& m : split_list(text.substr(colon + 1))) rows.push_back(std::stoi(m));
  return {text.substr(0, colon), rows};
}

}  // namespace

int main(int argc, char** argv) {
  std::string shapes = "0.5b,1.5b,7b", model_dir, grid_text, step_shape = "7b", modes = "mma,mma-bf16,gemv", append_to;
  std::string profile_steps, profile_prefill, step_costs;
  std::string backend = "auto";
  int decode_tokens = 128, threads = 0, sweep_tokens = 64, sweep_prompts = 0;
  bool sweep = false, breakdown = false;
  std::string gemm_micro;  // shape whose matrix products are timed alone (CUDA builds)
  std::string command = "stride-bench";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw Error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--shapes") shapes = value();
      else if (a == "--model") model_dir = value(), shapes.clear();
      else if (a == "--decode-tokens") decode_tokens = std::stoi(value());
      else if (a == "--sweep") sweep = true;
      else if (a == "--step-breakdown") breakdown = true;
      else if (a == "--backend") backend = value();
      else if (a == "--threads") threads = std::stoi(value());
      else if (a == "--sweep-tokens") sweep_tokens = std::stoi(value());
      else if (a == "--sweep-prompts") sweep_prompts = std::stoi(value());
      else if (a == "--grid") grid_text = value();
      else if (a == "--step-shape") step_shape = value();
      else if (a == "--matmul-modes") modes = value();
      else if (a == "--append-to") append_to = value();
      else if (a == "--gemm-micro") gemm_micro = value();
      else if (a == "--profile-steps") profile_steps = value();
      else if (a == "--step-costs") step_costs = value();
      else if (a == "--profile-prefill") profile_prefill = value();
      else {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
      }
    }
    if (breakdown) {
      if (model_dir.empty()) throw Error("--step-breakdown needs --model DIR");
      EngineOptions eo;  // the tokenizer and the prompt templates; CPU so that no GPU memory is taken twice
      eo.model_dir = model_dir;
      eo.backend = BackendKind::Cpu;
      eo.threads = 1;
      auto engine = Engine::load(eo);
      const ModelConfig config = ModelConfig::load(model_dir);
      auto weights = std::shared_ptr<const ModelWeights>(ModelWeights::load(model_dir, config));
      std::unique_ptr<Backend> b;
      const BackendKind kind = parse_backend(backend);
#ifdef STRIDE_HAVE_CUDA
      std::string why;
      if (kind == BackendKind::Cuda || (kind == BackendKind::Auto && cuda_device_available(&why)))
        b = make_cuda_backend(weights, 4096);
#endif
      if (!b) {
        if (kind == BackendKind::Cuda) throw Error("--step-breakdown: no CUDA device in this build or machine");
        b = make_cpu_backend(weights, threads, 4096);
      }
      bench::BreakdownOptions bo;
      bo.grid = bench::parse_lookahead_grid(grid_text);
      bo.max_tokens = sweep_tokens;
      bo.prompts = sweep_prompts;
      std::string report = bench::run_step_breakdown(*b, *engine, bo);
      report += "\n" + bench::run_host_cost(*b, *engine, bo);
      if (!append_to.empty()) {
        std::ofstream f(append_to, std::ios::app);
        if (!f) throw Error("cannot append to " + append_to);
        f << "\n`" << command << "`\n\n" << report;
      }
      return 0;
    }
#ifdef STRIDE_HAVE_CUDA
    if (!profile_prefill.empty()) {  // "1.5b:2048"
      const auto colon = profile_prefill.find(':');
      if (colon == std::string::npos) throw Error("--profile-prefill wants SHAPE:TOKENS (e.g. 1.5b:2048)");
      bench::run_profile_prefill(profile_prefill.substr(0, colon), std::stoi(profile_prefill.substr(colon + 1)));
      return 0;
    }
    if (!step_costs.empty()) {  // "7b:1,8,16"
      const auto [shape, rows] = shape_and_rows(step_costs, "--step-costs");
      bench::run_step_cost_list(shape, rows);
      return 0;
    }
    if (!profile_steps.empty()) {  // "7b:1,13,31"
      const auto [shape, rows] = shape_and_rows(profile_steps, "--profile-steps");
      bench::run_profile_steps(shape, rows);
      return 0;
    }
    if (!gemm_micro.empty()) {
      bench::run_gemm_micro(gemm_micro);
      return 0;
    }
#endif
    if (!sweep) {
#ifdef STRIDE_HAVE_CUDA
      return bench::run_gpu_bench(shapes, model_dir, decode_tokens);
#else
      std::fprintf(stderr, "stride-bench: this build has no CUDA; only --sweep (CPU backend) is available\n%s", kUsage);
      return 2;
#endif
    }
    if (model_dir.empty()) throw Error("--sweep needs --model DIR");
    bench::SweepOptions o;
    o.model_dir = model_dir;
    o.backend = parse_backend(backend);
    o.threads = threads;
    o.max_tokens = sweep_tokens;
    o.prompts = sweep_prompts;
    o.grid = bench::parse_lookahead_grid(grid_text);
    std::string report = bench::run_strategy_sweep(o);
#ifdef STRIDE_HAVE_CUDA
    std::string why;
    if (step_shape != "none" && o.backend != BackendKind::Cpu && cuda_device_available(&why)) {
      auto grid = o.grid.empty() ? bench::parse_lookahead_grid(bench::kDefaultSweepGrid) : o.grid;
      report += "\n" + bench::run_step_costs(step_shape, grid, split_list(modes));
    }
#endif
    if (!append_to.empty()) {
      std::ofstream f(append_to, std::ios::app);
      if (!f) throw Error("cannot append to " + append_to);
      f << "\n`" << command << "`\n\n" << report;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stride-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
