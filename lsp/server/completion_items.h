// The editor-facing shape of a completion, independent of JSON-RPC: what the completion layer
// is asked (document + cursor → CompletionInput) and how its answer becomes an inline item or a
// plain completion item.
#pragma once

#include <string>
#include <vector>

#include "completion/completion_service.h"
#include "server/text_document.h"

namespace stride::lsp {

// `others`: other open documents of the session, given to the prompt builder as repo context.
CompletionInput make_completion_input(const TextDocument& doc, size_t cursor, const std::string& client_id,
                                      const std::vector<const TextDocument*>& others,
                                      const CompletionSettings& settings);

// Inline completion (3.18): insert `completion` at the cursor (an empty replace range there).
InlineCompletionItem make_inline_item(const TextDocument& doc, size_t cursor, const std::string& completion,
                                      PositionEncoding enc);

// textDocument/completion: one plain-text item whose edit replaces the identifier left of the
// cursor with itself + the completion, so clients that filter by the typed word keep it.
CompletionItem make_plain_item(const TextDocument& doc, size_t cursor, const std::string& completion,
                               PositionEncoding enc);

// A short file-type name from the LSP language id or the URI's extension (history rows).
std::string file_type_of(const TextDocument& doc);

}  // namespace stride::lsp
