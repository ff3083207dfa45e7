// The model's weights on the GPU, bf16, laid out for the kernels: q/k/v fused into one matrix
// (rows q, then k, then v) with a float32 bias, gate/up fused (rows gate, then up).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/common.cuh"
#include "model/model_weights.h"
#include "runtime/cuda/device_buffer.h"

namespace stride::cuda {

struct DeviceLayer {
  const bf16* input_norm = nullptr;
  const bf16* post_attn_norm = nullptr;
  const bf16* qkv = nullptr;     // [(H + 2 KV) * hd, hidden]
  const float* qkv_bias = nullptr;  // [(H + 2 KV) * hd] or null
  const bf16* o = nullptr;       // [hidden, H * hd]
  const bf16* gate_up = nullptr; // [2 * inter, hidden]
  const bf16* down = nullptr;    // [hidden, inter]
};

struct DeviceModel {
  ModelConfig config;
  std::vector<DeviceBuffer> buffers;  // owns everything below
  const bf16* embed = nullptr;        // [vocab, hidden]
  const bf16* final_norm = nullptr;
  const bf16* lm_head = nullptr;      // == embed when tied
  std::vector<DeviceLayer> layers;
  int64_t weight_bytes = 0;           // bytes one decode step streams (embedding excluded when untied)

  // Uploads (converting to bf16 where needed); throws Error / OutOfMemoryError.
  static std::unique_ptr<DeviceModel> upload(const ModelWeights& weights);
  // Random, well-scaled weights generated on the GPU from `seed` (benchmarks; no host copy).
  static std::unique_ptr<DeviceModel> random(const ModelConfig& config, uint64_t seed);
};

// Checks the shapes the kernels need (head_dim, multiples of 8) and throws Error naming the field.
void check_cuda_config(const ModelConfig& c);

}  // namespace stride::cuda
