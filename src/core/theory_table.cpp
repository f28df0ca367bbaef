// Summaries of the theory columns over a sweep's grid: the local-law gap
// and whether a theory ranks two representations as the test risk does.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "rmtlens/theory.hpp"

namespace rmtlens {
ErrorSummary summarize_values(std::vector<double> values) {
  ErrorSummary s;
  s.count = static_cast<std::int64_t>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const auto quantile = [&values](double q) {
    const double pos = q * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] +
           (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  s.median = quantile(0.5);
  s.p90 = quantile(0.9);
  s.max = values.back();
  return s;
}

namespace {

bool positive_finite(double v) {
  return std::isfinite(v) && v > 0.0;
}

}  // namespace

ErrorSummary summarize_kappa_gap(const SweepResult& result) {
  std::vector<double> gaps;
  for (const SweepRow& row : result.rows) {
    if (std::isfinite(row.kappa_empirical) &&
        positive_finite(row.kappa_population)) {
      gaps.push_back(std::abs(row.kappa_empirical - row.kappa_population) /
                     row.kappa_population);
    }
  }
  return summarize_values(std::move(gaps));
}

std::vector<std::pair<std::string, std::function<double(const SweepRow&)>>>
theory_columns() {
  return {
      {"gcv", [](const SweepRow& r) { return r.gcv; }},
      {"loo", [](const SweepRow& r) { return r.loo; }},
      {"de_population", [](const SweepRow& r) { return r.de_population; }},
      {"de_plugin", [](const SweepRow& r) { return r.de_plugin; }},
      {"isotropic", [](const SweepRow& r) { return r.isotropic; }},
      {"classical_bound", [](const SweepRow& r) { return r.classical_bound; }},
  };
}

OrderingCheck check_ordering(
    const SweepResult& a,
    const SweepResult& b,
    const std::function<double(const SweepRow&)>& estimate) {
  std::map<std::pair<std::int64_t, double>, const SweepRow*> rows_b;
  for (const SweepRow& row : b.rows) rows_b[{row.n, row.ridge}] = &row;

  // Per shared grid point: log ratios a/b of the estimate and of the test.
  std::int64_t agree = 0;
  double mean_estimate = 0.0, mean_test = 0.0;
  OrderingCheck out;
  for (const SweepRow& ra : a.rows) {
    const auto found = rows_b.find({ra.n, ra.ridge});
    if (found == rows_b.end()) continue;
    const SweepRow& rb = *found->second;
    const double ea = estimate(ra), eb = estimate(rb);
    if (!positive_finite(ea) || !positive_finite(eb) ||
        !positive_finite(ra.test_mse) || !positive_finite(rb.test_mse)) {
      continue;
    }
    const double log_estimate = std::log(ea / eb);
    const double log_test = std::log(ra.test_mse / rb.test_mse);
    agree += (log_estimate > 0.0) == (log_test > 0.0) ? 1 : 0;
    mean_estimate += log_estimate;
    mean_test += log_test;
    ++out.points;
  }
  if (out.points == 0) return out;

  out.agreement = static_cast<double>(agree) / static_cast<double>(out.points);
  out.orders_correctly = (mean_estimate > 0.0) == (mean_test > 0.0);
  return out;
}

}  // namespace rmtlens
