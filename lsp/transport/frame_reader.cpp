#include "transport/frame_reader.h"

#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

namespace stride::lsp {

namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";
constexpr std::string_view kLengthName = "content-length";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Where a header block may start again after garbage: the next "Content-Length" (any case).
size_t find_header_start(const std::string& buf, size_t from) {
  for (size_t i = from; i + kLengthName.size() <= buf.size(); ++i) {
    if ((buf[i] == 'C' || buf[i] == 'c') && lower(std::string_view(buf).substr(i, kLengthName.size())) == kLengthName) {
      return i;
    }
  }
  return std::string::npos;
}

}  // namespace

void FrameReader::feed(std::string_view bytes) { buffer_.append(bytes); }

bool FrameReader::next(Frame& out) {
  out = Frame{};
  return parse_one(out);
}

// Drops everything before the next plausible header start at or after `from`.
void FrameReader::resync(size_t from) {
  size_t at = find_header_start(buffer_, from);
  if (at == std::string::npos) {
    // Keep only a tail that may be the start of a "Content-Length" split across reads.
    size_t keep = std::min(buffer_.size(), kLengthName.size() - 1);
    while (keep > 0 && lower(std::string_view(buffer_).substr(buffer_.size() - keep)) != kLengthName.substr(0, keep)) --keep;
    buffer_.erase(0, buffer_.size() - keep);
  } else {
    buffer_.erase(0, at);
  }
}

bool FrameReader::parse_one(Frame& out) {
  if (buffer_.empty()) return false;
  const size_t header_end = buffer_.find(kHeaderEnd);
  if (header_end == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) {
      out.ok = false;
      out.error = "header block longer than " + std::to_string(kMaxHeaderBytes) + " bytes";
      resync(1);
      return true;
    }
    return false;
  }
  // Parse "Name: value" lines; only Content-Length matters (Content-Type is optional, §Base Protocol).
  std::string_view headers(buffer_.data(), header_end);
  long long length = -1;
  std::string problem;
  size_t pos = 0;
  while (pos <= headers.size() && problem.empty()) {
    size_t eol = headers.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      problem = "malformed header line '" + std::string(line.substr(0, 60)) + "'";
      break;
    }
    if (lower(trim(line.substr(0, colon))) == kLengthName) {
      std::string_view value = trim(line.substr(colon + 1));
      long long n = -1;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 0) {
        problem = "invalid Content-Length '" + std::string(value.substr(0, 40)) + "'";
      } else if (static_cast<unsigned long long>(n) > kMaxBodyBytes) {
        problem = "Content-Length " + std::to_string(n) + " exceeds the limit";
      } else {
        length = n;
      }
    }
  }
  if (problem.empty() && length < 0) problem = "header block without Content-Length";
  if (!problem.empty()) {
    out.ok = false;
    out.error = problem;
    resync(1);
    return true;
  }
  const size_t body_start = header_end + kHeaderEnd.size();
  if (buffer_.size() - body_start < static_cast<size_t>(length)) return false;
  std::string body = buffer_.substr(body_start, static_cast<size_t>(length));
  // A Content-Length that is too large swallows the next frame's header. When the body holds a
  // header block, cut the body there so the following message survives (it will fail to parse
  // as JSON and be answered with ParseError, then the next frame is read normally).
  size_t next_header = find_header_start(body, 0);
  if (next_header != std::string::npos && body.find(kHeaderEnd, next_header) != std::string::npos &&
      body.compare(next_header + kLengthName.size(), 1, ":") == 0 && !nlohmann::json::accept(body)) {
    body.resize(next_header);
    buffer_.erase(0, body_start + next_header);
  } else {
    buffer_.erase(0, body_start + static_cast<size_t>(length));
  }
  out.ok = true;
  out.body = std::move(body);
  return true;
}

std::string encode_frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body);
  return out;
}

}  // namespace stride::lsp
