// The uncertainty of a test risk and the GCV trust rule, against
// independent references:
// - bootstrap intervals cover a known mean at the advertised rate (two
//   levels, so a wrong width fails one of them), on skewed losses and on
//   ridge regression with a closed-form conditional risk;
// - standard errors and leverage diagnostics equal their direct
//   computation from K (K + N lambda I)^-1;
// - the rule flags a kernel with isolated, extreme-leverage points, where
//   GCV is known to miss the test risk and LOO is not, and passes a
//   homogeneous kernel.
//
// Coverage checks use fixed seeds and bands of at least 3.5 binomial
// standard deviations around the target rate.
#include "rmtlens/uncertainty.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rmtlens/kernels.hpp"
#include "rmtlens/sweep.hpp"

namespace rmtlens {
namespace {

Matrix gaussian_matrix(Index rows, Index cols, std::mt19937_64& engine) {
  std::normal_distribution<double> normal;
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = normal(engine);
  return m;
}

// Fraction of `replicates` data sets of M squared standard normals (mean
// 1, skewness 2.8: the per-point loss of a predictor on Gaussian noise)
// whose bootstrap interval at `level` covers 1.
double chi_square_coverage(double level, int replicates, Index m) {
  std::mt19937_64 engine(7);
  BootstrapOptions o;
  o.resamples = 400;
  o.level = level;
  int covered = 0;
  for (int r = 0; r < replicates; ++r) {
    const Matrix losses = gaussian_matrix(m, 1, engine).cwiseAbs2();
    o.seed = static_cast<std::uint64_t>(r);
    covered += bootstrap_mean_intervals(losses, o)[0].contains(1.0);
  }
  return static_cast<double>(covered) / replicates;
}

TEST(Bootstrap, CoversAKnownMeanAtTheAdvertisedRate) {
  // 400 replicates: binomial sd 0.011 at 95%, 0.025 at 50%. Percentile
  // intervals undercover slightly for skewed means at M = 300.
  EXPECT_NEAR(chi_square_coverage(0.95, 400, 300), 0.95, 0.045);
  EXPECT_NEAR(chi_square_coverage(0.50, 400, 300), 0.50, 0.09);
}

TEST(Bootstrap, IsSeededAndSharesDrawsAcrossColumns) {
  std::mt19937_64 engine(3);
  Matrix losses = gaussian_matrix(200, 2, engine).cwiseAbs2();
  losses.col(1) = losses.col(0) * 3.0;
  BootstrapOptions o;
  const std::vector<Interval> a = bootstrap_mean_intervals(losses, o);
  const std::vector<Interval> b = bootstrap_mean_intervals(losses, o);
  EXPECT_EQ(a[0].lo, b[0].lo);
  EXPECT_EQ(a[0].hi, b[0].hi);
  // Common draws: a column scaled by 3 has its interval scaled by 3.
  EXPECT_NEAR(a[1].lo, 3.0 * a[0].lo, 1e-12);
  EXPECT_NEAR(a[1].hi, 3.0 * a[0].hi, 1e-12);
  o.seed = 1;
  EXPECT_NE(bootstrap_mean_intervals(losses, o)[0].lo, a[0].lo);
  o.resamples = 0;
  EXPECT_FALSE(bootstrap_mean_intervals(losses, o)[0].valid());
}

TEST(Bootstrap, WidthMatchesTheStandardErrorOnNormalData) {
  std::mt19937_64 engine(11);
  const Matrix x = gaussian_matrix(2000, 1, engine);
  const double mean = x.mean();
  const double sd = std::sqrt((x.array() - mean).square().sum() / 1999.0);
  const Interval boot = bootstrap_mean_intervals(x, BootstrapOptions{})[0];
  const Interval normal = normal_interval(mean, sd / std::sqrt(2000.0), 0.95);
  // Monte Carlo error of a 1000-resample percentile end: ~0.085 se.
  const double se = sd / std::sqrt(2000.0);
  EXPECT_NEAR(boot.lo, normal.lo, 0.35 * se);
  EXPECT_NEAR(boot.hi, normal.hi, 0.35 * se);
}

TEST(Bootstrap, NormalQuantileMatchesKnownValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(normal_quantile(0.05), -1.6448536269514722, 1e-12);
}

TEST(Bootstrap, OptionsAreValidated) {
  BootstrapOptions o;
  o.resamples = 50;
  try {
    o.validate();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "--bootstrap: 50 resamples; use 0 (off) or at least 100");
  }
  o.resamples = 0;
  o.level = 1.0;
  EXPECT_THROW(o.validate(), InputError);
  ResolutionRule rule;
  rule.max_relative_half_width = 0.0;
  EXPECT_THROW(rule.validate(), InputError);
  GcvTrustRule gcv;
  gcv.max_slack_cv = -1.0;
  EXPECT_THROW(gcv.validate(), InputError);
}

TEST(Resolution, JudgesTheHalfWidthAgainstTheRisk) {
  const ResolutionRule rule;  // 10%
  EXPECT_TRUE(rule.resolved(1.0, {0.91, 1.09}));
  EXPECT_FALSE(rule.resolved(1.0, {0.85, 1.1}));
  EXPECT_FALSE(rule.resolved(0.0, {0.0, 0.0}));
  EXPECT_FALSE(rule.resolved(1.0, {}));
}

TEST(Comparison, CallsADifferenceRealOnlyBeyondTheCombinedUncertainty) {
  // sqrt(0.03^2 + 0.04^2) = 0.05; 1.96 * 0.05 = 0.098.
  EXPECT_TRUE(compare_risks(1.0, 0.03, 0.9, 0.04).resolved);
  EXPECT_FALSE(compare_risks(1.0, 0.03, 0.91, 0.04).resolved);
  EXPECT_NEAR(compare_risks(1.0, 0.03, 0.9, 0.04).z, 2.0, 1e-12);
}

// ---------------------------------------------------------------------------
// Ridge regression on linear-Gaussian data, where the conditional risk of
// the fitted predictor is known: |w_hat - w|^2 + noise^2 for x ~ N(0, I).

struct LinearProblem {
  Matrix f, f_test;
  Targets train, test;
  Vector w;
};

LinearProblem linear_problem(Index n, Index m, Index p, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  LinearProblem lp;
  lp.f = gaussian_matrix(n, p, engine);
  lp.f_test = gaussian_matrix(m, p, engine);
  lp.w = gaussian_matrix(p, 1, engine).col(0);
  lp.train.y = lp.f * lp.w + gaussian_matrix(n, 1, engine);
  lp.test.y = lp.f_test * lp.w + gaussian_matrix(m, 1, engine);
  return lp;
}

// f(x) = k(x, X) (K + N lambda I)^-1 y with K = F F^T / p.
double conditional_risk(const LinearProblem& lp, double ridge) {
  const Index n = lp.f.rows();
  const double p = static_cast<double>(lp.f.cols());
  const Matrix k = lp.f * lp.f.transpose() / p;
  const Matrix shifted = k + n * ridge * Matrix::Identity(n, n);
  const Vector alpha = shifted.llt().solve(lp.train.y.col(0));
  const Vector w_hat = lp.f.transpose() * alpha / p;
  return (w_hat - lp.w).squaredNorm() + 1.0;
}

TEST(Bootstrap, SweepIntervalsCoverTheConditionalRisk) {
  const int replicates = 300;
  const double ridge = 0.05;
  int covered = 0;
  for (int r = 0; r < replicates; ++r) {
    const LinearProblem lp = linear_problem(60, 300, 8, 100 + r);
    SweepOptions o;
    o.sizes = {60};
    o.ridges = {ridge};
    o.bootstrap.resamples = 300;
    o.bootstrap.seed = static_cast<std::uint64_t>(r);
    o.validate(60);
    const SweepResult s =
        sweep_linear_features(lp.f, lp.f_test, lp.train, lp.test, o);
    covered +=
        test_mse_interval(s.rows[0]).contains(conditional_risk(lp, ridge));
  }
  // Binomial sd 0.0126 at 300 replicates.
  EXPECT_NEAR(static_cast<double>(covered) / replicates, 0.95, 0.045);
}

// ---------------------------------------------------------------------------
// Direct references for the per-row diagnostics.

struct KernelProblem {
  Matrix k, k_test;
  Targets train, test;
};

KernelProblem rbf_problem(Index n, Index m, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  const Matrix x = gaussian_matrix(n, 4, engine);
  const Matrix xt = gaussian_matrix(m, 4, engine);
  KernelOptions o;
  o.kind = KernelKind::kRbf;
  o.bandwidth = 3.0;
  KernelProblem kp;
  kp.k = kernel_gram(x, o);
  kp.k_test = kernel_matrix(xt, x, o);
  std::vector<std::int64_t> labels(n), test_labels(m);
  for (Index i = 0; i < n; ++i) labels[i] = (x(i, 0) > 0) + (x(i, 1) > 0.5);
  for (Index i = 0; i < m; ++i)
    test_labels[i] = (xt(i, 0) > 0) + (xt(i, 1) > 0.5);
  make_class_targets(labels, test_labels, "y", "yt", &kp.train, &kp.test);
  return kp;
}

SweepResult sweep_with_loo(const KernelProblem& kp,
                           std::vector<double> ridges) {
  SweepOptions o;
  o.sizes = {kp.k.rows()};
  o.ridges = std::move(ridges);
  o.loo = true;
  o.shuffle = false;
  o.validate(kp.k.rows());
  return sweep_kernel(kp.k, kp.k_test, kp.train, kp.test, o);
}

TEST(Diagnostics, StandardErrorsAndLeveragesMatchDirectComputation) {
  const KernelProblem kp = rbf_problem(80, 120, 5);
  const double ridge = 1e-3;
  const SweepRow row = sweep_with_loo(kp, {ridge}).rows[0];

  const Index n = kp.k.rows();
  const Matrix g = (kp.k + n * ridge * Matrix::Identity(n, n)).inverse();
  const Vector h = (kp.k * g).diagonal();
  const double mean = h.mean();
  const double sd = std::sqrt((h.array() - mean).square().mean());
  EXPECT_NEAR(row.df_fraction, mean, 1e-10);
  EXPECT_NEAR(row.leverage_cv, sd / mean, 1e-8);
  EXPECT_NEAR(row.leverage_max, h.maxCoeff(), 1e-10);
  EXPECT_NEAR(row.slack_cv, sd / (1.0 - mean), 1e-8);
  EXPECT_NEAR(row.gcv_loo_ratio, row.gcv / row.loo, 1e-14);

  // Test error and its binomial standard error, from direct predictions.
  const Matrix pred = kp.k_test * (g * kp.train.y);
  Index wrong = 0;
  for (Index i = 0; i < pred.rows(); ++i) {
    Index c = 0;
    pred.row(i).maxCoeff(&c);
    wrong += c != kp.test.class_index[i];
  }
  const double rate = static_cast<double>(wrong) / pred.rows();
  EXPECT_NEAR(row.test_error, rate, 1e-15);
  EXPECT_NEAR(row.test_error_se, std::sqrt(rate * (1 - rate) / 119.0), 1e-15);
  EXPECT_LE(row.test_error_lo, rate);
  EXPECT_GE(row.test_error_hi, rate);
}

TEST(Diagnostics, PrimalRouteLeveragesMatchTheKernelRoute) {
  // p < N: the leverage outside span(V) enters through the null slack.
  std::mt19937_64 engine(9);
  const Matrix f = gaussian_matrix(50, 6, engine);
  const Matrix ft = gaussian_matrix(30, 6, engine);
  Targets train, test;
  train.y = gaussian_matrix(50, 2, engine);
  test.y = gaussian_matrix(30, 2, engine);
  SweepOptions o;
  o.sizes = {50};
  o.ridges = {1e-2};
  o.loo = true;
  o.validate(50);
  const SweepRow primal = sweep_linear_features(f, ft, train, test, o).rows[0];

  const Matrix k = f * f.transpose() / 6.0;
  const Matrix kt = ft * f.transpose() / 6.0;
  const SweepRow dual = sweep_kernel(k, kt, train, test, o).rows[0];
  EXPECT_NEAR(primal.leverage_cv, dual.leverage_cv, 1e-8);
  EXPECT_NEAR(primal.leverage_max, dual.leverage_max, 1e-10);
  EXPECT_NEAR(primal.slack_cv, dual.slack_cv, 1e-8);
}

// ---------------------------------------------------------------------------
// The GCV rule on kernels where GCV is known to fail and to hold.

// An RBF block of `regular` points plus `isolated` points whose kernel rows
// are zero but for their own diagonal entry (30): each isolated point is
// an eigen-direction of its own with leverage 30 / (30 + N lambda). Test points
// are isolated at the same rate. Targets: regression on a smooth function
// for regular points, pure N(0, 1) for isolated ones, whose prediction is
// then 0 everywhere but on the training point itself. LOO sees that (its
// isolated-point residuals are y_n); GCV divides their near-zero
// residuals by the mean slack and misses it.
KernelProblem isolated_points_problem(Index regular,
                                      Index isolated,
                                      Index m,
                                      std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  const Index n = regular + isolated;
  const Index m_isolated = m * isolated / n;
  const Matrix x = gaussian_matrix(regular, 3, engine);
  const Matrix xt = gaussian_matrix(m - m_isolated, 3, engine);
  KernelOptions o;
  o.kind = KernelKind::kRbf;
  o.bandwidth = 2.0;

  KernelProblem kp;
  kp.k = 30.0 * Matrix::Identity(n, n);
  kp.k.topLeftCorner(regular, regular) = kernel_gram(x, o);
  kp.k_test = Matrix::Zero(m, n);
  kp.k_test.topLeftCorner(m - m_isolated, regular) = kernel_matrix(xt, x, o);
  kp.train.y = gaussian_matrix(n, 1, engine);
  kp.test.y = gaussian_matrix(m, 1, engine);
  kp.train.y.topRows(regular) =
      x.col(0).array().sin().matrix() + 0.1 * kp.train.y.topRows(regular);
  kp.test.y.topRows(m - m_isolated) = xt.col(0).array().sin().matrix() +
                                      0.1 * kp.test.y.topRows(m - m_isolated);
  return kp;
}

TEST(GcvRule, FlagsIsolatedExtremeLeveragePointsWhereGcvFails) {
  // 100 isolated points: their LOO terms average 100 squared normals, so
  // LOO's sampling error (~0.03) stays far below GCV's miss (~0.2).
  const KernelProblem kp = isolated_points_problem(400, 100, 4000, 21);
  const SweepResult r = sweep_with_loo(kp, {1e-3, 3e-3});
  for (const SweepRow& row : r.rows) {
    const Interval test = test_mse_interval(row);
    EXPECT_FALSE(test.contains(row.gcv)) << row.ridge;
    EXPECT_LT(std::abs(row.loo - row.test_mse),
              0.5 * std::abs(row.gcv - row.test_mse))
        << row.ridge;
    EXPECT_GT(row.leverage_max, 0.95) << row.ridge;
    EXPECT_EQ(row.gcv_trusted, 0.0) << row.ridge;
  }
}

TEST(GcvRule, TrustsGcvOnAHomogeneousKernel) {
  const KernelProblem kp = rbf_problem(300, 2000, 23);
  const SweepResult r = sweep_with_loo(kp, {1e-2, 1e-1});
  for (const SweepRow& row : r.rows) {
    EXPECT_EQ(row.gcv_trusted, 1.0) << row.ridge;
    EXPECT_NEAR(row.gcv_loo_ratio, 1.0, 0.02) << row.ridge;
    EXPECT_NEAR(row.gcv / row.test_mse, 1.0, 0.15) << row.ridge;
  }
}

TEST(GcvRule, NamesLooWhereGcvIsUndefined) {
  LeverageSpread spread;
  spread.slack_cv = kNaN;
  const GcvVerdict v = assess_gcv(spread, kNaN, true, GcvTrustRule{});
  EXPECT_TRUE(v.assessed);
  EXPECT_FALSE(v.trusted);
  EXPECT_EQ(v.use, Estimator::kLoo);
  const GcvVerdict without = assess_gcv(spread, 1.0, false, GcvTrustRule{});
  EXPECT_FALSE(without.assessed);
  EXPECT_EQ(without.reason, "leverages not computed (they need --loo)");
}

TEST(Summary, CountsOnlyResolvedRowsAndWhetherEstimatesLieInside) {
  SweepResult r;
  SweepRow resolved;
  resolved.test_mse = 1.0;
  resolved.test_mse_lo = 0.95;
  resolved.test_mse_hi = 1.05;
  resolved.gcv = 1.02;
  SweepRow outside = resolved;
  outside.gcv = 1.2;
  SweepRow unresolved = resolved;
  unresolved.test_mse_lo = 0.5;
  unresolved.test_mse_hi = 1.5;
  r.rows = {resolved, outside, unresolved};
  const ErrorSummary s =
      summarize_relative_error(r, [](const SweepRow& row) { return row.gcv; });
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.unresolved, 1);
  EXPECT_EQ(s.inside, 1);
  EXPECT_NEAR(s.max, 0.2, 1e-12);
}

}  // namespace
}  // namespace rmtlens
