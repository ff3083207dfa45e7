#include "tokenizer/bpe_tokenizer.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode_text.h"

namespace stride::tokenizer {

namespace {

using nlohmann::json;

struct Config {
  bool nfc = false;
  SplitPattern pattern = SplitPattern::Gpt2;
};

[[noreturn]] void unsupported(const std::string& file, const std::string& what) {
  throw UnsupportedTokenizerError(file + ": unsupported tokenizer: " + what);
}

std::string type_of(const json& j) { return j.is_object() ? j.value("type", std::string()) : std::string(); }

bool read_normalizer(const json& j, const std::string& file) {
  if (j.is_null()) return false;
  std::string type = type_of(j);
  if (type == "NFC") return true;
  if (type == "Sequence" && j.contains("normalizers") && j["normalizers"].empty()) return false;
  unsupported(file, "normalizer '" + j.dump().substr(0, 200) + "' (only NFC or none)");
}

void check_byte_level(const json& j, const std::string& file) {
  if (j.value("add_prefix_space", false)) unsupported(file, "ByteLevel with add_prefix_space");
}

// Accepts Sequence[Split(regex, Isolated), ByteLevel(use_regex=false)] or ByteLevel(use_regex).
SplitPattern read_pre_tokenizer(const json& j, const std::string& file) {
  std::string type = type_of(j);
  if (type == "ByteLevel") {
    check_byte_level(j, file);
    if (!j.value("use_regex", true)) unsupported(file, "ByteLevel pre-tokenizer without a split pattern");
    return SplitPattern::Gpt2;
  }
  if (type == "Sequence") {
    const json& steps = j.at("pretokenizers");
    if (steps.size() == 1) return read_pre_tokenizer(steps[0], file);
    if (steps.size() == 2 && type_of(steps[0]) == "Split" && type_of(steps[1]) == "ByteLevel") {
      const json& split = steps[0];
      check_byte_level(steps[1], file);
      if (steps[1].value("use_regex", true)) unsupported(file, "Split followed by ByteLevel with use_regex");
      if (split.value("behavior", std::string()) != "Isolated" || split.value("invert", false)) {
        unsupported(file, "Split behaviour other than Isolated");
      }
      const json& pattern = split.at("pattern");
      if (!pattern.contains("Regex")) unsupported(file, "Split on a plain string");
      std::string regex = pattern.at("Regex").get<std::string>();
      if (auto p = split_pattern_from_regex(regex)) return *p;
      unsupported(file, "pre-tokenizer regex " + regex);
    }
  }
  unsupported(file, "pre-tokenizer '" + j.dump().substr(0, 200) + "'");
}

std::vector<std::pair<std::string, std::string>> read_merges(const json& merges, const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const json& m : merges) {
    if (m.is_string()) {  // "a b"
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        throw Error(file + ": invalid merge \"" + s + "\" (expected two tokens separated by one space)");
      }
      out.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"]
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      throw Error(file + ": invalid merge " + m.dump().substr(0, 100));
    }
  }
  return out;
}

