// libFuzzer target over stride-lsp's input path: Content-Length framing, JSON-RPC classification
// and the LSP parameter parsers. Any crash, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/protocol.h"
#include "server/text_document.h"
#include "transport/frame_reader.h"

using namespace stride::lsp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FrameReader reader;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // Feed in two pieces so split headers are exercised too.
  const size_t cut = size ? data[0] % (size + 1) : 0;
  reader.feed(all.substr(0, cut));
  Frame f;
  auto drain = [&] {
    while (reader.next(f)) {
      if (!f.ok) continue;
      IncomingMessage m = parse_message(f.body);
      if (m.kind != IncomingMessage::Kind::Request && m.kind != IncomingMessage::Kind::Notification) continue;
      try {
        if (m.method == "initialize") parse_initialize_params(m.params);
        if (m.method == "textDocument/didOpen") {
          auto p = parse_did_open(m.params);
          TextDocument d(p.text_document.uri, "", 0, p.text_document.text);
          d.offset_of({3, 7}, PositionEncoding::Utf16);
        }
        if (m.method == "textDocument/didChange") {
          auto p = parse_did_change(m.params);
          TextDocument d("u", "", 0, "a\xF0\x9F\x98\x80" "b\nline two\n");
          for (const auto& c : p.content_changes) d.apply_change(c, PositionEncoding::Utf16);
          d.position_of(d.text().size(), PositionEncoding::Utf16);
        }
        if (m.method == "textDocument/inlineCompletion") parse_text_document_position(m.params);
        if (m.method == "$/cancelRequest") parse_cancel_id(m.params);
      } catch (const InvalidParamsError&) {
      }
    }
  };
  drain();
  reader.feed(all.substr(cut));
  drain();
  return 0;
}
