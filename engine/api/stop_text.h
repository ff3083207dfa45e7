#pragma once

#include <string>
#include <vector>

namespace stride {

// Finds the earliest stop string in `text`; returns its offset or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops);

// How many trailing bytes of `text` must be held back from streaming because they could be the
// start of a stop string.
size_t stop_holdback(const std::string& text, const std::vector<std::string>& stops);

}  // namespace stride
