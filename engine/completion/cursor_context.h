// The document split around the cursor: what the prompt builder and the stop rules need to know
// about the text left and right of the cursor.
#pragma once

#include <string>

#include "completion/completion_service.h"

namespace stride {

// Lines after the cursor line that the duplicate rule compares generated lines against.
constexpr int kStopContextNextLines = 3;

// Throws stride::Error when the cursor lies past the end of the document.
void check_cursor(const CompletionInput& input);

// line_prefix / line_suffix / next_lines around input.cursor, max_lines from the settings.
StopRuleContext stop_context_for(const CompletionInput& input);

}  // namespace stride
