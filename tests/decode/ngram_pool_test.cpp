// The n-gram pool and the prompt-lookup matcher on hand-made sequences.
#include <gtest/gtest.h>

#include <algorithm>

#include "decode/ngram_pool.h"
#include "decode/ngram_strategy.h"

namespace stride {
namespace {

using Ids = std::vector<TokenId>;

TEST(NgramPool, KeysByFirstTokenMostRecentFirstWithoutDuplicates) {
  NgramPool pool(2);
  EXPECT_EQ(pool.size(), 0);
  EXPECT_TRUE(pool.lookup(1, 5).empty());
  pool.add(Ids{1, 2, 3});
  pool.add(Ids{1, 4, 5});
  pool.add(Ids{1, 2, 3});  // again: moves to the front, no duplicate
  EXPECT_EQ(pool.size(), 2);
  EXPECT_EQ(pool.lookup(1, 5), (std::vector<Ids>{{2, 3}, {4, 5}}));
  pool.add(Ids{1, 6, 7});  // a third continuation evicts the oldest
  EXPECT_EQ(pool.lookup(1, 5), (std::vector<Ids>{{6, 7}, {2, 3}}));
  EXPECT_EQ(pool.lookup(1, 1), (std::vector<Ids>{{6, 7}}));
  pool.add(Ids{9});  // nothing to guess from a single token
  EXPECT_EQ(pool.size(), 2);
}

TEST(NgramPool, SeedsEveryNgramOfASequence) {
  NgramPool pool(4);
  pool.add_all(Ids{1, 2, 3, 1, 2, 4}, 3);
  EXPECT_EQ(pool.lookup(1, 4), (std::vector<Ids>{{2, 4}, {2, 3}}));
  EXPECT_EQ(pool.lookup(3, 4), (std::vector<Ids>{{1, 2}}));
  EXPECT_TRUE(pool.lookup(4, 4).empty());
  NgramPool short_seq(4);
  short_seq.add_all(Ids{5, 6}, 4);  // shorter than N: kept as one shorter gram
  EXPECT_EQ(short_seq.lookup(5, 4), (std::vector<Ids>{{6}}));
}

TEST(PromptLookup, LongestRecentMatchProposesWhatFollowed) {
  NgramParams p{1, 3, 4};
  // "7 8 9" occurs earlier followed by 10 11 12 13; the longest key wins over "9" alone.
  Ids text = {9, 20, 7, 8, 9, 10, 11, 12, 13, 14, 7, 8, 9};
  EXPECT_EQ(prompt_lookup(text, {}, p), (Ids{10, 11, 12, 13}));
  // The most recent occurrence of the key is used.
  Ids text2 = {5, 1, 5, 2, 5};
  EXPECT_EQ(prompt_lookup(text2, {}, NgramParams{1, 1, 2}), (Ids{2, 5}));
  // No match in the text: the extra context is searched.
  EXPECT_EQ(prompt_lookup(Ids{30, 31}, Ids{1, 31, 40, 41}, p), (Ids{40, 41}));
  // min_match above what matches: nothing.
  EXPECT_TRUE(prompt_lookup(text2, {}, NgramParams{2, 3, 4}).empty());
  EXPECT_TRUE(prompt_lookup(Ids{1}, {}, p).empty());
  // A run of one token proposes more of it (the match overlaps the key).
  EXPECT_EQ(prompt_lookup(Ids{4, 4, 4}, {}, NgramParams{1, 2, 3}), (Ids{4}));
}

TEST(PromptLookup, CandidatesAreDistinctContinuationsMostRecentAndLongestFirst) {
  const NgramParams p{1, 2, 3};
  // Key "7 8": at 0 (then 1 2 3) and at 5 (then 4 5 6); key "8" also at 9 (then 9 9).
  const Ids text = {7, 8, 1, 2, 3, 7, 8, 4, 5, 8, 9, 9, 7, 8};
  const auto all = prompt_lookup_candidates(text, Ids{8, 30, 31}, p, 10);
  ASSERT_GE(all.size(), 4u);
  EXPECT_EQ(all[0], prompt_lookup(text, Ids{8, 30, 31}, p));  // the single proposal comes first
  EXPECT_EQ(all[0], (Ids{4, 5, 8}));
  EXPECT_EQ(all[1], (Ids{1, 2, 3}));  // older occurrence of the longest key
  EXPECT_EQ(all[2], (Ids{9, 9, 7}));  // then the shorter key "8", most recent first
  EXPECT_NE(std::find(all.begin(), all.end(), Ids{30, 31}), all.end());  // and the context
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i], all[j]);
  EXPECT_EQ(prompt_lookup_candidates(text, {}, p, 2).size(), 2u);
  EXPECT_TRUE(prompt_lookup_candidates(Ids{1, 2}, {}, p, 3).empty());
}

}  // namespace
}  // namespace stride
