#include "server/completion_items.h"

#include <cctype>

namespace stride::lsp {

namespace {

bool identifier_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

// file:///home/a/b%20c.py → /home/a/b c.py (enough for a path the prompt builder shows the model).
std::string path_of(const std::string& uri) {
  std::string s = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

CompletionInput make_completion_input(const TextDocument& doc, size_t cursor, const std::string& client_id,
                                      const std::vector<const TextDocument*>& others,
                                      const CompletionSettings& settings) {
  CompletionInput in;
  in.client_id = client_id;
  in.document_id = client_id + "|" + doc.uri();
  in.path = path_of(doc.uri());
  in.text = doc.text();
  in.cursor = std::min(cursor, doc.text().size());
  for (const TextDocument* o : others) in.other_files.push_back({path_of(o->uri()), o->text()});
  in.settings = settings;
  return in;
}

InlineCompletionItem make_inline_item(const TextDocument& doc, size_t cursor, const std::string& completion,
                                      PositionEncoding enc) {
  const Position at = doc.position_of(cursor, enc);
  return InlineCompletionItem{completion, Range{at, at}, std::nullopt};
}

CompletionItem make_plain_item(const TextDocument& doc, size_t cursor, const std::string& completion,
                               PositionEncoding enc) {
  const std::string& t = doc.text();
  size_t word = std::min(cursor, t.size());
  while (word > 0 && identifier_byte(static_cast<unsigned char>(t[word - 1])) && t[word - 1] != '\n') --word;
  // Do not start inside a UTF-8 sequence.
  while (word < cursor && (static_cast<unsigned char>(t[word]) & 0xC0) == 0x80) ++word;
  CompletionItem item;
  item.insert_text = t.substr(word, cursor - word) + completion;
  item.range = Range{doc.position_of(word, enc), doc.position_of(cursor, enc)};
  std::string first_line = item.insert_text.substr(0, item.insert_text.find('\n'));
  if (first_line.size() > 80) first_line = first_line.substr(0, 77) + "...";
  item.label = first_line.empty() ? item.insert_text : first_line;
  item.detail = "Stride";
  return item;
}

std::string file_type_of(const TextDocument& doc) {
  if (!doc.language_id().empty()) return doc.language_id();
  const std::string& u = doc.uri();
  size_t dot = u.rfind('.');
  size_t slash = u.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "text";
  return u.substr(dot + 1);
}

}  // namespace stride::lsp
