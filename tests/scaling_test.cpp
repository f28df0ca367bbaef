// Power-law populations, predicted learning-curve exponents against the
// closed form min(gamma, 2 alpha), and extrapolation from an n0 sample.
#include "rmtlens/scaling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "rmtlens/synthetic.hpp"

namespace rmtlens {
namespace {

double relative(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

// Invariant: the binned tail keeps the trace and the target energy: the
// trace of sigma_i = i^-2 summed to 1e30 is pi^2/6 within the midpoint
// rule's error, and signal + residual is conserved exactly.
TEST(PowerLawPopulation, KeepsTraceAndEnergy) {
  PowerLawModel m;
  m.alpha = 2.0;
  m.gamma = 0.5;
  m.signal = 3.0;
  m.noise = 0.1;
  const PopulationSpectrum p = power_law_population(m);
  EXPECT_NO_THROW(p.validate());
  EXPECT_LT(relative(p.trace(), M_PI * M_PI / 6.0), 1e-6);
  EXPECT_LT(relative(p.signal_energy() + p.residual, 3.1), 1e-12);
  EXPECT_LT(p.entries(), 2500);
}

// Invariant: predictions on the binned spectrum match those on a million
// explicit modes to 1e-3 (alpha = 3: what lies past 1e6 modes moves df1
// by ~(N / 1e6)^2 relative, below 1e-4 for N <= 1e4).
TEST(PowerLawPopulation, BinnedMatchesExplicit) {
  PowerLawModel m;
  m.alpha = 3.0;
  m.gamma = 1.0;
  m.noise = 0.01;
  const PopulationSpectrum binned = power_law_population(m);
  PopulationSpectrum plain;
  const Index count = 1000000;
  plain.sigma.resize(count);
  plain.theta_energy.resize(count);
  for (Index i = 0; i < count; ++i) {
    const double k = i + 1.0;
    plain.sigma[i] = std::pow(k, -3.0);
    plain.theta_energy[i] = 1.0 / k - 1.0 / (k + 1.0);
  }
  plain.residual = 0.01 + 1.0 / (count + 1.0);
  for (double n : {100.0, 10000.0}) {
    for (double lambda : {0.0, 1e-9}) {
      const double a = deterministic_equivalent(binned, n, lambda).test;
      const double b = deterministic_equivalent(plain, n, lambda).test;
      EXPECT_LT(relative(a, b), 1e-3) << n << " " << lambda;
    }
  }
}

// Invariant: noiseless and ridgeless, the deterministic-equivalent learning
// curve of the power-law model falls as N^-min(gamma, 2 alpha), in both
// regimes (gamma < 2 alpha and gamma > 2 alpha), within 0.08 over
// N = 1e4 .. 1e6.
TEST(PredictedCurve, ExponentMatchesClosedForm) {
  const std::vector<double> sizes = {1e4, 3e4, 1e5, 3e5, 1e6};
  for (const auto& [alpha, gamma] :
       std::vector<std::pair<double, double>>{{1.5, 1.0}, {1.2, 3.5}}) {
    PowerLawModel m;
    m.alpha = alpha;
    m.gamma = gamma;
    const PredictedCurve c =
        predict_learning_curve(power_law_population(m), sizes, {0.0}, 0.0);
    ASSERT_TRUE(c.converged) << c.message;
    ASSERT_TRUE(c.fixed_fit.ok);
    EXPECT_NEAR(c.fixed_fit.exponent, closed_form_exponent(alpha, gamma), 0.08)
        << "alpha=" << alpha << " gamma=" << gamma;
  }
}

// Invariant: with noise, the best ridge of the grid never predicts more
// than the fixed ridge, and the fixed ridgeless curve flattens towards
// the noise.
TEST(PredictedCurve, BestRidgeBeatsFixedRidge) {
  PowerLawModel m;
  m.noise = 0.1;
  const std::vector<double> ridges = {0.0, 1e-6, 1e-4, 1e-2};
  const PredictedCurve c = predict_learning_curve(
      power_law_population(m), {100.0, 1000.0, 10000.0}, ridges, 0.0);
  for (size_t i = 0; i < c.sizes.size(); ++i) {
    EXPECT_LE(c.risk_best[i], c.risk_fixed[i]);
    EXPECT_GT(c.risk_fixed[i], 0.1);
  }
}

// The decomposition of the first n rows of a synthetic pool as the sweep
// reports it: eigenvalues d of K (descending) and |V_i^T Y|^2.
SizeResult describe_block(const SyntheticData& d, Index n) {
  const double p = static_cast<double>(d.features.cols());
  const Matrix x = d.features.topRows(n);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(x * x.transpose() / p);
  SizeResult s;
  s.n = n;
  s.eigenvalues = eig.eigenvalues().reverse().cwiseMax(0.0);
  const Matrix b = eig.eigenvectors().transpose() * d.targets.topRows(n);
  s.target_energy = b.rowwise().squaredNorm().reverse();
  return s;
}

// Mean relative error of the extrapolated risk against the deterministic
// equivalent of the exact population (within a few percent of Monte Carlo,
// theory_test) over n0 .. 8 n0 and two ridges, for one seed.
double extrapolation_error(std::uint64_t seed, bool calibrate, double* worst) {
  SyntheticOptions o;
  o.train_size = 300;
  o.test_size = 1;
  o.dimension = 3000;
  o.alpha = 1.5;
  o.gamma = 1.0;
  o.noise = 0.1;
  o.seed = seed;
  const SyntheticData d = make_synthetic(o);
  ExtrapolationOptions options;
  options.calibrate_noise = calibrate;
  const Extrapolation e = extrapolate_learning_curve(
      describe_block(d, 300), {}, {1e-4, 1e-2}, nullptr, options);
  EXPECT_TRUE(e.ok);
  EXPECT_NEAR(e.decay.exponent, 1.5, 0.15);
  EXPECT_EQ(e.points.size(), 8u);
  double mean = 0.0;
  for (const ExtrapolationPoint& p : e.points) {
    const double exact =
        deterministic_equivalent(d.population, p.n, p.ridge).test;
    mean += relative(p.predicted, exact) / e.points.size();
    *worst = std::max(*worst, relative(p.predicted, exact));
  }
  return mean;
}

// Invariant: from the spectrum of n0 = 300 noisy Gaussian samples, the
// calibrated extrapolation to 2 n0 .. 8 n0 is within 20% on average (35%
// at worst) of the exact population's prediction over four seeds, and the
// noise calibration beats the uncalibrated extension, which extrapolates
// label noise as signal.
TEST(Extrapolation, PredictsLargerSizes) {
  double calibrated = 0.0, plain = 0.0, worst = 0.0, ignored = 0.0;
  for (std::uint64_t seed : {21, 22, 23, 24}) {
    calibrated += extrapolation_error(seed, true, &worst) / 4.0;
    plain += extrapolation_error(seed, false, &ignored) / 4.0;
  }
  EXPECT_LT(calibrated, 0.2);
  EXPECT_LT(worst, 0.35);
  EXPECT_LT(calibrated, 0.5 * plain)
      << "calibrated " << calibrated << " plain " << plain;
}

}  // namespace
}  // namespace rmtlens
