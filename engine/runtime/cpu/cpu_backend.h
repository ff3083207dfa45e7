// The CPU reference backend: the whole Qwen2/Llama decoder in float32 (see cpu_backend.cpp).
#pragma once

#include <memory>

#include "model/model_weights.h"
#include "runtime/backend.h"

namespace stride {

// threads: worker threads including the caller (0 = hardware concurrency); capacity: KV cache
// size in tokens. Converts the weights to float32 once; throws stride::Error.
std::unique_ptr<Backend> make_cpu_backend(std::shared_ptr<const ModelWeights> weights, int threads, int capacity);

}  // namespace stride
