#include "rmtlens/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace rmtlens {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// An index uniform on [0, m) by rejection, so the draws do not depend on a
// standard library's distribution implementation (as seeded_permutation).
Index uniform_index(std::mt19937_64& engine, std::uint64_t m) {
  const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t limit = top - top % m;
  std::uint64_t draw = engine();
  while (draw >= limit) draw = engine();
  return static_cast<Index>(draw % m);
}

// Linear interpolation between order statistics (Hyndman and Fan 1996,
// definition 7, NumPy's default); `sorted` is ascending and not empty.
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] +
         (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Means of `by_point` (k x M, one test point per column) over `resamples`
// draws of M points with replacement: resamples x k.
Matrix resampled_means(const Matrix& by_point, const BootstrapOptions& o) {
  const Index k = by_point.rows();
  const Index m = by_point.cols();
  Matrix means(o.resamples, k);
  std::mt19937_64 engine(o.seed);
  Vector sum(k);

  for (Index b = 0; b < o.resamples; ++b) {
    sum.setZero();
    for (Index i = 0; i < m; ++i) {
      sum += by_point.col(uniform_index(engine, static_cast<std::uint64_t>(m)));
    }
    means.row(b) = sum.transpose() / static_cast<double>(m);
  }
  return means;
}

}  // namespace

void BootstrapOptions::validate() const {
  if (resamples != 0 && resamples < 100) {
    throw InputError("--bootstrap: " + std::to_string(resamples) +
                     " resamples; use 0 (off) or at least 100");
  }
  if (!(level >= 0.5 && level <= 0.999)) {
    std::ostringstream s;
    s << "--confidence: " << level << " is outside [0.5, 0.999]";
    throw InputError(s.str());
  }
}

bool Interval::valid() const {
  return std::isfinite(lo) && std::isfinite(hi) && lo <= hi;
}

bool Interval::contains(double x) const {
  return valid() && x >= lo && x <= hi;
}

std::vector<Interval> bootstrap_mean_intervals(
    const Matrix& losses, const BootstrapOptions& options) {
  std::vector<Interval> out(static_cast<size_t>(losses.cols()));
  if (options.resamples == 0 || losses.rows() == 0) return out;

  // Points as columns so each draw adds one contiguous k-vector.
  const Matrix means = resampled_means(losses.transpose(), options);
  const double tail = (1.0 - options.level) / 2.0;
  std::vector<double> column(static_cast<size_t>(means.rows()));

  for (Index c = 0; c < means.cols(); ++c) {
    for (Index b = 0; b < means.rows(); ++b) column[b] = means(b, c);
    std::sort(column.begin(), column.end());
    out[c].lo = quantile_sorted(column, tail);
    out[c].hi = quantile_sorted(column, 1.0 - tail);
  }
  return out;
}

double normal_quantile(double p) {
  // Bisection on Phi(x) = erfc(-x / sqrt 2) / 2: 200 halvings of [-40, 40]
  // reach the spacing of doubles, and this is called a few times per run.
  double lo = -40.0;
  double hi = 40.0;
  for (int i = 0; i < 200 && hi - lo > 0.0; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double cdf = 0.5 * std::erfc(-mid / std::sqrt(2.0));
    (cdf < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Interval normal_interval(double mean, double se, double level) {
  if (!std::isfinite(mean) || !std::isfinite(se)) return {};
  const double z = normal_quantile(0.5 + level / 2.0);
  return {mean - z * se, mean + z * se};
}

bool ResolutionRule::resolved(double test, const Interval& interval) const {
  if (!(test > 0.0) || !std::isfinite(test) || !interval.valid()) return false;
  return 0.5 * (interval.hi - interval.lo) <= max_relative_half_width * test;
}

void ResolutionRule::validate() const {
  if (!(max_relative_half_width > 0.0 && max_relative_half_width <= 1.0)) {
    std::ostringstream s;
    s << "--resolution: " << max_relative_half_width << " is outside (0, 1]";
    throw InputError(s.str());
  }
}

RiskDifference compare_risks(
    double a, double se_a, double b, double se_b, double level) {
  RiskDifference d;
  d.difference = a - b;
  d.combined_se = std::sqrt(se_a * se_a + se_b * se_b);
  if (!std::isfinite(d.difference) || !std::isfinite(d.combined_se)) return d;
  d.z = d.combined_se > 0.0 ? d.difference / d.combined_se : kNan;
  const double z_level = normal_quantile(0.5 + level / 2.0);
  d.resolved = std::abs(d.difference) > z_level * d.combined_se;
  return d;
}

LeverageSpread leverage_spread(const Vector& one_minus_h) {
  LeverageSpread s;
  const Index n = one_minus_h.size();
  if (n == 0) return s;

  // sd(h) = sd(1 - h); both means come from the accurate slacks.
  const double slack = one_minus_h.mean();
  const double sd = std::sqrt((one_minus_h.array() - slack).square().sum() / n);
  s.df_fraction = 1.0 - slack;
  s.cv = s.df_fraction > 0.0 ? sd / s.df_fraction : kNan;
  s.max = 1.0 - one_minus_h.minCoeff();
  s.slack_cv = slack > 0.0 ? sd / slack : kNan;
  return s;
}

const char* estimator_name(Estimator e) {
  switch (e) {
    case Estimator::kGcv:
      return "gcv";
    case Estimator::kLoo:
      return "loo";
    case Estimator::kNone:
      return "none";
  }
  return "none";
}

void GcvTrustRule::validate() const {
  if (!(max_slack_cv > 0.0) || !std::isfinite(max_slack_cv)) {
    std::ostringstream s;
    s << "--gcv-max-slack-cv: " << max_slack_cv
      << " is not a finite number > 0";
    throw InputError(s.str());
  }
}

GcvVerdict assess_gcv(const LeverageSpread& spread,
                      double gcv,
                      bool loo_finite,
                      const GcvTrustRule& rule) {
  GcvVerdict v;
  const Estimator fallback = loo_finite ? Estimator::kLoo : Estimator::kNone;
  if (std::isnan(gcv)) {
    v.assessed = true;
    v.use = fallback;
    v.reason = "GCV is undefined (df = N)";
    return v;
  }
  if (std::isnan(spread.slack_cv)) {
    v.use = Estimator::kGcv;
    v.reason = "leverages not computed (they need --loo)";
    return v;
  }

  v.assessed = true;
  v.trusted = spread.slack_cv <= rule.max_slack_cv;
  std::ostringstream s;
  s << "spread of 1 - h_n: " << spread.slack_cv << (v.trusted ? " <= " : " > ")
    << rule.max_slack_cv;
  v.reason = s.str();
  v.use = v.trusted ? Estimator::kGcv : fallback;
  return v;
}

}  // namespace rmtlens
