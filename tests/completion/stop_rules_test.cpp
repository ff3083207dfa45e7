// apply_stop_rules: one test per rule, each checked on the finished text and while streaming.
#include <gtest/gtest.h>

#include "completion/completion_service.h"
#include "completion/cursor_context.h"

namespace stride {
namespace {

StopRuleContext ctx_of(std::string line_prefix, std::string line_suffix = "", std::string next_lines = "",
                       int max_lines = 8, bool finished = true) {
  StopRuleContext c;
  c.line_prefix = std::move(line_prefix);
  c.line_suffix = std::move(line_suffix);
  c.next_lines = std::move(next_lines);
  c.max_lines = max_lines;
  c.finished = finished;
  return c;
}

std::string kept(const StopRuleContext& c, const std::string& g) {
  return g.substr(0, apply_stop_rules(c, g).keep_bytes);
}

TEST(StopRules, PlainTextIsKeptWhole) {
  auto c = ctx_of("x = ");
  StopDecision d = apply_stop_rules(c, "compute(1, 2)");
  EXPECT_EQ(d.keep_bytes, 13u);
  EXPECT_FALSE(d.stop);
}

TEST(StopRules, EndOfBlockByIndentation) {
  // Cursor inside a function body (indent 4); a line at indent 0 ends the block.
  auto c = ctx_of("    total = ");
  const std::string g = "0\n    for x in xs:\n        total += x\n    return total\ndef other():\n";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(g.substr(0, d.keep_bytes), "0\n    for x in xs:\n        total += x\n    return total");
}

TEST(StopRules, DedentStopsAsSoonAsTheLinesIndentIsKnown) {
  auto c = ctx_of("    return ", "", "", 8, /*finished=*/false);
  // The new line's indent is unknown while it is whitespace: held back, not stopped.
  StopDecision d = apply_stop_rules(c, "x\n  ");
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, 1u);
  d = apply_stop_rules(c, "x\n  y");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.keep_bytes, 1u);
}

TEST(StopRules, CursorInsideTheIndentationUsesTheLinesIndent) {
  // Cursor after two of four spaces on a line "    pass": the block indent is 4.
  auto c = ctx_of("  ", "  pass");
  EXPECT_TRUE(apply_stop_rules(c, "x\n  y\n").stop);
}

TEST(StopRules, DeeperAndEqualIndentationContinues) {
  auto c = ctx_of("if ok:", "", "", 8);
  const std::string g = "\n    run()\n    done()";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, g.size());
}

TEST(StopRules, BlankLineAfterAFinishedStatement) {
  auto c = ctx_of("x = ");
  const std::string g = "1\ny = 2\n\nprint(x + y)\n";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(g.substr(0, d.keep_bytes), "1\ny = 2");
}

TEST(StopRules, BlankLineInsideOpenBracketsDoesNotStop) {
  auto c = ctx_of("items = [");
  const std::string g = "\n    1,\n\n    2,\n]";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, g.size());
}

TEST(StopRules, BlankLineAfterAnUnfinishedLineDoesNotStop) {
  auto c = ctx_of("total = a +");
  const std::string g = " b +\n\nc";
  EXPECT_FALSE(apply_stop_rules(c, g).stop);
  // Blank lines before any generated text do not count either.
  auto c2 = ctx_of("x = 1");
  EXPECT_FALSE(apply_stop_rules(c2, "\n\ny = 2").stop);
}

TEST(StopRules, BlankLineIsHeldBackWhileStreaming) {
  auto c = ctx_of("x = ", "", "", 8, /*finished=*/false);
  StopDecision d = apply_stop_rules(c, "1\n");
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, 1u);  // the newline may start a blank line: not shown yet
  d = apply_stop_rules(c, "1\n\n");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.keep_bytes, 1u);
}

TEST(StopRules, MaxLines) {
  auto c = ctx_of("", "", "", 3);
  const std::string g = "a()\nb()\nc()\nd()\ne()";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(g.substr(0, d.keep_bytes), "a()\nb()\nc()");
  // Stops as soon as the line past the limit begins.
  auto live = ctx_of("", "", "", 3, /*finished=*/false);
  d = apply_stop_rules(live, "a()\nb()\nc()\n");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.keep_bytes, 11u);
  // max_lines <= 0: no limit.
  EXPECT_FALSE(apply_stop_rules(ctx_of("", "", "", 0), g).stop);
}

