// What a finite test set can and cannot resolve, and when GCV is not the
// estimator to read.
//
// A test risk is a mean over M test points of heavy-tailed per-point
// losses, so it carries an interval; an estimate is judged against that
// interval, and relative errors are summarised only where the interval is
// narrow enough to judge. Separately, GCV replaces every leverage h_n by
// its mean df/N (Craven and Wahba 1978); where the leverages spread, exact
// leave-one-out is the estimator to use. Definitions, the rules and their
// measured rates: docs/uncertainty.md.
//
//   BootstrapOptions b;  // 1000 resamples, 95%, seed 0
//   std::vector<Interval> ci = bootstrap_mean_intervals(losses, b);
//   bool judged = ResolutionRule{}.resolved(test_mse, ci[0]);
//   GcvVerdict v = assess_gcv(spread, GcvTrustRule{});
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "rmtlens/types.hpp"

namespace rmtlens {

struct BootstrapOptions {
  // Resamples of the test points: 0 (no bootstrap) or at least 100. With
  // 1000 the Monte Carlo error of each end, sqrt(p (1 - p) / B) / phi(z_p)
  // standard errors for p = 0.025, is about 2% of the interval's width, at
  // O(1000 M) work per (N, lambda).
  std::int64_t resamples = 1000;
  // Coverage of the interval, in [0.5, 0.999].
  double level = 0.95;
  // Seed of the resampling; every size and ridge uses the same draws.
  std::uint64_t seed = 0;

  // Throws InputError naming --bootstrap or --confidence.
  void validate() const;
};

// A closed interval [lo, hi]; NaN ends when it was not computed.
struct Interval {
  double lo = std::numeric_limits<double>::quiet_NaN();
  double hi = std::numeric_limits<double>::quiet_NaN();

  bool valid() const;
  bool contains(double x) const;  // false when either side is NaN
};

// Percentile bootstrap intervals (Efron and Tibshirani 1993, chapter 13) of
// the mean of each column of `losses` (M x k, M >= 1: one row per test
// point, one column per quantity, finite). Every column is resampled with
// the same M draws with replacement, so intervals of different columns
// come from common random numbers. Cost O(resamples M k); resamples = 0
// returns NaN intervals.
std::vector<Interval> bootstrap_mean_intervals(const Matrix& losses,
                                               const BootstrapOptions& options);

// mean -/+ z se with z the two-sided normal quantile of `level` in (0, 1).
Interval normal_interval(double mean, double se, double level);

// The standard normal quantile function, p in (0, 1).
double normal_quantile(double p);

// When a test risk is resolved well enough to judge an estimate against.
struct ResolutionRule {
  // Largest half-width of the test risk's interval, as a fraction of the
  // risk, in (0, 1]. At 0.10 a relative error above about 10% cannot be
  // the test set's noise alone; below it the test set cannot tell.
  double max_relative_half_width = 0.10;

  // (hi - lo) / 2 <= max_relative_half_width * test, test > 0 and finite.
  bool resolved(double test, const Interval& interval) const;
  // Throws InputError naming --resolution.
  void validate() const;
};

// Two test risks from different representations (or estimators) with
// their standard errors. The combined uncertainty treats the two as
// independent, sqrt(se_a^2 + se_b^2); on a shared test set the per-point
// losses correlate positively, so this is conservative (it calls fewer
// differences real, never more).
struct RiskDifference {
  double difference = std::numeric_limits<double>::quiet_NaN();  // a - b
  double combined_se = std::numeric_limits<double>::quiet_NaN();
  double z = std::numeric_limits<double>::quiet_NaN();  // difference / se
  bool resolved = false;  // |difference| > z_level * combined_se
};
RiskDifference compare_risks(
    double a, double se_a, double b, double se_b, double level = 0.95);

// The leverages h_n = [K (K + N lambda I)^-1]_nn of one (N, lambda),
// summarised. Their mean is df/N.
struct LeverageSpread {
  double df_fraction = std::numeric_limits<double>::quiet_NaN();  // df / N
  double cv = std::numeric_limits<double>::quiet_NaN();   // sd(h) / mean(h)
  double max = std::numeric_limits<double>::quiet_NaN();  // max_n h_n
  // sd(1 - h) / mean(1 - h): the spread of the very factors GCV replaces
  // by their mean. 0 makes GCV and LOO identical.
  double slack_cv = std::numeric_limits<double>::quiet_NaN();
};

// Summarises the N slacks 1 - h_n (computed without cancellation).
LeverageSpread leverage_spread(const Vector& one_minus_h);

enum class Estimator { kGcv, kLoo, kNone };
const char* estimator_name(Estimator e);

// The rule that flags (N, lambda) where GCV should not be trusted, from
// training data alone. GCV = LOO when every 1 - h_n equals its mean; a
// first-order expansion gives LOO / GCV ~ 1 + 3 slack_cv^2 when residuals
// and leverages are unrelated, so a large slack_cv is where the two part
// and the single-denominator approximation is what fails. Thresholds were
// set and then measured on Fashion-MNIST kernels (docs/uncertainty.md).
struct GcvTrustRule {
  // Largest spread of the slacks 1 - h_n at which GCV is trusted, > 0.
  double max_slack_cv = 0.25;
  // Throws InputError naming --gcv-max-slack-cv.
  void validate() const;
};

struct GcvVerdict {
  bool assessed = false;  // leverages known (they need the eigenvectors)
  bool trusted = false;
  Estimator use = Estimator::kNone;  // what to read at this (N, lambda)
  std::string reason;
};

// GCV's verdict at one (N, lambda). gcv may be NaN (df = N); loo_finite
// says whether exact LOO was computed there.
GcvVerdict assess_gcv(const LeverageSpread& spread,
                      double gcv,
                      bool loo_finite,
                      const GcvTrustRule& rule);

}  // namespace rmtlens
