#include "tokenizer/eos_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "stride/engine.h"

namespace stride::tokenizer {

namespace {

using nlohmann::json;

json read_optional_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return json();
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

void add_unique(std::vector<int32_t>& ids, int64_t id, int vocab_size) {
  if (id < 0 || id >= vocab_size) return;
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(static_cast<int32_t>(id));
}

}  // namespace

std::vector<int32_t> eos_ids_from_configs(const std::filesystem::path& model_dir, const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (const char* name : {"generation_config.json", "config.json"}) {
    json j = read_optional_json(model_dir / name);
    if (!j.is_object() || !j.contains("eos_token_id")) continue;
    const json& eos = j["eos_token_id"];
    if (eos.is_number_integer()) add_unique(ids, eos.get<int64_t>(), tokenizer.vocab_size());
    if (eos.is_array()) {
      for (const json& e : eos) {
        if (e.is_number_integer()) add_unique(ids, e.get<int64_t>(), tokenizer.vocab_size());
      }
    }
  }
  json tc = read_optional_json(model_dir / "tokenizer_config.json");
  if (tc.is_object() && tc.contains("eos_token")) {
    const json& eos = tc["eos_token"];
    std::string text = eos.is_string() ? eos.get<std::string>()
                       : eos.is_object() ? eos.value("content", std::string())
                                         : std::string();
    if (!text.empty()) add_unique(ids, tokenizer.token_id(text), tokenizer.vocab_size());
  }
  return ids;
}

}  // namespace stride::tokenizer
