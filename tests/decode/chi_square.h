// Pearson chi-square goodness of fit of observed token sequences against their exact
// probabilities, shared by the speculative-sampling tests.
#pragma once

#include <cmath>
#include <map>
#include <vector>

#include "stride/engine.h"

namespace stride::testing {

using TokenDistribution = std::map<std::vector<TokenId>, double>;

struct ChiSquareFit {
  double chi2 = 0, critical = 0;
  int df = 0;
};

// Upper quantile of chi-square(df) for a standard normal z (Wilson–Hilferty).
inline double chi_square_quantile(int df, double z) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3);
}

// Cells with an expected count under 5 are pooled into one bin; the critical value is at
// significance 1e-4 (z = 3.719).
inline ChiSquareFit chi_square_fit(const TokenDistribution& exact, const std::map<std::vector<TokenId>, int>& counts,
                                   int runs) {
  ChiSquareFit f;
  double pooled_expected = 0, pooled_observed = 0;
  int bins = 0;
  for (const auto& [cell, prob] : exact) {
    const double e = prob * runs;
    auto it = counts.find(cell);
    const double o = it == counts.end() ? 0 : it->second;
    if (e < 5) {
      pooled_expected += e;
      pooled_observed += o;
      continue;
    }
    f.chi2 += (o - e) * (o - e) / e;
    ++bins;
  }
  if (pooled_expected > 0) {
    f.chi2 += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
    ++bins;
  }
  f.df = bins - 1;
  f.critical = chi_square_quantile(f.df, 3.719);
  return f;
}

}  // namespace stride::testing
