// Content-Length framing: split reads, several frames per read, headers in any case and extra
// headers, and recovery after every kind of malformed frame.
#include <gtest/gtest.h>

#include "transport/frame_reader.h"

namespace stride::lsp {
namespace {

std::vector<Frame> drain(FrameReader& r) {
  std::vector<Frame> out;
  Frame f;
  while (r.next(f)) out.push_back(f);
  return out;
}

TEST(Framing, OneFrameFedByteByByte) {
  FrameReader r;
  const std::string bytes = encode_frame(R"({"a":1})");
  std::vector<Frame> got;
  for (char c : bytes) {
    r.feed(std::string_view(&c, 1));
    auto fs = drain(r);
    got.insert(got.end(), fs.begin(), fs.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].ok);
  EXPECT_EQ(got[0].body, R"({"a":1})");
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(Framing, SeveralFramesInOneRead) {
  FrameReader r;
  r.feed(encode_frame("{}") + encode_frame("[1,2]") + encode_frame(""));
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 3u);
  EXPECT_EQ(fs[0].body, "{}");
  EXPECT_EQ(fs[1].body, "[1,2]");
  EXPECT_EQ(fs[2].body, "");
}

TEST(Framing, HeaderNamesAreCaseInsensitiveAndOtherHeadersAreIgnored) {
  FrameReader r;
  r.feed("content-length:   2 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}");
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_TRUE(fs[0].ok);
  EXPECT_EQ(fs[0].body, "{}");
}

TEST(Framing, BodyWithMultiByteUtf8CountsBytes) {
  FrameReader r;
  const std::string body = "{\"t\":\"h\xC3\xA9llo \xF0\x9F\x98\x80\"}";
  r.feed(encode_frame(body));
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].body, body);
}

TEST(Framing, MissingContentLengthIsAnErrorThenRecovers) {
  FrameReader r;
  r.feed("Content-Type: x\r\n\r\n{}" + encode_frame("{\"ok\":1}"));
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_FALSE(fs[0].ok);
  EXPECT_NE(fs[0].error.find("without Content-Length"), std::string::npos);
  EXPECT_TRUE(fs[1].ok);
  EXPECT_EQ(fs[1].body, "{\"ok\":1}");
}

TEST(Framing, NonNumericAndNegativeLengthsAreErrors) {
  for (const char* bad : {"Content-Length: abc\r\n\r\n", "Content-Length: -5\r\n\r\n", "Content-Length: 99999999999999\r\n\r\n",
                          "Garbage line\r\n\r\n"}) {
    FrameReader r;
    r.feed(std::string(bad) + encode_frame("{}"));
    auto fs = drain(r);
    ASSERT_EQ(fs.size(), 2u) << bad;
    EXPECT_FALSE(fs[0].ok) << bad;
    EXPECT_TRUE(fs[1].ok) << bad;
    EXPECT_EQ(fs[1].body, "{}");
  }
}

TEST(Framing, TooShortLengthYieldsTruncatedBodyThenRecovers) {
  FrameReader r;
  r.feed("Content-Length: 5\r\n\r\n{\"a\":123}" + encode_frame("{\"b\":2}"));
  auto fs = drain(r);
  ASSERT_GE(fs.size(), 2u);
  EXPECT_EQ(fs[0].body, "{\"a\":");  // fails JSON parsing upstream
  EXPECT_TRUE(fs.back().ok);
  EXPECT_EQ(fs.back().body, "{\"b\":2}");
}

TEST(Framing, TooLongLengthDoesNotSwallowTheNextFrame) {
  FrameReader r;
  const std::string next = encode_frame("{\"b\":2}");
  const std::string first_body = "{\"a\":1}";
  // Claims exactly as many bytes as the real body plus the whole next frame.
  r.feed("Content-Length: " + std::to_string(first_body.size() + next.size()) + "\r\n\r\n" + first_body + next);
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].body, first_body);
  EXPECT_EQ(fs[1].body, "{\"b\":2}");
}

TEST(Framing, BodyThatMentionsContentLengthIsKeptWhole) {
  FrameReader r;
  const std::string body = R"({"text":"Content-Length: 3\r\n\r\nabc"})";
  r.feed(encode_frame(body));
  auto fs = drain(r);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].body, body);
}

TEST(Framing, HugeHeaderBlockIsRejected) {
  FrameReader r;
  r.feed(std::string(FrameReader::kMaxHeaderBytes + 10, 'x'));
  Frame f;
  ASSERT_TRUE(r.next(f));
  EXPECT_FALSE(f.ok);
  r.feed(encode_frame("{}"));
  auto fs = drain(r);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs.back().body, "{}");
}

}  // namespace
}  // namespace stride::lsp
