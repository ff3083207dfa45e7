#include "decode/lookahead_strategy.h"

#include <algorithm>
#include <map>
#include <string>

#include "decode/ngram_strategy.h"
#include "decode/speculative_verify.h"

namespace stride {
namespace {

// Length of the context-matched candidate: longer than a pool n-gram, as code repeats whole lines.
constexpr int kContextGuessTokens = 12;
// Context-matched candidates per step (distinct continuations of earlier occurrences).
constexpr int kContextGuesses = 3;

}  // namespace

LookaheadParams default_lookahead_params(const ModelConfig& config) {
  // Chosen from stride-bench --sweep (bench/RESULTS.md, run 4). The tiny model (CPU, cost linear in
  // rows) favours (5, 4, 5): 2.13 tokens/step. Larger models run on the GPU, where a step of M rows
  // at the 7B shape costs 1.42x (M = 13), 1.39x (21), 1.55x (31), 2.5x (49) and 4.6x (121) a
  // one-row step, while tokens/step only grow from 2.9 to 3.2 between (3, 3, 3) and (15, 5, 15):
  // (5, 3, 5) gives the best expected speedup (2.94 / 1.39). The paper's (15, 5, 15) for 7B assumes a
  // step of ~100 rows costs what one row does, which our kernels do not reach yet (issue 3).
  LookaheadParams p;
  if (config.hidden_size > 0 && config.hidden_size < 512) {
    p = {5, 4, 5};
  } else {
    p = {5, 3, 5};
  }
  return p;
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
  levels_.assign(1, std::vector<TokenId>(W_));
  for (int i = 0; i < W_; ++i) levels_[0][i] = filler();
  s.stats.pool_size = pool_.size();
}

void LookaheadStrategy::update_window(const std::vector<int32_t>& outputs, int accepted, TokenId pending) {
  const int L = static_cast<int>(levels_.size());
  if (L < N_ - 1) {
    levels_.push_back(outputs);  // warm-up: the window grows one level per step
  } else {
    std::vector<TokenId> gram(N_);
    for (int i = 0; i < W_; ++i) {
      for (int l = 0; l < L; ++l) gram[l] = levels_[l][i];
      gram[L] = outputs[i];
      pool_.add(gram);
    }
    levels_.erase(levels_.begin());
    levels_.push_back(outputs);
  }
  // More than one token accepted: the window's positions move on by the extra tokens too, so the
  // columns shift left and the freed columns are refilled.
  const int shift = std::min(W_, accepted - 1);
  if (shift > 0) {
    for (auto& level : levels_) {
      level.erase(level.begin(), level.begin() + shift);
      for (int k = 0; k < shift; ++k) level.push_back(filler());
    }
  }
  levels_[0][0] = pending;
}

std::vector<TokenId> LookaheadStrategy::step(DecodeState& s) {
  const TokenId pending = s.tokens.back();
  const int P = static_cast<int>(s.tokens.size()) - 1;
  levels_[0][0] = pending;
  const int L = static_cast<int>(levels_.size());

  // Verification candidates that fit next to the window in the cache.
  const int room = s.target.capacity() - s.target.cache_len();
  const int window_rows = W_ * L;  // row 0 is level 0 column 0
  const bool use_window = window_rows <= room;
  // Candidates: the continuation of the most recent earlier occurrence of the last 2..4 tokens
  // (a longer key than the pool's one token, so the best-informed guess goes first), then the
  // pool's n-grams for the pending token.
  std::vector<std::vector<TokenId>> found;
  if (G_ > 0) {
    found = prompt_lookup_candidates(s.tokens, s.request.context_ids,
                                     NgramParams{2, 4, std::max(N_ - 1, kContextGuessTokens)}, kContextGuesses);
  }
  for (auto& cand : pool_.lookup(pending, G_)) {
    if (std::find(found.begin(), found.end(), cand) == found.end()) found.push_back(std::move(cand));
  }
  s.stats.pool_lookups++;
  // Rows of the verification tree: what fits in the cache, and no more than the G pool n-grams
  // plus one context guess would take, so that extra context guesses never make a step much dearer
  // (on a GPU a step's cost jumps past ~32 rows, bench/RESULTS.md run 4).
  int budget = room - (use_window ? window_rows : 1);
  budget = std::min(budget, G_ * (N_ - 1) + kContextGuessTokens);

  StepInput in;
  in.tokens.push_back(pending);
  in.positions.push_back(P);
  // The candidates share prefixes (same first token after the pending one, often more): they
  // become a token tree, one row per distinct prefix, so G costs fewer rows than G*(N-1).
  std::vector<GuessBranch> branches;
  std::vector<int> parent_row;  // per row beyond 0: the row of its tree parent (0 = pending)
  std::map<std::pair<int, TokenId>, int> child_row;  // (parent row, token) -> row
  for (auto& cand : found) {
    GuessBranch b;
    int parent = 0;
    for (size_t k = 0; k < cand.size(); ++k) {
      auto key = std::make_pair(parent, cand[k]);
      auto it = child_row.find(key);
      int row;
      if (it != child_row.end()) {
        row = it->second;
      } else {
        if (budget <= 0) break;
        --budget;
        row = static_cast<int>(in.tokens.size());
        child_row.emplace(key, row);
        in.tokens.push_back(cand[k]);
        in.positions.push_back(P + 1 + static_cast<int>(k));
        parent_row.push_back(parent);
      }
      b.tokens.push_back(cand[k]);
      b.rows.push_back(row);
      parent = row;
    }
    if (!b.tokens.empty()) branches.push_back(std::move(b));
  }
  const int tree_rows = static_cast<int>(in.tokens.size());
  // Lookahead rows: rows_of[l][i] (level 0 column 0 is row 0).
  std::vector<std::vector<int>> rows_of(L, std::vector<int>(W_, 0));
  if (use_window) {
    for (int l = 0; l < L; ++l) {
      for (int i = 0; i < W_; ++i) {
        if (l == 0 && i == 0) continue;
        rows_of[l][i] = static_cast<int>(in.tokens.size());
        in.tokens.push_back(levels_[l][i]);
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
    for (int a = parent_row[r - 1]; a != 0; a = parent_row[a - 1]) see(r, a);
    see(r, 0);
  }
  if (use_window) {  // level-0 tokens of columns <= i, then column i's earlier levels
    for (int l = 0; l < L; ++l) {
      for (int i = 0; i < W_; ++i) {
        const int r = rows_of[l][i];
        if (r == 0) continue;
        for (int c = 0; c <= i; ++c) see(r, rows_of[0][c]);
        for (int m = 1; m <= l; ++m) see(r, rows_of[m][i]);
      }
    }
  }
  in.logits_from = 0;
  s.target.forward(in);

  Verdict v = verify_branches(s.target, s.sampler, branches);
  if (use_window) {
    std::vector<int32_t> top = s.target.argmax();
    std::vector<int32_t> outputs(W_);
    for (int i = 0; i < W_; ++i) outputs[i] = top[rows_of[L - 1][i]];
    update_window(outputs, static_cast<int>(v.tokens.size()), v.tokens.back());
  }
  s.target.accept(v.commit_rows);

  // The accepted text's own n-grams (those ending at a new token) join the pool.
  std::vector<TokenId> tail(s.tokens.end() - std::min<size_t>(s.tokens.size(), N_ - 1), s.tokens.end());
  const size_t old = tail.size();
  tail.insert(tail.end(), v.tokens.begin(), v.tokens.end());
  for (size_t e = std::max<size_t>(old, N_ - 1); e < tail.size(); ++e) pool_.add(tail.data() + e - (N_ - 1), N_);

  const int guesses = v.accepted_guesses();
  if (guesses > 0) s.stats.pool_hits++;
  s.stats.tokens_by_branch["lookahead"] += guesses;
  s.stats.tokens_by_branch["base"] += 1;
  s.stats.pool_size = pool_.size();
  return v.tokens;
}

}  // namespace stride
