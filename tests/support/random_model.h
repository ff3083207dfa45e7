// A random Qwen2-layout model folder for tests (and a "differently seeded" draft model).
#pragma once

#include <cstdint>
#include <string>

namespace stride::test {

struct RandomModelSpec {
  int vocab_size = 256;
  int hidden_size = 32;
  int intermediate_size = 64;
  int num_layers = 2;
  int num_heads = 4;
  int num_kv_heads = 2;
  int max_position_embeddings = 4096;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = true;
  bool bf16 = true;              // bf16 weights (like real checkpoints); false = f32
  bool copy_tokenizer = false;   // copy tokenizer.json (+ tokenizer_config.json) of the tiny
                                 // model; set vocab_size = 151936 to match it
};

// Writes <dir>/config.json and <dir>/model.safetensors (creating dir). Weights are random but
// well-scaled (activations stay O(1)); the same seed gives the same files.
void write_random_qwen2_model(const std::string& dir, const RandomModelSpec& spec, uint64_t seed);

// The tiny real model shipped in shared/ (its tokenizer is what copy_tokenizer copies).
std::string tiny_model_dir();

}  // namespace stride::test