TEST(StopRules, TrailingBlankLinesAreTrimmed) {
  auto c = ctx_of("x = ");
  EXPECT_EQ(kept(c, "1\n   \n"), "1");
  EXPECT_EQ(kept(c, "1  "), "1  ");  // spaces on the cursor line are the model's choice
}

TEST(StopRules, NoDuplicateOfTheRestOfTheLine) {
  // Cursor inside "print(|)": the model closes the call itself.
  auto c = ctx_of("print(", ")");
  StopDecision d = apply_stop_rules(c, "a, b)");
  EXPECT_EQ(d.keep_bytes, 4u);
  EXPECT_TRUE(d.stop);
  // Longer rest of line, with whitespace differences at the ends.
  auto c2 = ctx_of("x = f(", "a), 2) ");
  EXPECT_EQ(kept(c2, "g(a), 2)"), "g(");
  // A completion that does not end with it keeps everything.
  EXPECT_EQ(kept(c, "a, b"), "a, b");
}

TEST(StopRules, RestOfLineDuplicateEndsAMultiLineCompletion) {
  auto c = ctx_of("call(", ")");
  StopDecision d = apply_stop_rules(c, "1, 2)\nnext_call()\n");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.keep_bytes, 4u);
}

TEST(StopRules, PossibleRestOfLineDuplicateIsHeldBackWhileStreaming) {
  auto c = ctx_of("call(", "))", "", 8, /*finished=*/false);
  StopDecision d = apply_stop_rules(c, "x)");
  EXPECT_EQ(d.keep_bytes, 1u);  // ")" may be the start of "))"
  EXPECT_FALSE(d.stop);
  d = apply_stop_rules(c, "x) + 1");
  EXPECT_EQ(d.keep_bytes, 6u);  // it was not
  // Finished: a partial match is the model's own text.
  auto done = ctx_of("call(", "))");
  EXPECT_EQ(kept(done, "x)"), "x)");
}

TEST(StopRules, NoDuplicateOfTheNextLines) {
  auto c = ctx_of("def f(x):", "", "    return x\n");
  const std::string g = "\n    x += 1\n    return x\n";
  StopDecision d = apply_stop_rules(c, g);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(g.substr(0, d.keep_bytes), "\n    x += 1");
  // Different indentation is a different line.
  auto c2 = ctx_of("if a:", "", "}\n");
  EXPECT_FALSE(apply_stop_rules(c2, "\n    }\n    b()").stop);
}

TEST(StopRules, NextLineDuplicateSkipsBlankNextLinesAndHoldsBackWhileStreaming) {
  auto c = ctx_of("a = 1", "", "\n\nb = 2\n", 8, /*finished=*/false);
  StopDecision d = apply_stop_rules(c, "\nb = ");
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, 0u);  // "b = " may become the next line
  d = apply_stop_rules(c, "\nb = 2\n");
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.keep_bytes, 0u);
  d = apply_stop_rules(c, "\nb = 3");
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.keep_bytes, 6u);
}

TEST(StopRules, StopContextIsTakenFromTheDocument) {
  CompletionInput in;
  in.text = "line one\n  call(a|b)\nnext 1\nnext 2\nnext 3\nnext 4\n";
  in.cursor = in.text.find('|');
  in.text.erase(in.cursor, 1);
  in.settings.max_lines = 5;
  StopRuleContext c = stop_context_for(in);
  EXPECT_EQ(c.line_prefix, "  call(a");
  EXPECT_EQ(c.line_suffix, "b)");
  EXPECT_EQ(c.next_lines, "next 1\nnext 2\nnext 3\n");
  EXPECT_EQ(c.max_lines, 5);
  in.cursor = 0;
  c = stop_context_for(in);
  EXPECT_EQ(c.line_prefix, "");
  EXPECT_EQ(c.line_suffix, "line one");
  in.cursor = in.text.size();
  c = stop_context_for(in);
  EXPECT_EQ(c.line_prefix, "");
  EXPECT_EQ(c.next_lines, "");
}

}  // namespace
}  // namespace stride
