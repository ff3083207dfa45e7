// The service's two containers on their own: LRU eviction of the answer cache, and the
// round-robin order of the fair job queue.
#include <gtest/gtest.h>

#include "completion/answer_cache.h"
#include "completion/fair_job_queue.h"

namespace stride {
namespace {

CompletionOutput answer(const std::string& text) {
  CompletionOutput out;
  out.text = text;
  return out;
}

TEST(AnswerCache, EvictsTheLeastRecentlyUsed) {
  AnswerCache cache(2);
  cache.put("a", answer("A"));
  cache.put("b", answer("B"));
  ASSERT_TRUE(cache.find("a"));  // a is now the most recent
  cache.put("c", answer("C"));   // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find("b"));
  EXPECT_EQ(cache.find("a")->text, "A");
  EXPECT_EQ(cache.find("c")->text, "C");
  cache.put("c", answer("C2"));  // replaces in place
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("c")->text, "C2");
}

TEST(AnswerCache, KeyCoversPromptSettingsAndStopContext) {
  BuiltPrompt p;
  p.ids = {1, 2, 3};
  CompletionSettings s;
  StopRuleContext c;
  const std::string base = AnswerCache::key(p, s, c);
  EXPECT_EQ(AnswerCache::key(p, s, c), base);
  BuiltPrompt p2 = p;
  p2.ids.back() = 4;
  EXPECT_NE(AnswerCache::key(p2, s, c), base);
  CompletionSettings s2 = s;
  s2.max_tokens = 5;
  EXPECT_NE(AnswerCache::key(p, s2, c), base);
  s2 = s;
  s2.strategy = StrategyKind::Ngram;
  EXPECT_NE(AnswerCache::key(p, s2, c), base);
  StopRuleContext c2 = c;
  c2.line_suffix = ")";
  EXPECT_NE(AnswerCache::key(p, s, c2), base);
  // Field boundaries are unambiguous.
  StopRuleContext x, y;
  x.line_prefix = "ab";
  y.line_prefix = "a";
  y.line_suffix = "b";
  EXPECT_NE(AnswerCache::key(p, s, x), AnswerCache::key(p, s, y));
}

std::shared_ptr<CompletionJob> job(uint64_t id, const std::string& client) {
  auto j = std::make_shared<CompletionJob>();
  j->id = id;
  j->input.client_id = client;
  return j;
}

TEST(FairJobQueue, RoundRobinAcrossClientsFifoWithin) {
  FairJobQueue q;
  q.push(job(1, "a"));
  q.push(job(2, "a"));
  q.push(job(3, "a"));
  q.push(job(4, "b"));
  q.push(job(5, "c"));
  q.push(job(6, "b"));
  EXPECT_EQ(q.size(), 6u);
  std::vector<uint64_t> order;
  // A client joining mid-round waits for its turn at the end of the round.
  order.push_back(q.pop()->id);  // a:1
  q.push(job(7, "d"));
  while (!q.empty()) order.push_back(q.pop()->id);
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 4, 5, 2, 7, 6, 3}));
  EXPECT_EQ(q.pop(), nullptr);
}

}  // namespace
}  // namespace stride
