#include "protocol/json_rpc.h"

namespace stride::lsp {

namespace {

IncomingMessage invalid(ErrorCode code, std::string reason, json id = nullptr) {
  IncomingMessage m;
  m.kind = IncomingMessage::Kind::Invalid;
  m.invalid_code = code;
  m.invalid_reason = std::move(reason);
  m.id = std::move(id);
  return m;
}

// JSON-RPC 2.0 §4: an id is a string, a number or null (we refuse null for requests).
bool valid_id(const json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

}  // namespace

IncomingMessage parse_message(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid(ErrorCode::ParseError, "invalid JSON");
  if (!j.is_object()) {
    return invalid(ErrorCode::InvalidRequest,
                   j.is_array() ? "batch requests are not supported by LSP" : "message is not an object");
  }
  json id = j.contains("id") ? j["id"] : json(nullptr);
  const bool has_id = j.contains("id");
  if (has_id && !valid_id(id)) return invalid(ErrorCode::InvalidRequest, "id must be a string or integer");
  auto jsonrpc = j.find("jsonrpc");
  if (jsonrpc == j.end() || *jsonrpc != "2.0") {
    return invalid(ErrorCode::InvalidRequest, "missing or wrong \"jsonrpc\": \"2.0\"", id);
  }
  IncomingMessage m;
  m.id = id;
  auto method = j.find("method");
  if (method == j.end()) {
    // A response to one of our requests (workDoneProgress/create).
    if (!has_id || (!j.contains("result") && !j.contains("error"))) {
      return invalid(ErrorCode::InvalidRequest, "message has neither method nor result/error", id);
    }
    m.kind = IncomingMessage::Kind::Response;
    m.result = j.value("result", json(nullptr));
    m.error = j.value("error", json(nullptr));
    return m;
  }
  if (!method->is_string()) return invalid(ErrorCode::InvalidRequest, "method must be a string", id);
  m.method = method->get<std::string>();
  if (j.contains("params")) {
    m.params = j["params"];
    // §4.2: params is a structured value. A null is read as "omitted" (some clients send it).
    if (!m.params.is_null() && !m.params.is_object() && !m.params.is_array()) {
      return invalid(ErrorCode::InvalidRequest, "params must be an object or array", id);
    }
  }
  m.kind = has_id ? IncomingMessage::Kind::Request : IncomingMessage::Kind::Notification;
  return m;
}

std::string make_result(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump(-1, ' ', false,
                                                                          json::error_handler_t::replace);
}

std::string make_error(const json& id, ErrorCode code, const std::string& message) {
  json err{{"code", static_cast<int>(code)}, {"message", message}};
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", err}}.dump(-1, ' ', false,
                                                                    json::error_handler_t::replace);
}

std::string make_notification(const std::string& method, const json& params) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

std::string make_request(const json& id, const std::string& method, const json& params) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace stride::lsp
