#include "decode/lookahead_strategy.h"

#include <algorithm>
#include <string>

#include "decode/ngram_strategy.h"

namespace stride {
namespace {

// Length of the context-matched candidate: longer than a pool n-gram, as code repeats whole lines.
constexpr int kContextGuessTokens = 12;
// Context-matched candidates per step (distinct continuations of earlier occurrences).
constexpr int kContextGuesses = 3;

}  // namespace

LookaheadParams default_lookahead_params(const ModelConfig&) {
  // Chosen from stride-bench --sweep (bench/RESULTS.md, session 16; H100, the tiny model, 32 code
  // prompts, two passes each). Most accepted tokens come from the context guesses and the n-gram
  // pool, not from the window's width: (1, 3, 2) gives 3.06 tokens/step over 64-token completions
  // against 3.26 for (3, 3, 3) and 3.33 for (5, 3, 5), in steps of ~7 rows instead of 11-13 and
  // ~21, and it ran as fast as any setting (13.4-13.7k tok/s; (5, 3, 5) 12.8-13.2k). Over 32-token
  // completions (1.98 tokens/step) only (2, 3, 2) was faster, by 2-3%. Larger models: at the 7B
  // shape a 7-row step costs 1.16-1.20x a one-row step, 13 rows 1.42-1.55x, 21 rows 1.65-1.81x, so
  // the same tokens per step give (1, 3, 2) the best expected speedup there too (3.06 / 1.2 against
  // 3.33 / 1.7); on the CPU, where a step costs in proportion to its rows, fewer rows only help.
  // Until the sweep runs on a real 7B model (the paper's (15, 5, 15) assumes ~100-row steps that
  // cost what one row does), every model gets this one.
  return LookaheadParams{1, 3, 2};
}

LookaheadParams resolve_lookahead_params(const LookaheadParams& requested, const ModelConfig& config) {
  LookaheadParams d = default_lookahead_params(config);
  LookaheadParams p;
  p.window = requested.window > 0 ? requested.window : d.window;
  p.ngram = requested.ngram > 0 ? requested.ngram : d.ngram;
  p.verify = requested.verify > 0 ? requested.verify : d.verify;
  if (requested.window < 0 || requested.ngram < 0 || requested.verify < 0) {
    throw Error("lookahead parameters must not be negative (window " + std::to_string(requested.window) +
                ", ngram " + std::to_string(requested.ngram) + ", verify " + std::to_string(requested.verify) + ")");
  }
  if (p.ngram < 2) throw Error("lookahead ngram size N must be at least 2, got " + std::to_string(p.ngram));
  if (p.window > 256 || p.ngram > 16 || p.verify > 256) {
    throw Error("lookahead parameters too large (window <= 256, ngram <= 16, verify <= 256)");
  }
  return p;
}

LookaheadStrategy::LookaheadStrategy(const LookaheadParams& params)
    : W_(params.window), N_(params.ngram), G_(params.verify), pool_(std::max(1, params.verify)) {}

TokenId LookaheadStrategy::filler() {
  // splitmix64 over the prompt tokens: deterministic, so runs are reproducible.
  fill_state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = fill_state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return fill_tokens_[z % fill_tokens_.size()];
}

void LookaheadStrategy::begin(DecodeState& s) {
  // Code repeats itself: every N-gram of the extra context and of the prompt seeds the pool
  // (the prompt last, so its n-grams are the most recent ones).
  pool_.add_all(s.request.context_ids, N_);
  pool_.add_all(s.tokens, N_);
  fill_tokens_ = s.tokens;
  window_.assign(static_cast<size_t>(N_ - 1) * W_, 0);
  levels_ = 1;
  for (int i = 0; i < W_; ++i) window(0, i) = filler();
  s.stats.pool_size = pool_.size();
  lookahead_tokens_ = &s.stats.tokens_by_branch["lookahead"];
  base_tokens_ = &s.stats.tokens_by_branch["base"];
}

void LookaheadStrategy::update_window(const std::vector<int32_t>& top, int accepted, TokenId pending) {
  const int L = levels_;
  auto output = [&](int i) { return top[rows_of_[static_cast<size_t>(L - 1) * W_ + i]]; };
  if (L < N_ - 1) {
    for (int i = 0; i < W_; ++i) window(L, i) = output(i);  // warm-up: the window grows one level per step
    ++levels_;
  } else {
    // Each column's trajectory, its N-1 window tokens and the new output, is an N-gram.
    TokenId gram[16];  // N <= 16 (resolve_lookahead_params)
    for (int i = 0; i < W_; ++i) {
      for (int l = 0; l < L; ++l) gram[l] = window(l, i);
      gram[L] = output(i);
      pool_.add(gram, L + 1);
    }
    // The oldest level drops out and the outputs become the newest one (the outputs come from
    // the forward pass, not from the window, so the move cannot overwrite them).
    std::copy(window_.begin() + W_, window_.begin() + static_cast<size_t>(L) * W_, window_.begin());
    for (int i = 0; i < W_; ++i) window(L - 1, i) = output(i);
  }
  // More than one token accepted: the window's positions move on by the extra tokens too, so the
  // columns shift left and the freed columns are refilled.
  const int shift = std::min(W_, accepted - 1);
  if (shift > 0) {
    for (int l = 0; l < levels_; ++l) {
      TokenId* level = &window(l, 0);
      std::copy(level + shift, level + W_, level);
      for (int k = 0; k < shift; ++k) level[W_ - shift + k] = filler();
    }
  }
  window(0, 0) = pending;
}

void LookaheadStrategy::add_candidate(const TokenId* cand, int len, int P, int& budget) {
  if (branch_count_ == static_cast<int>(branches_.size())) branches_.emplace_back();
  GuessBranch& b = branches_[branch_count_];
  b.tokens.clear();
  b.rows.clear();
  int parent = 0;
  for (int k = 0; k < len; ++k) {
    int row = 0;
    for (size_t r = 0; r < tree_.size(); ++r) {
      if (tree_[r].parent == parent && tree_[r].token == cand[k]) {
        row = static_cast<int>(r) + 1;
        break;
      }
    }
    if (row == 0) {
      if (budget <= 0) break;
      --budget;
      row = static_cast<int>(in_.tokens.size());
      tree_.push_back({parent, cand[k]});
      in_.tokens.push_back(cand[k]);
      in_.positions.push_back(P + 1 + k);
    }
    b.tokens.push_back(cand[k]);
    b.rows.push_back(row);
    parent = row;
  }
  if (!b.tokens.empty()) ++branch_count_;
}

std::vector<TokenId> LookaheadStrategy::step(DecodeState& s) {
  const TokenId pending = s.tokens.back();
  const int P = static_cast<int>(s.tokens.size()) - 1;
  window(0, 0) = pending;
  const int L = levels_;

  // Verification candidates that fit next to the window in the cache.
  const int room = s.target.capacity() - s.target.cache_len();
  const int window_rows = W_ * L;  // row 0 is level 0 column 0
  const bool use_window = window_rows <= room;
  // Rows of the verification tree: what fits in the cache, and no more than the G pool n-grams
  // plus one context guess would take, so that extra context guesses never make a step much dearer
  // (on a GPU a step's cost jumps past ~32 rows, bench/RESULTS.md run 4).
  int budget = room - (use_window ? window_rows : 1);
  budget = std::min(budget, G_ * (N_ - 1) + kContextGuessTokens);

  StepInput& in = in_;
  in.tokens.assign(1, pending);
  in.positions.assign(1, P);
  in.logits_from = 0;
  // Candidates: the continuation of the most recent earlier occurrence of the last 2..4 tokens
  // (a longer key than the pool's one token, so the best-informed guess goes first), then the
  // pool's n-grams for the pending token. They share prefixes (same first token after the pending
  // one, often more), so they become a token tree, one row per distinct prefix: G costs fewer rows
  // than G*(N-1).
  tree_.clear();
  branch_count_ = 0;
  context_guesses_.clear();
  if (G_ > 0) {
    context_guesses_ = prompt_lookup_candidates(s.tokens, s.request.context_ids,
                                                NgramParams{2, 4, std::max(N_ - 1, kContextGuessTokens)}, kContextGuesses);
  }
  for (const auto& cand : context_guesses_) add_candidate(cand.data(), static_cast<int>(cand.size()), P, budget);
  pool_.for_each(pending, G_, [&](const TokenId* cand, int len) {
    for (const auto& guess : context_guesses_) {
      if (static_cast<int>(guess.size()) == len && std::equal(guess.begin(), guess.end(), cand)) return;
    }
    add_candidate(cand, len, P, budget);
  });
  branches_.resize(branch_count_);
  s.stats.pool_lookups++;
  const int tree_rows = static_cast<int>(in.tokens.size());

  // Lookahead rows (level 0 column 0 is row 0).
  rows_of_.assign(static_cast<size_t>(L) * W_, 0);
  if (use_window) {
    for (int l = 0; l < L; ++l) {
      for (int i = 0; i < W_; ++i) {
        if (l == 0 && i == 0) continue;
        rows_of_[static_cast<size_t>(l) * W_ + i] = static_cast<int>(in.tokens.size());
        in.tokens.push_back(window(l, i));
        in.positions.push_back(P + l + i);
      }
    }
  }

  const int n = static_cast<int>(in.tokens.size());
  in.mask.assign(static_cast<size_t>(n) * n, 0);
  auto see = [&](int row, int col) { in.mask[static_cast<size_t>(row) * n + col] = 1; };
  see(0, 0);
  for (int r = 1; r < tree_rows; ++r) {  // a tree row sees itself and its ancestors down to the pending token
    see(r, r);
    for (int a = tree_[r - 1].parent; a != 0; a = tree_[a - 1].parent) see(r, a);
    see(r, 0);
  }
  if (use_window) {  // level-0 tokens of columns <= i, then column i's earlier levels
    for (int l = 0; l < L; ++l) {
      for (int i = 0; i < W_; ++i) {
        const int r = rows_of_[static_cast<size_t>(l) * W_ + i];
        if (r == 0) continue;
        for (int c = 0; c <= i; ++c) see(r, rows_of_[c]);
        for (int m = 1; m <= l; ++m) see(r, rows_of_[static_cast<size_t>(m) * W_ + i]);
      }
    }
  }
  s.target.forward(in);

  Verdict v = verify_branches(s.target, s.sampler, branches_);
  if (use_window) update_window(s.target.argmax(), static_cast<int>(v.tokens.size()), v.tokens.back());
  s.target.accept(v.commit_rows);

  // The accepted text's own n-grams (those ending at a new token) join the pool.
  tail_.assign(s.tokens.end() - std::min<size_t>(s.tokens.size(), N_ - 1), s.tokens.end());
  const size_t old = tail_.size();
  tail_.insert(tail_.end(), v.tokens.begin(), v.tokens.end());
  for (size_t e = std::max<size_t>(old, N_ - 1); e < tail_.size(); ++e) pool_.add(tail_.data() + e - (N_ - 1), N_);

  const int guesses = v.accepted_guesses();
  if (guesses > 0) s.stats.pool_hits++;
  if (!lookahead_tokens_) {
    lookahead_tokens_ = &s.stats.tokens_by_branch["lookahead"];
    base_tokens_ = &s.stats.tokens_by_branch["base"];
  }
  *lookahead_tokens_ += guesses;
  *base_tokens_ += 1;
  s.stats.pool_size = pool_.size();
  return v.tokens;
}

}  // namespace stride
