#include "completion/cursor_context.h"

namespace stride {

void check_cursor(const CompletionInput& input) {
  if (input.cursor > input.text.size()) {
    throw Error("completion request for '" + input.path + "': cursor offset " +
                std::to_string(input.cursor) + " is past the end of the document (" +
                std::to_string(input.text.size()) + " bytes)");
  }
}

StopRuleContext stop_context_for(const CompletionInput& input) {
  check_cursor(input);
  const std::string& text = input.text;
  StopRuleContext ctx;
  size_t line_begin = text.rfind('\n', input.cursor == 0 ? std::string::npos : input.cursor - 1);
  line_begin = (input.cursor == 0 || line_begin == std::string::npos) ? 0 : line_begin + 1;
  size_t line_end = text.find('\n', input.cursor);
  if (line_end == std::string::npos) line_end = text.size();
  ctx.line_prefix = text.substr(line_begin, input.cursor - line_begin);
  ctx.line_suffix = text.substr(input.cursor, line_end - input.cursor);
  if (line_end < text.size()) {
    size_t begin = line_end + 1, end = begin;
    for (int n = 0; n < kStopContextNextLines && end < text.size(); ++n) {
      size_t nl = text.find('\n', end);
      end = nl == std::string::npos ? text.size() : nl + 1;
    }
    ctx.next_lines = text.substr(begin, end - begin);
  }
  ctx.max_lines = input.settings.max_lines;
  return ctx;
}

}  // namespace stride
