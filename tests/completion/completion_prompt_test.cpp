// build_completion_prompt: FIM layout, special-token strings as plain text, budget trimming that
// keeps the text nearest the cursor, repo-level <|file_sep|> context and seed ids.
#include <gtest/gtest.h>

#include "completion/completion_service.h"
#include "fake_engine.h"

namespace stride {
namespace {

using testing::ByteTokenizer;
using testing::FakeEngine;

FakeEngine make_engine() {
  return FakeEngine([](const Request&) { return std::string(); });
}

// Expected ids written out by hand: special ids + one id per byte.
std::vector<TokenId> bytes(const std::string& s) {
  std::vector<TokenId> ids;
  for (unsigned char c : s) ids.push_back(ByteTokenizer::kByteBase + c);
  return ids;
}
std::vector<TokenId> cat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
constexpr TokenId kPre = 1, kSuf = 2, kMid = 3, kSep = 4;

CompletionInput input_at(const std::string& text, const std::string& marker = "|") {
  CompletionInput in;
  in.path = "main.py";
  in.cursor = text.find(marker);
  in.text = text.substr(0, in.cursor) + text.substr(in.cursor + marker.size());
  return in;
}

TEST(CompletionPrompt, FimLayoutIsExact) {
  FakeEngine engine = make_engine();
  CompletionInput in = input_at("def f(x):\n    return |\n\nprint(f(1))\n");
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("def f(x):\n    return "), {kSuf}, bytes("\n\nprint(f(1))\n"), {kMid}}));
  EXPECT_EQ(p.prefix_chars, in.cursor);
  EXPECT_EQ(p.suffix_chars, in.text.size() - in.cursor);
}

TEST(CompletionPrompt, CursorAtEdges) {
  FakeEngine engine = make_engine();
  CompletionInput in;
  in.text = "abc";
  in.cursor = 0;
  EXPECT_EQ(build_completion_prompt(engine, in).ids, cat({{kPre, kSuf}, bytes("abc"), {kMid}}));
  in.cursor = 3;
  EXPECT_EQ(build_completion_prompt(engine, in).ids, cat({{kPre}, bytes("abc"), {kSuf, kMid}}));
  in.cursor = 4;
  EXPECT_THROW(build_completion_prompt(engine, in), Error);
}

TEST(CompletionPrompt, SpecialTokenStringsInTheFileStayPlainText) {
  FakeEngine engine = make_engine();
  CompletionInput in = input_at("s = '<|fim_middle|>'@@<|file_sep|><|endoftext|>", "@@");
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("s = '<|fim_middle|>'"), {kSuf}, bytes("<|file_sep|><|endoftext|>"), {kMid}}));
  // Exactly three control tokens: the template's own.
  int specials = 0;
  for (TokenId id : p.ids) specials += engine.tokenizer().is_special(id);
  EXPECT_EQ(specials, 3);
}

TEST(CompletionPrompt, ModelWithoutFimTokensIsAClearError) {
  FakeEngine engine([](const Request&) { return std::string(); }, {"<|endoftext|>"});
  CompletionInput in = input_at("x|");
  try {
    build_completion_prompt(engine, in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fill-in-the-middle"), std::string::npos) << e.what();
  }
}

TEST(CompletionPrompt, BudgetKeepsWholeLinesNearestTheCursor) {
  FakeEngine engine = make_engine();
  // Prefix lines of 10 bytes each; the cursor line "    x = |" is 8 bytes.
  std::string text;
  for (int i = 0; i < 20; ++i) text += "line " + std::to_string(10 + i) + "..\n";
  text += "    x = |\nafter 1\nafter 2\n";
  CompletionInput in = input_at(text);
  const std::string suffix = "\nafter 1\nafter 2\n";
  in.settings.context_budget_tokens = 3 + 8 + 30 + 17;  // controls + cursor line + 3 lines + suffix
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("line 27..\nline 28..\nline 29..\n    x = "), {kSuf}, bytes(suffix), {kMid}}));
  EXPECT_EQ(p.prefix_chars, 38u);
  EXPECT_EQ(p.suffix_chars, suffix.size());
  EXPECT_LE(p.ids.size(), size_t(in.settings.context_budget_tokens));
}

TEST(CompletionPrompt, SuffixIsTrimmedFromItsEndAtLineBoundaries) {
  FakeEngine engine = make_engine();
  std::string text = "a = |1\n";
  for (int i = 0; i < 50; ++i) text += "tail " + std::to_string(10 + i) + "..\n";
  CompletionInput in = input_at(text);
  in.settings.context_budget_tokens = 43;  // 40 for text: suffix gets at least a quarter (10)
  BuiltPrompt p = build_completion_prompt(engine, in);
  // Prefix "a = " takes 4, the suffix may use the other 36: "1\n" + 3 lines of 10.
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("a = "), {kSuf}, bytes("1\ntail 10..\ntail 11..\ntail 12..\n"), {kMid}}));
  EXPECT_EQ(p.suffix_chars, 32u);
}

