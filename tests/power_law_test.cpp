// Power-law fits of eigen-decay and tail energy, and the alignment curves.
#include "rmtlens/power_law.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "rmtlens/synthetic.hpp"

namespace rmtlens {
namespace {

Vector power_law(Index m, double scale, double exponent) {
  Vector v(m);
  for (Index i = 0; i < m; ++i) v[i] = scale * std::pow(i + 1.0, -exponent);
  return v;
}

// Invariant: the default rule's ranges, as documented in power_law.hpp.
TEST(DefaultFitRange, FollowsTheStatedRule) {
  const auto range = [](std::int64_t r) {
    const FitRange f = default_fit_range(r);
    return std::to_string(f.first) + ".." + std::to_string(f.last);
  };
  EXPECT_EQ(range(2000), "12..200");
  EXPECT_EQ(range(60000), "62..6000");
  EXPECT_EQ(range(100), "3..10");
  EXPECT_EQ(range(10), "2..6");
  EXPECT_EQ(range(3), "2..3");
}

// Invariant: an exact power law is recovered to round-off, R^2 = 1.
TEST(PowerLawFit, RecoversExactPowerLaw) {
  const PowerLawFit fit = fit_power_law(power_law(5000, 3.0, 1.7));
  ASSERT_TRUE(fit.ok) << fit.message;
  EXPECT_NEAR(fit.exponent, 1.7, 1e-12);
  EXPECT_NEAR(fit.log_scale, std::log(3.0), 1e-11);
  EXPECT_NEAR(fit.r_squared, 1.0, 1e-12);
  EXPECT_EQ(fit.range.first, 18);
  EXPECT_EQ(fit.range.last, 500);
  EXPECT_EQ(fit.points, 483);
  EXPECT_NEAR(fit.at(10.0), 3.0 * std::pow(10.0, -1.7), 1e-12);
}

// Invariant: multiplicative log-normal noise (sd 0.3, seeded) moves the
// exponent by a few hundredths at most over two decades.
TEST(PowerLawFit, RobustToMultiplicativeNoise) {
  std::mt19937_64 engine(7);
  std::normal_distribution<double> normal;
  Vector v = power_law(40000, 1.0, 1.3);
  for (Index i = 0; i < v.size(); ++i) v[i] *= std::exp(0.3 * normal(engine));
  const PowerLawFit fit = fit_power_law(v);
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.exponent, 1.3, 0.03);
  EXPECT_GT(fit.r_squared, 0.9);
}

// Invariant: an explicit range overrides the rule; values at the
// numerical floor (and zeros) are neither usable nor fitted.
TEST(PowerLawFit, OverridesAndFloor) {
  Vector v = power_law(1000, 1.0, 2.0);
  v.tail(500).setZero();
  v[10] = 1e-20;  // below 1e-12 of the top: skipped
  PowerLawOptions o;
  o.first_index = 5;
  o.last_index = 40;
  const PowerLawFit fit = fit_power_law(v, o);
  ASSERT_TRUE(fit.ok);
  EXPECT_EQ(fit.range.first, 5);
  EXPECT_EQ(fit.range.last, 40);
  EXPECT_EQ(fit.points, 35);
  EXPECT_NEAR(fit.exponent, 2.0, 1e-12);

  // 499 usable values: rule [6, 49].
  const PowerLawFit automatic = fit_power_law(v);
  EXPECT_EQ(automatic.range.first, 6);
  EXPECT_EQ(automatic.range.last, 49);
}

// Invariant: too few usable values is a status with a message, not a
// throw; an inverted range is a caller error naming both ends.
TEST(PowerLawFit, ReportsUnusableInput) {
  const PowerLawFit fit = fit_power_law(Vector::Zero(50));
  EXPECT_FALSE(fit.ok);
  EXPECT_NE(fit.message.find("usable values"), std::string::npos);
  PowerLawOptions o;
  o.first_index = 9;
  o.last_index = 3;
  try {
    o.validate();
    FAIL() << "validate accepted first > last";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "power-law fit range [9, 3]: first must be < last");
  }
}

// Invariant: A(k) + tail(k) = 1 to round-off, tail is exact (suffix sums)
// and gamma of a tail 1 - A(k) = k^-gamma is recovered to round-off.
TEST(Alignment, TailEnergyRecoversGamma) {
  const double gamma = 0.8;
  const Index m = 20000;
  Vector energy(m);
  energy[0] = 1.0 - std::pow(2.0, -gamma) + 1.0;  // any head energy
  for (Index i = 1; i < m - 1; ++i) {
    energy[i] = std::pow(double(i), -gamma) - std::pow(i + 1.0, -gamma);
  }
  energy[m - 1] = std::pow(double(m - 1), -gamma);  // the whole remainder
  const Alignment al = label_alignment(energy);
  const double total = energy.sum();
  for (Index k = 0; k < m; k += 997) {
    EXPECT_NEAR(al.cumulative[k] + al.tail[k], 1.0, 1e-13);
  }
  EXPECT_EQ(al.tail[m - 1], 0.0);
  EXPECT_NEAR(al.tail[99] * total, std::pow(100.0, -gamma), 1e-14);

  const PowerLawFit fit = fit_power_law(al.tail);
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.exponent, gamma, 1e-10);
}

// Invariant: on Gaussian synthetic data the eigenvalues of K/N and the
// alignment of the labels give back the generating alpha and gamma within
// 0.1 with the default ranges (sample eigenvalues follow sigma_i for
// i << N; the noise floor bends the label tail only past the range).
TEST(PowerLawFit, RecoversSyntheticExponents) {
  SyntheticOptions o;
  o.train_size = 800;
  o.test_size = 1;
  o.dimension = 1600;
  o.alpha = 1.6;
  o.gamma = 0.9;
  o.noise = 0.0;
  o.seed = 3;
  const SyntheticData d = make_synthetic(o);
  const Matrix k = d.features * d.features.transpose() / 1600.0;
  Eigen::SelfAdjointEigenSolver<Matrix> eig(k);
  const Vector values = eig.eigenvalues().reverse() / 800.0;
  const Matrix vectors = eig.eigenvectors().rowwise().reverse();
  const Vector energy =
      (vectors.transpose() * d.targets).rowwise().squaredNorm();

  const PowerLawFit decay = fit_power_law(values);
  ASSERT_TRUE(decay.ok);
  EXPECT_NEAR(decay.exponent, 1.6, 0.1);
  EXPECT_GT(decay.r_squared, 0.98);
  const PowerLawFit tail = fit_power_law(label_alignment(energy).tail);
  ASSERT_TRUE(tail.ok);
  EXPECT_NEAR(tail.exponent, 0.9, 0.1);
}

}  // namespace
}  // namespace rmtlens
