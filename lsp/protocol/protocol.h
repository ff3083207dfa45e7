// LSP types used by stride-lsp and their JSON conversion — nothing else (clangd's Protocol.h
// layering). Conversions from JSON throw InvalidParamsError naming the offending field.
// Spec: LSP 3.17, plus textDocument/inlineCompletion from 3.18.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/json_rpc.h"

namespace stride::lsp {

// §3.17 PositionEncodingKind. Character offsets count units of this encoding.
enum class PositionEncoding { Utf8, Utf16, Utf32 };
const char* to_string(PositionEncoding e);
std::optional<PositionEncoding> parse_position_encoding(const std::string& s);

struct Position {
  int line = 0;
  int character = 0;
  bool operator==(const Position&) const = default;
};

struct Range {
  Position start, end;
  bool operator==(const Range&) const = default;
};

struct InitializeParams {
  std::vector<PositionEncoding> position_encodings;  // general.positionEncodings, in client order
  bool work_done_progress = false;                   // window.workDoneProgress
  std::optional<std::string> client_name;
};

struct TextDocumentItem {
  std::string uri, language_id, text;
  int version = 0;
};

// One element of didChange's contentChanges: a full replacement when range is absent.
struct TextDocumentContentChangeEvent {
  std::optional<Range> range;
  std::string text;
};

struct DidOpenParams {
  TextDocumentItem text_document;
};
struct DidChangeParams {
  std::string uri;
  int version = 0;
  std::vector<TextDocumentContentChangeEvent> content_changes;
};
struct DidCloseParams {
  std::string uri;
};

// textDocument/inlineCompletion and textDocument/completion share this shape.
struct TextDocumentPositionParams {
  std::string uri;
  Position position;
};

// §Command: what the client runs after the user accepted an item (InlineCompletionItem.command,
// CompletionItem.command); `arguments` is a JSON array.
struct Command {
  std::string title;
  std::string command;
  json arguments = json::array();
};

struct InlineCompletionItem {
  std::string insert_text;
  Range range;
  std::optional<Command> command;
};

// The server's answer to textDocument/completion: one plain-text item (no snippets).
struct CompletionItem {
  std::string label;
  std::string insert_text;
  Range range;
  std::string detail;
  std::optional<Command> command;
};

// workspace/executeCommand
struct ExecuteCommandParams {
  std::string command;
  json arguments = json::array();  // [] when absent
};

Position parse_position(const json& j, const char* field);
Range parse_range(const json& j, const char* field);
InitializeParams parse_initialize_params(const json& params);
DidOpenParams parse_did_open(const json& params);
DidChangeParams parse_did_change(const json& params);
DidCloseParams parse_did_close(const json& params);
TextDocumentPositionParams parse_text_document_position(const json& params);
json parse_cancel_id(const json& params);  // $/cancelRequest
ExecuteCommandParams parse_execute_command(const json& params);

json to_json(const Position& p);
json to_json(const Range& r);
json to_json(const Command& c);
// `commands`: what workspace/executeCommand accepts (executeCommandProvider.commands).
json initialize_result(PositionEncoding encoding, const std::string& server_version,
                       const std::vector<std::string>& commands = {});
json inline_completion_list(const std::vector<InlineCompletionItem>& items);
json completion_list(const std::vector<CompletionItem>& items);

// window/logMessage §MessageType
enum class MessageType { Error = 1, Warning = 2, Info = 3, Log = 4 };
json log_message(MessageType type, const std::string& message);

// $/progress payloads for window/workDoneProgress.
json progress_begin(const json& token, const std::string& title, int percentage);
json progress_report(const json& token, const std::string& message, int percentage);
json progress_end(const json& token, const std::string& message);

}  // namespace stride::lsp