TEST(CompletionPrompt, LongPrefixLeavesTheSuffixAQuarter) {
  FakeEngine engine = make_engine();
  std::string text;
  for (int i = 0; i < 50; ++i) text += "head " + std::to_string(10 + i) + "..\n";
  text += "|";
  for (int i = 0; i < 50; ++i) text += "tail " + std::to_string(10 + i) + "..\n";
  CompletionInput in = input_at(text);
  in.settings.context_budget_tokens = 3 + 80;
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.suffix_chars, 20u);  // a quarter of 80 = 20 = two whole lines
  EXPECT_EQ(p.prefix_chars, 60u);  // the rest: six whole lines
  EXPECT_LE(p.ids.size(), 83u);
}

TEST(CompletionPrompt, AnOverlongCursorLineKeepsItsTokensNearestTheCursor) {
  FakeEngine engine = make_engine();
  CompletionInput in = input_at(std::string(100, 'a') + "bcd|efg" + std::string(100, 'h'));
  in.settings.context_budget_tokens = 3 + 8;
  BuiltPrompt p = build_completion_prompt(engine, in);
  // The suffix gets its quarter (2), the prefix the rest (6).
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("aaabcd"), {kSuf}, bytes("ef"), {kMid}}));
  EXPECT_EQ(p.prefix_chars, 6u);
  EXPECT_EQ(p.suffix_chars, 2u);
}

TEST(CompletionPrompt, OtherFilesUseFileSepLayout) {
  FakeEngine engine = make_engine();
  CompletionInput in = input_at("from util import add\nadd(|)\n");
  in.other_files = {{"util.py", "def add(a, b):\n    return a + b"}, {"README.md", "# demo\n"}};
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kSep}, bytes("util.py\ndef add(a, b):\n    return a + b\n"),
                        {kSep}, bytes("README.md\n# demo\n"),
                        {kSep}, bytes("main.py\n"),
                        {kPre}, bytes("from util import add\nadd("), {kSuf}, bytes(")\n"), {kMid}}));
}

TEST(CompletionPrompt, OtherFilesAreDroppedBeforeTheCursorText) {
  FakeEngine engine = make_engine();
  CompletionInput in = input_at("x = |\n");
  const std::string big(200, 'z');
  in.other_files = {{"far.py", "far\n"}, {"big.py", big}, {"near.py", "near\n"}};
  // FIM part: 3 + 4 + 1 = 8, header 1 + 8 ("main.py\n"); near.py costs 1 + 13, far.py 1 + 11.
  in.settings.context_budget_tokens = 8 + 9 + 14 + 12;
  BuiltPrompt p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kSep}, bytes("far.py\nfar\n"), {kSep}, bytes("near.py\nnear\n"), {kSep}, bytes("main.py\n"),
                        {kPre}, bytes("x = "), {kSuf}, bytes("\n"), {kMid}}));
  // One token less: far.py (listed first, farthest from the cursor) goes too.
  in.settings.context_budget_tokens -= 1;
  p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kSep}, bytes("near.py\nnear\n"), {kSep}, bytes("main.py\n"),
                        {kPre}, bytes("x = "), {kSuf}, bytes("\n"), {kMid}}));
  // No room for any file: plain FIM, no headers.
  in.settings.context_budget_tokens = 8;
  p = build_completion_prompt(engine, in);
  EXPECT_EQ(p.ids, cat({{kPre}, bytes("x = "), {kSuf}, bytes("\n"), {kMid}}));
}

TEST(CompletionPrompt, WithoutFileSepTokenOtherFilesAreLeftOut) {
  FakeEngine engine([](const Request&) { return std::string(); },
                    {"<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"});
  CompletionInput in = input_at("x = |");
  in.other_files = {{"a.py", "a = 1\n"}};
  EXPECT_EQ(build_completion_prompt(engine, in).ids, cat({{kPre}, bytes("x = "), {kSuf, kMid}}));
}

TEST(CompletionPrompt, SeedIdsAreTheTextAroundTheCursor) {
  FakeEngine engine = make_engine();
  std::string text(1000, 'p');
  text += "|";
  text += std::string(1000, 's');
  CompletionInput in = input_at(text);
  in.settings.context_budget_tokens = 4000;
  BuiltPrompt p = build_completion_prompt(engine, in);
  ASSERT_EQ(p.seed_ids.size(), 256u + 128u);
  EXPECT_EQ(std::vector<TokenId>(p.seed_ids.begin(), p.seed_ids.begin() + 256), bytes(std::string(256, 'p')));
  EXPECT_EQ(std::vector<TokenId>(p.seed_ids.begin() + 256, p.seed_ids.end()), bytes(std::string(128, 's')));
}

}  // namespace
}  // namespace stride
