// The CUDA backend: the Qwen2/Llama decoder on one NVIDIA GPU, bf16 weights, float32
// accumulation, a paged KV cache, argmax on the GPU (see cuda_backend.cpp and kernels/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/model_weights.h"
#include "runtime/backend.h"

namespace stride {

// True when a usable GPU (compute capability >= 8.0) is present; otherwise says why.
bool cuda_device_available(std::string* why);

// Uploads the weights (as bf16) and allocates a KV cache of `capacity` tokens.
// Throws stride::Error, or stride::OutOfMemoryError after freeing everything it took.
std::unique_ptr<Backend> make_cuda_backend(std::shared_ptr<const ModelWeights> weights, int capacity);

// Random, well-scaled weights of the shapes in `config`, generated on the GPU from `seed`
// (stride-bench: real model shapes without a download or a host copy).
std::unique_ptr<Backend> make_cuda_backend_random(const ModelConfig& config, uint64_t seed, int capacity);

// Bytes of weights one decode step streams from GPU memory (the bandwidth floor of a step).
int64_t cuda_backend_weight_bytes(const Backend& backend);

}  // namespace stride
