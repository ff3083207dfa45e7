#include "protocol/protocol.h"

namespace stride::lsp {

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw InvalidParamsError{field + ": " + what};
}

const json& member(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) bad(where, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) bad(where + "." + key, "missing");
  return *it;
}

std::string string_member(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  if (!v.is_string()) bad(where + "." + key, "expected a string");
  return v.get<std::string>();
}

int int_member(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  // LSP uinteger/integer; reject floats and values that do not fit an int.
  if (!v.is_number_integer()) bad(where + "." + key, "expected an integer");
  const int64_t x = v.get<int64_t>();
  if (x < 0 || x > INT32_MAX) bad(where + "." + key, "out of range");
  return static_cast<int>(x);
}

std::string text_document_uri(const json& params) {
  return string_member(member(params, "textDocument", "params"), "uri", "params.textDocument");
}

}  // namespace

const char* to_string(PositionEncoding e) {
  switch (e) {
    case PositionEncoding::Utf8: return "utf-8";
    case PositionEncoding::Utf16: return "utf-16";
    case PositionEncoding::Utf32: return "utf-32";
  }
  return "utf-16";
}

std::optional<PositionEncoding> parse_position_encoding(const std::string& s) {
  if (s == "utf-8") return PositionEncoding::Utf8;
  if (s == "utf-16") return PositionEncoding::Utf16;
  if (s == "utf-32") return PositionEncoding::Utf32;
  return std::nullopt;
}

Position parse_position(const json& j, const char* field) {
  Position p;
  p.line = int_member(j, "line", field);
  p.character = int_member(j, "character", field);
  return p;
}

Range parse_range(const json& j, const char* field) {
  const std::string f = field;
  Range r;
  r.start = parse_position(member(j, "start", f), (f + ".start").c_str());
  r.end = parse_position(member(j, "end", f), (f + ".end").c_str());
  return r;
}

InitializeParams parse_initialize_params(const json& params) {
  if (!params.is_object()) bad("params", "expected an object");
  InitializeParams p;
  const json caps = params.value("capabilities", json::object());
  if (!caps.is_object()) bad("params.capabilities", "expected an object");
  if (auto general = caps.find("general"); general != caps.end() && general->is_object()) {
    if (auto enc = general->find("positionEncodings"); enc != general->end() && enc->is_array()) {
      for (const auto& e : *enc) {
        if (!e.is_string()) continue;
        if (auto pe = parse_position_encoding(e.get<std::string>())) p.position_encodings.push_back(*pe);
      }
    }
  }
  if (auto window = caps.find("window"); window != caps.end() && window->is_object()) {
    p.work_done_progress = window->value("workDoneProgress", false) == true;
  }
  if (auto info = params.find("clientInfo"); info != params.end() && info->is_object()) {
    if (auto name = info->find("name"); name != info->end() && name->is_string()) p.client_name = *name;
  }
  return p;
}

DidOpenParams parse_did_open(const json& params) {
  const json& td = member(params, "textDocument", "params");
  DidOpenParams p;
  p.text_document.uri = string_member(td, "uri", "params.textDocument");
  p.text_document.language_id = string_member(td, "languageId", "params.textDocument");
  p.text_document.text = string_member(td, "text", "params.textDocument");
  const json& v = member(td, "version", "params.textDocument");
  if (!v.is_number_integer()) bad("params.textDocument.version", "expected an integer");
  p.text_document.version = v.get<int>();
  return p;
}

DidChangeParams parse_did_change(const json& params) {
  const json& td = member(params, "textDocument", "params");
  DidChangeParams p;
  p.uri = string_member(td, "uri", "params.textDocument");
  if (auto v = td.find("version"); v != td.end() && v->is_number_integer()) p.version = v->get<int>();
  const json& changes = member(params, "contentChanges", "params");
  if (!changes.is_array()) bad("params.contentChanges", "expected an array");
  for (size_t i = 0; i < changes.size(); ++i) {
    const std::string where = "params.contentChanges[" + std::to_string(i) + "]";
    TextDocumentContentChangeEvent c;
    c.text = string_member(changes[i], "text", where);
    if (changes[i].contains("range")) c.range = parse_range(changes[i]["range"], (where + ".range").c_str());
    p.content_changes.push_back(std::move(c));
  }
  return p;
}

