// JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification) as LSP uses them: classifying an
// incoming message and building responses, errors, notifications and server-to-client requests.
// Nothing here knows about LSP methods.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace stride::lsp {

using json = nlohmann::json;

// JSON-RPC 2.0 §5.1 codes, plus the LSP-reserved ones.
enum class ErrorCode : int {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ServerNotInitialized = -32002,
  RequestFailed = -32803,
  RequestCancelled = -32800,
};

// A message after parsing: exactly one of request, notification, response or invalid.
struct IncomingMessage {
  enum class Kind { Request, Notification, Response, Invalid };
  Kind kind = Kind::Invalid;
  json id;           // request/response id (number or string); null when absent
  std::string method;
  json params;       // null when absent
  json result;       // response only
  json error;        // response only (null on success)
  ErrorCode invalid_code = ErrorCode::InvalidRequest;  // Invalid only
  std::string invalid_reason;                          // Invalid only
};

// Parses one framed body. Never throws: bad JSON → Invalid/ParseError, bad shape → InvalidRequest.
IncomingMessage parse_message(const std::string& body);

// Serialized envelopes (compact JSON).
std::string make_result(const json& id, const json& result);
std::string make_error(const json& id, ErrorCode code, const std::string& message);
std::string make_notification(const std::string& method, const json& params);
std::string make_request(const json& id, const std::string& method, const json& params);

// Thrown by handlers when params do not match the method's schema; becomes InvalidParams.
struct InvalidParamsError {
  std::string message;
};

}  // namespace stride::lsp