json parse_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  json j = parse_json_file(path);
  try {
    if (!j.is_object() || !j.contains("model")) throw Error(file + ": no \"model\" object");
    const json& model = j.at("model");
    std::string type = type_of(model);
    if (type != "BPE") unsupported(file, "model type '" + type + "' (only BPE)");
    if (model.value("byte_fallback", false)) unsupported(file, "BPE with byte_fallback (SentencePiece style)");
    auto non_empty = [&](const char* key) {
      return model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty();
    };
    if (non_empty("continuing_subword_prefix") || non_empty("end_of_word_suffix")) {
      unsupported(file, "BPE with a subword prefix/suffix");
    }
    if (!model.value("dropout", json()).is_null()) unsupported(file, "BPE dropout");
    std::string decoder = type_of(j.value("decoder", json()));
    if (decoder != "ByteLevel") unsupported(file, "decoder '" + decoder + "' (only ByteLevel)");

    bool nfc = read_normalizer(j.value("normalizer", json()), file);
    SplitPattern pattern = read_pre_tokenizer(j.value("pre_tokenizer", json()), file);

    auto vocab = model.at("vocab").get<std::unordered_map<std::string, int32_t>>();
    auto merges = read_merges(model.at("merges"), file);
    std::unique_ptr<BpeModel> bpe;
    try {
      bpe = std::make_unique<BpeModel>(std::move(vocab), merges, model.value("ignore_merges", false));
    } catch (const std::invalid_argument& e) {
      throw Error(file + ": " + e.what());
    }

    std::vector<AddedToken> added;
    for (const json& a : j.value("added_tokens", json::array())) {
      AddedToken t;
      t.id = a.at("id").get<int32_t>();
      t.content = a.at("content").get<std::string>();
      t.special = a.value("special", false);
      t.lstrip = a.value("lstrip", false);
      t.rstrip = a.value("rstrip", false);
      t.single_word = a.value("single_word", false);
      if (t.id < 0 || t.content.empty()) throw Error(file + ": invalid added token " + a.dump());
      added.push_back(std::move(t));
    }
    return std::unique_ptr<BpeTokenizer>(
        new BpeTokenizer(std::move(bpe), AddedTokenMatcher(std::move(added)), pattern, nfc));
  } catch (const json::exception& e) {
    throw Error(file + ": unexpected structure: " + e.what());
  }
}

BpeTokenizer::BpeTokenizer(std::unique_ptr<BpeModel> model, AddedTokenMatcher added, SplitPattern pattern,
                           bool nfc)
    : model_(std::move(model)), added_(std::move(added)), pattern_(pattern), nfc_(nfc) {
  int32_t max_id = -1;
  for (const auto& [text, id] : model_->vocab()) max_id = std::max(max_id, id);
  for (const AddedToken& t : added_.tokens()) max_id = std::max(max_id, t.id);
  id_bytes_.resize(max_id + 1);
  id_text_.resize(max_id + 1);
  special_.resize(max_id + 1);
  const ByteLevelMap& bytes = byte_level_map();
  for (const auto& [text, id] : model_->vocab()) {
    if (id < 0) continue;
    id_text_[id] = text;
    std::string raw;
    id_bytes_[id] = bytes.decode(text, raw) ? raw : text;  // not byte-mapped: keep the text
  }
  for (const AddedToken& t : added_.tokens()) {  // added tokens take precedence over the vocab
    id_text_[t.id] = t.content;
    id_bytes_[t.id] = t.content;
    special_[t.id] = t.special;
    added_ids_[t.content] = t.id;
  }
}

void BpeTokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  std::string normalized;
  if (nfc_) {
    normalized = nfc_normalize(text);
    text = normalized;
  }
  for (std::string_view word : pre_tokenize(pattern_, text)) model_->encode_word(word, out);
}

std::vector<int32_t> BpeTokenizer::encode(const std::string& text, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (!parse_special) {
    encode_plain(text, ids);
    return ids;
  }
  for (const auto& seg : added_.split(text)) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
    } else {
      encode_plain(seg.text, ids);
    }
  }
  return ids;
}

std::string BpeTokenizer::decode_bytes(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    // Ids the tokenizer does not know (a model's padded embedding rows) decode to nothing.
    if (id >= 0 && id < vocab_size()) out += id_bytes_[id];
  }
  return out;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const { return repair_utf8(decode_bytes(ids)); }

int BpeTokenizer::token_id(const std::string& token) const {
  if (auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  if (auto it = model_->vocab().find(token); it != model_->vocab().end()) return it->second;
  return -1;
}

std::string BpeTokenizer::token_text(int32_t id) const {
  return id >= 0 && id < vocab_size() ? id_text_[id] : std::string();
}

bool BpeTokenizer::is_special(int32_t id) const { return id >= 0 && id < vocab_size() && special_[id]; }

}  // namespace stride::tokenizer
