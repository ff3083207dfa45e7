#include "bench_shapes.h"

#include "stride/engine.h"

namespace stride::bench {

Shape qwen25_coder_shape(const std::string& name) {
  ModelConfig c;
  c.model_type = "qwen2";
  c.max_position_embeddings = 32768;
  c.rms_norm_eps = 1e-6f;
  c.rope_theta = 1000000.0;
  c.attention_bias = true;
  auto set = [&](int hidden, int layers, int heads, int kv, int inter, int vocab, bool tied) {
    c.hidden_size = hidden;
    c.num_layers = layers;
    c.num_heads = heads;
    c.num_kv_heads = kv;
    c.intermediate_size = inter;
    c.vocab_size = vocab;
    c.tie_word_embeddings = tied;
    c.head_dim = hidden / heads;
  };
  if (name == "0.5b") set(896, 24, 14, 2, 4864, 151936, true);
  else if (name == "1.5b") set(1536, 28, 12, 2, 8960, 151936, true);
  else if (name == "7b") set(3584, 28, 28, 4, 18944, 152064, false);
  // The shared tiny-qwen2-coder's shape: its steps are latency bound (profiles of lookahead's cost).
  else if (name == "tiny") set(128, 8, 2, 1, 512, 151936, true);
  else throw Error("stride-bench: unknown shape '" + name + "' (0.5b, 1.5b, 7b or tiny)");
  if (name == "tiny") return {"tiny-qwen2-coder shape (random)", c};
  return {"Qwen2.5-Coder-" + std::string(name == "7b" ? "7B" : name == "1.5b" ? "1.5B" : "0.5B") + " (random)", c};
}

}  // namespace stride::bench
