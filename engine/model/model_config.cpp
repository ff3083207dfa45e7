// config.json → ModelConfig for the qwen2 and llama families.
#include "model/model_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "stride/engine.h"

namespace stride {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& field, const std::string& what) {
  throw Error(origin + ": field '" + field + "' " + what);
}

const json& require(const json& j, const std::string& origin, const std::string& field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) fail(origin, field, "is missing");
  return *it;
}

int positive_int(const json& j, const std::string& origin, const std::string& field) {
  const json& v = require(j, origin, field);
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > (1 << 30))
    fail(origin, field, "must be a positive integer");
  return v.get<int>();
}

int optional_positive_int(const json& j, const std::string& origin, const std::string& field,
                          int fallback) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return fallback;
  return positive_int(j, origin, field);
}

// Newer transformers (≥ 4.56 / 5.x) move rope_theta into rope_parameters; older configs keep it
// at the top level.
double read_rope_theta(const json& j, const std::string& origin) {
  auto params = j.find("rope_parameters");
  if (params != j.end() && params->is_object()) {
    auto theta = params->find("rope_theta");
    if (theta != params->end() && theta->is_number()) return theta->get<double>();
  }
  auto theta = j.find("rope_theta");
  if (theta != j.end() && !theta->is_null()) {
    if (!theta->is_number() || theta->get<double>() <= 0)
      fail(origin, "rope_theta", "must be a positive number");
    return theta->get<double>();
  }
  return 10000.0;  // the transformers default for both families
}

std::vector<int> token_ids(const json& j, const std::string& origin, const std::string& field) {
  std::vector<int> ids;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return ids;
  if (it->is_number_integer()) {
    ids.push_back(it->get<int>());
  } else if (it->is_array()) {
    for (const json& v : *it) {
      if (!v.is_number_integer()) fail(origin, field, "must hold integers");
      ids.push_back(v.get<int>());
    }
  } else {
    fail(origin, field, "must be an integer or a list of integers");
  }
  return ids;
}

}  // namespace

ModelConfig ModelConfig::parse(const std::string& json_text, const std::string& origin) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw Error(origin + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(origin + ": expected a JSON object");

  ModelConfig c;
  const json& type = require(j, origin, "model_type");
  if (!type.is_string()) fail(origin, "model_type", "must be a string");
  c.model_type = type.get<std::string>();
  if (c.model_type != "qwen2" && c.model_type != "llama")
    fail(origin, "model_type", "is '" + c.model_type + "': unsupported architecture (qwen2 and llama are)");

  c.vocab_size = positive_int(j, origin, "vocab_size");
  c.hidden_size = positive_int(j, origin, "hidden_size");
  c.intermediate_size = positive_int(j, origin, "intermediate_size");
  c.num_layers = positive_int(j, origin, "num_hidden_layers");
  c.num_heads = positive_int(j, origin, "num_attention_heads");
  c.num_kv_heads = optional_positive_int(j, origin, "num_key_value_heads", c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0)
    fail(origin, "num_key_value_heads", "must divide num_attention_heads");
  if (c.hidden_size % c.num_heads != 0 && !j.contains("head_dim"))
    fail(origin, "head_dim", "is missing and hidden_size is not a multiple of num_attention_heads");
  c.head_dim = optional_positive_int(j, origin, "head_dim", c.hidden_size / c.num_heads);
  if (c.head_dim % 2 != 0) fail(origin, "head_dim", "must be even (rotary embedding)");
  c.max_position_embeddings = optional_positive_int(j, origin, "max_position_embeddings", 2048);

  if (auto eps = j.find("rms_norm_eps"); eps != j.end() && !eps->is_null()) {
    if (!eps->is_number() || eps->get<double>() <= 0) fail(origin, "rms_norm_eps", "must be a positive number");
    c.rms_norm_eps = eps->get<float>();
  }
  c.rope_theta = read_rope_theta(j, origin);

  auto tie = j.find("tie_word_embeddings");
  if (tie != j.end() && !tie->is_null()) {
    if (!tie->is_boolean()) fail(origin, "tie_word_embeddings", "must be a boolean");
    c.tie_word_embeddings = tie->get<bool>();
  } else {
    c.tie_word_embeddings = false;  // the Qwen2Config and LlamaConfig default
  }

  // Qwen2 always has q/k/v biases; Llama says so in attention_bias (default false).
  if (c.model_type == "qwen2") {
    c.attention_bias = true;
  } else if (auto bias = j.find("attention_bias"); bias != j.end() && !bias->is_null()) {
    if (!bias->is_boolean()) fail(origin, "attention_bias", "must be a boolean");
    c.attention_bias = bias->get<bool>();
  }

  c.eos_token_ids = token_ids(j, origin, "eos_token_id");
  std::vector<int> bos = token_ids(j, origin, "bos_token_id");
  c.bos_token_id = bos.empty() ? -1 : bos.front();
  return c;
}

ModelConfig ModelConfig::load(const std::string& model_dir) {
  const std::string path = model_dir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the model's config.json");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

}  // namespace stride
