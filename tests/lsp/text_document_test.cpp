// Positions in UTF-16 (default), UTF-8 and UTF-32, with emoji (surrogate pairs), clamping and
// incremental edits.
#include <gtest/gtest.h>

#include "server/text_document.h"

namespace stride::lsp {
namespace {

// "a😀b" — 😀 is U+1F600: 4 UTF-8 bytes, 2 UTF-16 code units (a surrogate pair), 1 UTF-32 unit.
const std::string kEmojiLine = "a\xF0\x9F\x98\x80" "b";

TEST(TextDocument, Utf16CountsSurrogatePairsAsTwoUnits) {
  TextDocument d("file:///x", "txt", 1, kEmojiLine + "\nz");
  EXPECT_EQ(d.offset_of({0, 1}, PositionEncoding::Utf16), 1u);
  EXPECT_EQ(d.offset_of({0, 3}, PositionEncoding::Utf16), 5u);  // after the emoji
  EXPECT_EQ(d.offset_of({0, 4}, PositionEncoding::Utf16), 6u);  // after b
  // Between the two halves of the surrogate pair: rounds down to the emoji's start.
  EXPECT_EQ(d.offset_of({0, 2}, PositionEncoding::Utf16), 1u);
  EXPECT_EQ(d.position_of(5, PositionEncoding::Utf16), (Position{0, 3}));
  EXPECT_EQ(d.position_of(8, PositionEncoding::Utf16), (Position{1, 1}));
}

TEST(TextDocument, Utf8AndUtf32Units) {
  TextDocument d("file:///x", "txt", 1, kEmojiLine);
  EXPECT_EQ(d.offset_of({0, 5}, PositionEncoding::Utf8), 5u);
  EXPECT_EQ(d.offset_of({0, 3}, PositionEncoding::Utf8), 1u);  // inside the emoji → its start
  EXPECT_EQ(d.offset_of({0, 2}, PositionEncoding::Utf32), 5u);
  EXPECT_EQ(d.position_of(5, PositionEncoding::Utf32), (Position{0, 2}));
  EXPECT_EQ(d.position_of(5, PositionEncoding::Utf8), (Position{0, 5}));
}

TEST(TextDocument, BmpNonAsciiIsOneUtf16Unit) {
  TextDocument d("u", "", 0, "\xC3\xA9t\xC3\xA9");  // "été"
  EXPECT_EQ(d.offset_of({0, 2}, PositionEncoding::Utf16), 3u);
  EXPECT_EQ(d.position_of(5, PositionEncoding::Utf16), (Position{0, 3}));
}

TEST(TextDocument, PositionsPastTheEndAreClamped) {
  TextDocument d("u", "", 0, "ab\r\ncd\nef");
  EXPECT_EQ(d.offset_of({0, 99}, PositionEncoding::Utf16), 2u);  // before the \r\n
  EXPECT_EQ(d.offset_of({1, 99}, PositionEncoding::Utf16), 6u);
  EXPECT_EQ(d.offset_of({2, 99}, PositionEncoding::Utf16), 9u);
  EXPECT_EQ(d.offset_of({50, 0}, PositionEncoding::Utf16), 9u);  // past the last line
  EXPECT_EQ(d.position_of(1000, PositionEncoding::Utf16), (Position{2, 2}));
}

TEST(TextDocument, IncrementalEditsIncludingEmojiAndMultiLine) {
  TextDocument d("u", "", 0, "def f():\n    return 1\n");
  d.apply_change({Range{{1, 11}, {1, 12}}, "42"}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def f():\n    return 42\n");
  d.apply_change({Range{{0, 4}, {0, 5}}, "g\xF0\x9F\x98\x80"}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def g\xF0\x9F\x98\x80():\n    return 42\n");
  // Delete the emoji by its UTF-16 range (2 units).
  d.apply_change({Range{{0, 5}, {0, 7}}, ""}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def g():\n    return 42\n");
  // Join lines (a range spanning the newline) and insert several lines.
  d.apply_change({Range{{0, 8}, {1, 4}}, " "}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def g(): return 42\n");
  d.apply_change({Range{{1, 0}, {1, 0}}, "x = 1\ny = 2\n"}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def g(): return 42\nx = 1\ny = 2\n");
  // A range past the end is clamped to the end.
  d.apply_change({Range{{9, 9}, {12, 0}}, "!"}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "def g(): return 42\nx = 1\ny = 2\n!");
  d.apply_change({std::nullopt, "fresh"}, PositionEncoding::Utf16);
  EXPECT_EQ(d.text(), "fresh");
}

TEST(TextDocument, InvalidUtf8BytesCountAsOneUnit) {
  TextDocument d("u", "", 0, "a\xFF" "b");
  EXPECT_EQ(d.offset_of({0, 2}, PositionEncoding::Utf16), 2u);
  EXPECT_EQ(d.position_of(3, PositionEncoding::Utf16), (Position{0, 3}));
}

}  // namespace
}  // namespace stride::lsp