DidCloseParams parse_did_close(const json& params) { return DidCloseParams{text_document_uri(params)}; }

TextDocumentPositionParams parse_text_document_position(const json& params) {
  TextDocumentPositionParams p;
  p.uri = text_document_uri(params);
  p.position = parse_position(member(params, "position", "params"), "params.position");
  return p;
}

json parse_cancel_id(const json& params) {
  const json& id = member(params, "id", "params");
  if (!id.is_string() && !id.is_number_integer()) bad("params.id", "expected a string or integer");
  return id;
}

ExecuteCommandParams parse_execute_command(const json& params) {
  ExecuteCommandParams p;
  p.command = string_member(params, "command", "params");
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_array()) bad("params.arguments", "expected an array");
    p.arguments = *a;
  }
  return p;
}

json to_json(const Position& p) { return {{"line", p.line}, {"character", p.character}}; }
json to_json(const Range& r) { return {{"start", to_json(r.start)}, {"end", to_json(r.end)}}; }
json to_json(const Command& c) { return {{"title", c.title}, {"command", c.command}, {"arguments", c.arguments}}; }

json initialize_result(PositionEncoding encoding, const std::string& server_version,
                       const std::vector<std::string>& commands) {
  json caps{
      {"positionEncoding", to_string(encoding)},
      // Full = 1, Incremental = 2; we take incremental edits.
      {"textDocumentSync", {{"openClose", true}, {"change", 2}}},
      {"inlineCompletionProvider", json::object()},
      {"completionProvider", {{"resolveProvider", false}, {"triggerCharacters", json::array()}}},
  };
  if (!commands.empty()) caps["executeCommandProvider"] = {{"commands", commands}};
  return {{"capabilities", caps}, {"serverInfo", {{"name", "stride-lsp"}, {"version", server_version}}}};
}

json inline_completion_list(const std::vector<InlineCompletionItem>& items) {
  json arr = json::array();
  for (const auto& it : items) {
    json item{{"insertText", it.insert_text}, {"range", to_json(it.range)}};
    if (it.command) item["command"] = to_json(*it.command);
    arr.push_back(std::move(item));
  }
  return {{"items", arr}};
}

json completion_list(const std::vector<CompletionItem>& items) {
  json arr = json::array();
  for (const auto& it : items) {
    arr.push_back({
        {"label", it.label},
        {"kind", 1},              // CompletionItemKind.Text
        {"insertTextFormat", 1},  // PlainText: never a snippet
        {"textEdit", {{"range", to_json(it.range)}, {"newText", it.insert_text}}},
        {"detail", it.detail},
        {"filterText", it.insert_text},
    });
    if (it.command) arr.back()["command"] = to_json(*it.command);
  }
  // Incomplete: the answer depends on the exact cursor, so the client must ask again as it types.
  return {{"isIncomplete", true}, {"items", arr}};
}

json log_message(MessageType type, const std::string& message) {
  return {{"type", static_cast<int>(type)}, {"message", message}};
}

json progress_begin(const json& token, const std::string& title, int percentage) {
  return {{"token", token},
          {"value", {{"kind", "begin"}, {"title", title}, {"cancellable", false}, {"percentage", percentage}}}};
}

json progress_report(const json& token, const std::string& message, int percentage) {
  return {{"token", token}, {"value", {{"kind", "report"}, {"message", message}, {"percentage", percentage}}}};
}

json progress_end(const json& token, const std::string& message) {
  return {{"token", token}, {"value", {{"kind", "end"}, {"message", message}}}};
}

}  // namespace stride::lsp
