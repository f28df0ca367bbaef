// The theory columns of a sweep, population spectra from samples, the
// classical bound, the ordering check and the local-law diagnostic.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rmtlens/synthetic.hpp"
#include "rmtlens/theory.hpp"

namespace rmtlens {
namespace {

double relative(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

Targets regression(const Matrix& y) {
  Targets t;
  t.y = y;
  return t;
}

SyntheticData gaussian_data(std::int64_t n,
                            std::int64_t p,
                            std::uint64_t seed) {
  SyntheticOptions o;
  o.train_size = n;
  o.test_size = 400;
  o.dimension = p;
  o.alpha = 1.5;
  o.gamma = 1.0;
  o.noise = 0.2;
  o.seed = seed;
  return make_synthetic(o);
}

Matrix linear_kernel(const Matrix& a, const Matrix& b) {
  return a * b.transpose() / static_cast<double>(a.cols());
}

// Invariant: every theory column of every row equals the library call it
// stands for, the columns are finite, and the classical bound lies above
// the test risk (it is vacuous on this data, as the docs report).
TEST(TheoryColumns, FillEveryRowConsistently) {
  const SyntheticData d = gaussian_data(600, 300, 5);
  SweepOptions options;
  options.sizes = {100, 300, 600};
  options.ridges = {1e-4, 1e-2};
  options.validate(600);
  SweepResult r = sweep_kernel(linear_kernel(d.features, d.features),
                               linear_kernel(d.test_features, d.features),
                               regression(d.targets),
                               regression(d.test_targets),
                               options);
  TheoryOptions t;
  t.bound.max_kernel_diagonal =
      d.features.rowwise().squaredNorm().maxCoeff() / 300.0;
  t.bound.max_abs_target = d.targets.cwiseAbs().maxCoeff();
  add_theory_columns(r, d.population, t);

  ASSERT_EQ(r.rows.size(), 6u);
  for (const SweepRow& row : r.rows) {
    const SizeResult* size = nullptr;
    for (const SizeResult& s : r.sizes) {
      if (s.n == row.n) size = &s;
    }
    ASSERT_NE(size, nullptr);
    const RiskPrediction pop =
        deterministic_equivalent(d.population, row.n, row.ridge);
    const RiskPrediction own =
        deterministic_equivalent(plugin_spectrum(*size), row.n, row.ridge);
    EXPECT_EQ(row.de_population, pop.test);
    EXPECT_EQ(row.kappa_population, pop.kappa);
    EXPECT_EQ(row.de_plugin, own.test);
    EXPECT_EQ(row.kappa_empirical,
              empirical_effective_ridge(size->eigenvalues, row.n, row.ridge));
    EXPECT_TRUE(std::isfinite(row.isotropic));
    EXPECT_GT(row.classical_bound, row.test_mse);
  }
  EXPECT_EQ(summarize_kappa_gap(r).count, 6);
}

// Invariant: the primal route (p x p) and the kernel route (P x P) give
// the same population spectrum, null directions dropped on both.
TEST(PopulationSpectrum, FeatureAndKernelRoutesAgree) {
  const SyntheticData d = gaussian_data(200, 50, 8);
  const PopulationSpectrum a = population_from_features(d.features, d.targets);
  const PopulationSpectrum b =
      population_from_kernel(linear_kernel(d.features, d.features), d.targets);
  ASSERT_EQ(a.entries(), 50);
  ASSERT_EQ(b.entries(), 50);
  EXPECT_LT((a.sigma - b.sigma).cwiseAbs().maxCoeff(), 1e-12 * a.sigma[0]);
  EXPECT_LT(relative(a.residual, b.residual), 1e-9);
  for (Index i = 0; i < 10; ++i) {
    EXPECT_LT(relative(a.theta_energy[i], b.theta_energy[i]), 1e-8);
  }
  EXPECT_LT(
      relative(a.signal_energy() + a.residual, d.targets.squaredNorm() / 200.0),
      1e-12);
}

// Invariant: the bound is the formula of theory.hpp, recomputed here
// from its parts: spectrum {4, 1}, energies {2, 3}, N = 2, lambda = 0.5.
TEST(ClassicalBound, MatchesStatedFormula) {
  SizeResult s;
  s.n = 2;
  s.eigenvalues = Vector::Map(std::vector<double>{4.0, 1.0}.data(), 2);
  s.target_energy = Vector::Map(std::vector<double>{2.0, 3.0}.data(), 2);
  ClassicalBoundConstants c;
  c.max_kernel_diagonal = 2.0;
  c.max_abs_target = 1.0;
  c.outputs = 1;
  c.delta = 0.05;
  const double b2 = 4.0 * 2.0 / 25.0 + 1.0 * 3.0 / 4.0;  // (d + N lambda)^2
  const double b = std::sqrt(b2), r = std::sqrt(2.0);
  const double expected =
      0.1 + 4.0 * (r * b2 + b) * std::sqrt(5.0) / 2.0 +
      3.0 * (r * b + 1.0) * (r * b + 1.0) * std::sqrt(std::log(40.0) / 4.0);
  EXPECT_LT(relative(classical_bound(s, 0.1, 0.5, c), expected), 1e-14);

  ClassicalBoundConstants missing;
  EXPECT_TRUE(std::isnan(classical_bound(s, 0.1, 0.5, missing)));
  missing.delta = 1.0;
  EXPECT_THROW(missing.validate(), InputError);
}

SweepRow row(std::int64_t n, double ridge, double test, double gcv) {
  SweepRow r;
  r.n = n;
  r.ridge = ridge;
  r.test_mse = test;
  r.gcv = gcv;
  return r;
}

// Invariant: the ordering check counts agreeing signs on matched rows and
// decides by the mean log ratio; unmatched rows are skipped.
TEST(OrderingCheck, CountsAgreementOnMatchedRows) {
  SweepResult a, b;
  a.rows = {row(10, 0.1, 1.0, 1.1),
            row(10, 1.0, 2.0, 1.5),
            row(20, 0.1, 0.5, 0.6),
            row(30, 0.1, 9.0, 9.0)};
  b.rows = {
      row(10, 0.1, 2.0, 2.0), row(10, 1.0, 1.0, 1.6), row(20, 0.1, 1.0, 1.2)};
  const OrderingCheck c =
      check_ordering(a, b, [](const SweepRow& r) { return r.gcv; });
  EXPECT_EQ(c.points, 3);
  EXPECT_DOUBLE_EQ(c.agreement, 2.0 / 3.0);
  EXPECT_TRUE(c.orders_correctly);  // both say a is better on average
}

// Median relative gap between the empirical effective ridge of K/N and
// kappa from the exact population, over three ridges.
double kappa_gap(FeatureDistribution distribution) {
  SyntheticOptions o;
  o.train_size = 400;
  o.test_size = 1;
  o.dimension = 800;
  o.alpha = 1.2;
  o.distribution = distribution;
  o.degrees_of_freedom = 3.0;
  o.sparsity = 0.01;
  o.seed = 77;
  const SyntheticData d = make_synthetic(o);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(
      linear_kernel(d.features, d.features), Eigen::EigenvaluesOnly);
  const Vector values = eig.eigenvalues().reverse().cwiseMax(0.0);
  std::vector<double> gaps;
  for (double lambda : {1e-4, 1e-3, 1e-2}) {
    const double empirical = empirical_effective_ridge(values, 400, lambda);
    const double population =
        solve_effective_ridge(d.population.sigma, {}, 400.0, lambda).kappa;
    gaps.push_back(relative(empirical, population));
  }
  return summarize_values(gaps).median;
}

// Invariant: the local law holds on Gaussian features (gap below 3%) and
// visibly fails on heavy-tailed (Student t, nu = 3) and very sparse
// (q p = 8 nonzeros) features: gaps at least five times larger.
TEST(LocalLaw, HoldsForGaussianFailsForHeavyTails) {
  const double gaussian = kappa_gap(FeatureDistribution::kGaussian);
  const double heavy = kappa_gap(FeatureDistribution::kHeavyTailed);
  const double sparse = kappa_gap(FeatureDistribution::kSparse);
  EXPECT_LT(gaussian, 0.03);
  EXPECT_GT(heavy, 5.0 * gaussian) << "gaussian " << gaussian;
  EXPECT_GT(sparse, 5.0 * gaussian) << "gaussian " << gaussian;
}

}  // namespace
}  // namespace rmtlens
