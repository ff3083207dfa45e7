// The app ↔ stride-lsp bridge: one engine (in the desktop app) serves every editor's stride-lsp.
//
// Transport: a Unix stream socket, per user: $XDG_RUNTIME_DIR/stride/bridge.sock, else
// /tmp/stride-$UID/bridge.sock. The folder is mode 0700 and owned by the user, the socket 0600, so
// no other user can connect (the server also refuses a folder it does not own).
//
// Framing: the LSP base protocol's ("Content-Length: N\r\n\r\n" + N bytes of JSON), one JSON
// object per frame, field "op" names the message:
//
//   server → client, once on connect:
//     {"op":"hello","version":1,"model":"tiny-qwen2-coder"}
//   client → server:
//     {"op":"complete","id":7,"input":{"client_id":"lsp:1","document_id":"…","path":"/a.py",
//       "text":"…","cursor":12,"other_files":[{"path":"…","text":"…"}],
//       "settings":{"strategy":"lookahead","max_tokens":96,"max_lines":8,"temperature":0,
//                   "context_budget_tokens":1536}}}
//     {"op":"cancel","id":7}
//   server → client, exactly once per "complete":
//     {"op":"done","id":7,"text":"…","cancelled":false,"error":"","from_cache":false,
//      "result":{"prompt_tokens":…,"generated_tokens":…,"ttft_ms":…,"total_ms":…,"steps":…,
//                "strategy":"lookahead","finish_reason":"stop"}}
//
// Ids are chosen by the client and are unique per connection. An unknown "op" or a malformed
// message is answered with {"op":"error","message":"…"} (and "id" when it could be read).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "completion/completion_service.h"

namespace stride::bridge {

using json = nlohmann::json;

constexpr int kBridgeProtocolVersion = 1;

// The per-user socket path (see above). Does not create anything.
std::string default_socket_path();

json to_json(const CompletionInput& in);
CompletionInput input_from_json(const json& j);  // throws stride::Error naming the field
json to_json(const CompletionOutput& out);
CompletionOutput output_from_json(const json& j);

}  // namespace stride::bridge
