// The effective-ridge solver and the deterministic equivalent against
// closed forms (Marchenko-Pastur; spectra with two distinct eigenvalues),
// an independent long-double bisection, and Monte Carlo averages on
// synthetic Gaussian data.
#include "rmtlens/theory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "rmtlens/synthetic.hpp"

namespace rmtlens {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

Vector constant_spectrum(Index r, double s) {
  return Vector::Constant(r, s);
}

double relative(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

// Marchenko-Pastur: kappa for r modes of eigenvalue s, the positive root of
// kappa^2 + (s (1 - r/N) - lambda) kappa - lambda s = 0, in the plain
// textbook form (tests use parameters where it does not cancel badly).
double mp_kappa(double r, double s, double n, double lambda) {
  const double b = s * (1.0 - r / n) - lambda;
  return 0.5 * (-b + std::sqrt(b * b + 4.0 * lambda * s));
}

// Residual of lambda = kappa (1 - (1/N) sum sigma / (sigma + kappa)),
// relative to lambda + kappa, in long double.
double equation_residual(const Vector& sigma,
                         double n,
                         double lambda,
                         double kappa) {
  long double df1 = 0.0L;
  for (Index i = 0; i < sigma.size(); ++i) {
    df1 += static_cast<long double>(sigma[i]) / (sigma[i] + kappa);
  }
  const long double rhs = kappa * (1.0L - df1 / n);
  return static_cast<double>(std::abs(rhs - lambda) / (lambda + kappa));
}

// An independent reference: bisection on kappa in long double over
// [lambda, lambda + tr/N], 200 halvings.
double bisection_kappa(const Vector& sigma, double n, double lambda) {
  long double lo = lambda, hi = lambda + sigma.sum() / n;
  for (int it = 0; it < 200; ++it) {
    const long double mid = 0.5L * (lo + hi);
    long double df1 = 0.0L;
    for (Index i = 0; i < sigma.size(); ++i) df1 += sigma[i] / (sigma[i] + mid);
    (mid * (1.0L - df1 / n) < lambda ? lo : hi) = mid;
  }
  return static_cast<double>(0.5L * (lo + hi));
}

// Invariant: on an isotropic spectrum the solver's kappa is the
// Marchenko-Pastur root, for N below, at and above the rank, and ridges
// from 1e-6 to 10.
TEST(EffectiveRidge, MatchesMarchenkoPasturRoot) {
  const double s = 0.2;
  const Vector sigma = constant_spectrum(50, s);
  for (double n : {20.0, 50.0, 200.0}) {
    for (double lambda : {1e-6, 1e-3, 0.1, 10.0}) {
      const EffectiveRidge k = solve_effective_ridge(sigma, {}, n, lambda);
      ASSERT_TRUE(k.converged) << k.message;
      EXPECT_LT(relative(k.kappa, mp_kappa(50, s, n, lambda)), 1e-10)
          << "n=" << n << " lambda=" << lambda;
      EXPECT_LT(relative(k.shrinkage, lambda / k.kappa), 1e-14);
    }
  }
}

// Invariant: the ridgeless limit. N < rank: kappa = s (r/N - 1) and the
// risk is S (1 - N/r) + eps^2 / (1 - N/r) (Hastie et al. 2019, isotropic
// min-norm interpolation). N > rank: kappa = 0 and E = eps^2 / (1 - r/N).
// N = rank: the interpolation peak, +inf.
TEST(DeterministicEquivalent, RidgelessIsotropicClosedForms) {
  PopulationSpectrum p;
  p.sigma = constant_spectrum(50, 0.2);
  p.theta_energy = Vector::Constant(50, 2.0 / 50);
  p.residual = 0.25;

  const RiskPrediction under = deterministic_equivalent(p, 20.0, 0.0);
  ASSERT_TRUE(under.converged);
  EXPECT_LT(relative(under.kappa, 0.2 * (50.0 / 20.0 - 1.0)), 1e-12);
  EXPECT_LT(relative(under.test, 2.0 * 0.6 + 0.25 / 0.6), 1e-12);
  EXPECT_EQ(under.train, 0.0);

  const RiskPrediction over = deterministic_equivalent(p, 200.0, 0.0);
  EXPECT_EQ(over.kappa, 0.0);
  EXPECT_LT(relative(over.test, 0.25 / 0.75), 1e-15);
  EXPECT_LT(relative(over.train, 0.75 * 0.75 * over.test), 1e-15);

  const RiskPrediction peak = deterministic_equivalent(p, 50.0, 0.0);
  EXPECT_TRUE(std::isinf(peak.test));
  EXPECT_FALSE(peak.message.empty());
}

// Invariant: the closed-form isotropic model and the general solver agree
// when the spectrum is isotropic (integer rank, all ridges).
TEST(IsotropicModel, AgreesWithGeneralSolver) {
  PopulationSpectrum p;
  p.sigma = constant_spectrum(40, 0.5);
  p.theta_energy = Vector::Constant(40, 0.03);
  p.residual = 0.1;
  const IsotropicModel m = isotropic_model(p);
  EXPECT_LT(relative(m.effective_rank, 40.0), 1e-14);
  EXPECT_LT(relative(m.eigenvalue, 0.5), 1e-14);
  for (double n : {10.0, 39.0, 41.0, 300.0}) {
    for (double lambda : {0.0, 1e-5, 1e-2, 1.0}) {
      const RiskPrediction a = isotropic_risk(m, n, lambda);
      const RiskPrediction b = deterministic_equivalent(p, n, lambda);
      EXPECT_LT(relative(a.test, b.test), 1e-10)
          << "n=" << n << " lambda=" << lambda;
      EXPECT_LT(relative(a.kappa + 1e-300, b.kappa + 1e-300), 1e-10);
    }
  }
}

// Invariant: with two distinct eigenvalues the root matches a long-double
// bisection, the defining equation holds to ~100 eps, and the grouped
// representation (multiplicities) gives the same kappa as repeated entries.
TEST(EffectiveRidge, TwoDistinctEigenvalues) {
  const Index m1 = 30, m2 = 170;
  Vector explicit_sigma(m1 + m2);
  explicit_sigma << Vector::Constant(m1, 1.0), Vector::Constant(m2, 1e-3);
  Vector grouped(2), modes(2);
  grouped << 1.0, 1e-3;
  modes << m1, m2;
  for (double n : {10.0, 100.0, 199.0, 400.0}) {
    for (double lambda : {0.0, 1e-9, 1e-4, 1e-1}) {
      const EffectiveRidge a =
          solve_effective_ridge(explicit_sigma, {}, n, lambda);
      const EffectiveRidge b = solve_effective_ridge(grouped, modes, n, lambda);
      ASSERT_TRUE(a.converged && b.converged);
      if (lambda == 0.0 && n >= m1 + m2) {
        EXPECT_EQ(a.kappa, 0.0);
        continue;
      }
      const double ref = lambda == 0.0
                             ? bisection_kappa(explicit_sigma, n, 1e-300)
                             : bisection_kappa(explicit_sigma, n, lambda);
      EXPECT_LT(relative(a.kappa, ref), 1e-11) << n << " " << lambda;
      EXPECT_LT(relative(b.kappa, a.kappa), 1e-12);
      EXPECT_LT(equation_residual(explicit_sigma, n, lambda, a.kappa),
                100 * kEps);
    }
  }
}

// Invariant: kappa(lambda) -> kappa(0) as lambda -> 0, on both sides of
// the interpolation threshold; kappa grows with lambda and falls with N.
TEST(EffectiveRidge, ContinuousAtZeroAndMonotone) {
  Vector sigma(300);
  for (Index i = 0; i < sigma.size(); ++i) sigma[i] = std::pow(i + 1.0, -1.4);
  for (double n : {100.0, 600.0}) {
    const double k0 = solve_effective_ridge(sigma, {}, n, 0.0).kappa;
    const double k_small = solve_effective_ridge(sigma, {}, n, 1e-14).kappa;
    if (n < 300) {
      EXPECT_LT(relative(k_small, k0), 1e-6);
    } else {
      EXPECT_EQ(k0, 0.0);
      EXPECT_LT(relative(k_small, 1e-14 / (1.0 - 300.0 / 600.0)), 1e-6);
    }
  }
  double previous = 0.0;
  for (double lambda : {0.0, 1e-8, 1e-6, 1e-4, 1e-2, 1.0}) {
    const double k = solve_effective_ridge(sigma, {}, 100.0, lambda).kappa;
    EXPECT_GT(k, previous);
    previous = k;
  }
  previous = std::numeric_limits<double>::infinity();
  for (double n : {10.0, 50.0, 100.0, 250.0}) {
    const double k = solve_effective_ridge(sigma, {}, n, 1e-4).kappa;
    EXPECT_LT(k, previous);
    previous = k;
  }
}

// Invariant: two million eigenvalues solve in a few dozen passes with the
// defining equation satisfied to round-off (sum of 2e6 terms: ~1e-10).
TEST(EffectiveRidge, MillionsOfEigenvalues) {
  Vector sigma(2000000);
  for (Index i = 0; i < sigma.size(); ++i) sigma[i] = std::pow(i + 1.0, -1.2);
  for (double lambda : {0.0, 1e-6}) {
    const EffectiveRidge k = solve_effective_ridge(sigma, {}, 1e4, lambda);
    ASSERT_TRUE(k.converged) << k.message;
    EXPECT_LE(k.iterations, 60);
    EXPECT_LT(equation_residual(sigma, 1e4, lambda, k.kappa), 1e-10);
  }
}

// Invariant: a huge ridge learns nothing (E -> signal + noise) and the
// training error is (lambda / kappa)^2 E everywhere.
TEST(DeterministicEquivalent, LargeRidgeAndTrainingError) {
  PopulationSpectrum p;
  p.sigma = Vector::LinSpaced(100, 1.0, 0.01);
  p.theta_energy = Vector::Constant(100, 0.01);
  p.residual = 0.3;
  const RiskPrediction big = deterministic_equivalent(p, 50.0, 1e9);
  EXPECT_LT(relative(big.test, 1.3), 1e-8);
  for (double lambda : {1e-4, 1e-2, 1.0}) {
    const RiskPrediction e = deterministic_equivalent(p, 50.0, lambda);
    const double ratio = lambda / e.kappa;
    EXPECT_LT(relative(e.train, ratio * ratio * e.test), 1e-14);
    EXPECT_LT(e.train, e.test);
  }
}

// Invariant: the empirical effective ridge equals 1 / ((1/N) tr
// (K/N + lambda I)^-1) computed from the matrix itself.
TEST(EmpiricalEffectiveRidge, MatchesTraceOfResolvent) {
  const Index n = 40;
  Matrix f = Matrix::Random(n, 15);
  const Matrix k = f * f.transpose();
  Eigen::SelfAdjointEigenSolver<Matrix> eig(k);
  const Vector d = eig.eigenvalues().reverse().cwiseMax(0.0);
  const double lambda = 1e-3;
  const Matrix resolvent =
      (k / double(n) + lambda * Matrix::Identity(n, n)).inverse();
  const double expected = 1.0 / (resolvent.trace() / n);
  EXPECT_LT(relative(empirical_effective_ridge(d, n, lambda), expected), 1e-9);
  // The primal route passes only the nonzero eigenvalues.
  EXPECT_LT(
      relative(empirical_effective_ridge(d.head(15), n, lambda), expected),
      1e-6);
  EXPECT_EQ(empirical_effective_ridge(d.head(15), n, 0.0), 0.0);
}

// Invariant: invalid arguments name the parameter and its bound.
TEST(EffectiveRidge, RejectsInvalidArguments) {
  const Vector sigma = Vector::LinSpaced(5, 1.0, 0.2);
  const auto message = [&](const Vector& s, double n, double lambda) {
    try {
      solve_effective_ridge(s, {}, n, lambda);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(sigma, 10.0, -1.0),
            "effective ridge: lambda = -1.000000 (must be finite and >= 0)");
  EXPECT_EQ(message(sigma, 0.0, 1.0),
            "effective ridge: n = 0.000000 (must be finite and > 0)");
  EXPECT_EQ(message(sigma.reverse(), 10.0, 1.0),
            "effective ridge spectrum: sigma entry 1 = 0.400000 (exceeds the "
            "previous one; must be descending)");
  EffectiveRidgeOptions bad;
  bad.max_iterations = 0;
  EXPECT_THROW(bad.validate(), InputError);
}

// Risk of the kernel ridge fit on one synthetic draw, exactly over the
// population: sum_jc (beta_jc - theta_jc)^2 + C noise^2, where
// f(x) = k(x, X) (K + N lambda)^-1 Y = sum_j beta_j z_j.
double exact_risk(const SyntheticData& d, double lambda, double noise) {
  const Index n = d.features.rows();
  const double p = static_cast<double>(d.features.cols());
  const Matrix k = d.features * d.features.transpose() / p;
  Matrix a = k;
  a.diagonal().array() += n * lambda;
  const Matrix alpha = a.ldlt().solve(d.targets);
  Matrix beta = d.features.transpose() * alpha / p;
  for (Index j = 0; j < beta.rows(); ++j) {
    beta.row(j) *= std::sqrt(p * d.population.sigma[j]);
  }
  return (beta - d.coefficients).squaredNorm() +
         static_cast<double>(d.targets.cols()) * noise * noise;
}

// Invariant: on Gaussian data the deterministic equivalent with the exact
// population is the Monte Carlo mean risk within a few percent (N = 200,
// p = 400, 24 seeds; finite-N corrections are O(1/N), the seed average's
// standard error about 1%).
TEST(DeterministicEquivalent, MatchesMonteCarloOnGaussianData) {
  SyntheticOptions o;
  o.train_size = 200;
  o.test_size = 1;
  o.dimension = 400;
  o.alpha = 1.5;
  o.gamma = 1.0;
  o.noise = 0.3;
  const std::vector<double> ridges = {0.0, 1e-3, 1e-2};
  std::vector<double> mean(ridges.size(), 0.0);
  const int seeds = 24;
  PopulationSpectrum population;
  for (int seed = 0; seed < seeds; ++seed) {
    o.seed = 1000 + seed;
    const SyntheticData d = make_synthetic(o);
    for (size_t r = 0; r < ridges.size(); ++r) {
      mean[r] += exact_risk(d, ridges[r], o.noise) / seeds;
    }
    population = d.population;
  }
  for (size_t r = 0; r < ridges.size(); ++r) {
    population.sample_size = 0;
    const RiskPrediction e =
        deterministic_equivalent(population, 200.0, ridges[r]);
    EXPECT_LT(relative(e.test, mean[r]), 0.04)
        << "lambda=" << ridges[r] << " DE=" << e.test << " MC=" << mean[r];
  }
}

// Invariant: the deterministic equivalent rests on a local law that
// Student-t features (nu = 3: one heavy-tailed scale per sample) break;
// ridgeless, where the variance term dominates, the Monte Carlo mean
// exceeds the prediction by more than 20% (measured: ~54%), while the
// same seeds with Gaussian features agree within 4% (test above).
TEST(DeterministicEquivalent, MissesHeavyTailedFeaturesRidgeless) {
  SyntheticOptions o;
  o.train_size = 200;
  o.test_size = 1;
  o.dimension = 400;
  o.alpha = 1.5;
  o.gamma = 1.0;
  o.noise = 0.3;
  o.distribution = FeatureDistribution::kHeavyTailed;
  o.degrees_of_freedom = 3.0;
  double mean = 0.0;
  const int seeds = 24;
  PopulationSpectrum population;
  for (int seed = 0; seed < seeds; ++seed) {
    o.seed = 1000 + seed;
    const SyntheticData d = make_synthetic(o);
    mean += exact_risk(d, 0.0, o.noise) / seeds;
    population = d.population;
  }
  const double e = deterministic_equivalent(population, 200.0, 0.0).test;
  EXPECT_GT(mean, 1.2 * e) << "MC " << mean << " DE " << e;
}

}  // namespace
}  // namespace rmtlens
