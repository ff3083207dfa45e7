// ModelWeights::load: maps model.safetensors (or the shards named by model.safetensors.index.json)
// and binds every tensor the decoder needs, checking its shape against the config.
#include "model/model_weights.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "model/safetensors_file.h"
#include "stride/engine.h"

namespace stride {
namespace {

namespace fs = std::filesystem;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// name → the file that holds it, from the shard index.
std::map<std::string, std::string> read_index(const std::string& index_path) {
  std::ifstream in(index_path, std::ios::binary);
  if (!in) throw Error(index_path + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(index_path + ": invalid JSON: " + e.what());
  }
  auto map = j.find("weight_map");
  if (map == j.end() || !map->is_object()) throw Error(index_path + ": field 'weight_map' is missing");
  std::map<std::string, std::string> out;
  for (auto& [name, file] : map->items()) {
    if (!file.is_string()) throw Error(index_path + ": weight_map entry '" + name + "' is not a file name");
    const std::string f = file.get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
      throw Error(index_path + ": weight_map entry '" + name + "' names an invalid file '" + f + "'");
    out.emplace(name, f);
  }
  return out;
}

}  // namespace

ModelWeights::~ModelWeights() = default;

int64_t ModelWeights::parameter_count() const {
  int64_t n = embed_.numel() + final_norm_.numel();
  if (!config_.tie_word_embeddings) n += lm_head_.numel();
  for (const LayerWeights& l : layers_) {
    for (const TensorView* t : {&l.input_norm, &l.post_attn_norm, &l.q, &l.k, &l.v, &l.o, &l.q_bias,
                                &l.k_bias, &l.v_bias, &l.gate, &l.up, &l.down})
      if (t->data) n += t->numel();
  }
  return n;
}

std::unique_ptr<ModelWeights> ModelWeights::load(const std::string& model_dir, const ModelConfig& config) {
  if (!fs::is_directory(model_dir)) throw Error(model_dir + ": model folder not found");
  std::unique_ptr<ModelWeights> w(new ModelWeights());
  w->config_ = config;

  // Which file holds each tensor; files are opened once each.
  std::map<std::string, std::string> location;  // tensor → file path
  const std::string single = model_dir + "/model.safetensors";
  const std::string index = model_dir + "/model.safetensors.index.json";
  std::map<std::string, SafetensorsFile*> by_path;
  if (fs::exists(single)) {
    w->files_.push_back(std::make_unique<SafetensorsFile>(single));
    by_path[single] = w->files_.back().get();
  } else if (fs::exists(index)) {
    for (auto& [name, file] : read_index(index)) {
      const std::string path = model_dir + "/" + file;
      location[name] = path;
      if (by_path.count(path)) continue;
      if (!fs::exists(path))
        throw Error(path + ": shard listed in " + index + " (for tensor '" + name + "') is missing");
      w->files_.push_back(std::make_unique<SafetensorsFile>(path));
      by_path[path] = w->files_.back().get();
    }
  } else {
    throw Error(model_dir + ": no model.safetensors or model.safetensors.index.json in the model folder");
  }

  auto bind = [&](const std::string& name, std::vector<int64_t> shape) -> TensorView {
    const TensorView* t = nullptr;
    std::string where = single;
    if (location.empty()) {
      t = by_path[single]->find(name);
    } else if (auto it = location.find(name); it != location.end()) {
      where = it->second;
      t = by_path[where]->find(name);
    } else {
      where = index;
    }
    if (!t) throw Error(where + ": tensor '" + name + "' is missing");
    if (t->shape != shape)
      throw Error(where + ": tensor '" + name + "' has shape " + shape_string(t->shape) + ", expected " +
                  shape_string(shape) + " from config.json");
    return *t;
  };

  const int64_t H = config.hidden_size, V = config.vocab_size, I = config.intermediate_size;
  const int64_t Q = int64_t(config.num_heads) * config.head_dim;
  const int64_t KV = int64_t(config.num_kv_heads) * config.head_dim;
  w->embed_ = bind("model.embed_tokens.weight", {V, H});
  w->final_norm_ = bind("model.norm.weight", {H});
  w->lm_head_ = config.tie_word_embeddings ? w->embed_ : bind("lm_head.weight", {V, H});
  for (int i = 0; i < config.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights l;
    l.input_norm = bind(p + "input_layernorm.weight", {H});
    l.post_attn_norm = bind(p + "post_attention_layernorm.weight", {H});
    l.q = bind(p + "self_attn.q_proj.weight", {Q, H});
    l.k = bind(p + "self_attn.k_proj.weight", {KV, H});
    l.v = bind(p + "self_attn.v_proj.weight", {KV, H});
    l.o = bind(p + "self_attn.o_proj.weight", {H, Q});
    if (config.attention_bias) {
      l.q_bias = bind(p + "self_attn.q_proj.bias", {Q});
      l.k_bias = bind(p + "self_attn.k_proj.bias", {KV});
      l.v_bias = bind(p + "self_attn.v_proj.bias", {KV});
    }
    l.gate = bind(p + "mlp.gate_proj.weight", {I, H});
    l.up = bind(p + "mlp.up_proj.weight", {I, H});
    l.down = bind(p + "mlp.down_proj.weight", {H, I});
    w->layers_.push_back(std::move(l));
  }
  return w;
}

}  // namespace stride
