// The synthetic generator: its moments match the population it reports,
// it is seeded and nested, and on its Gaussian data GCV's error shrinks
// with N.
#include "rmtlens/synthetic.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rmtlens {
namespace {

SyntheticOptions small_options() {
  SyntheticOptions o;
  o.train_size = 4000;
  o.test_size = 10;
  o.dimension = 20;
  o.outputs = 2;
  o.alpha = 1.0;
  o.gamma = 1.0;
  o.noise = 0.5;
  o.seed = 11;
  return o;
}

// Invariant: the latent z = x / sqrt(p sigma) has identity covariance and
// E|y|^2 = signal + C noise^2, for every distribution (sampling error of
// 4000 rows: a few percent; heavy tails with nu = 5 converge slower).
TEST(Synthetic, MomentsMatchThePopulation) {
  for (const char* name : {"gaussian", "sparse", "heavy-tailed"}) {
    SyntheticOptions o = small_options();
    o.distribution = parse_feature_distribution(name);
    o.sparsity = 0.2;
    o.degrees_of_freedom = 5.0;
    const SyntheticData d = make_synthetic(o);
    Matrix z = d.features;
    for (Index j = 0; j < z.cols(); ++j) {
      z.col(j) /= std::sqrt(20.0 * d.population.sigma[j]);
    }
    const Matrix cov = z.transpose() * z / 4000.0;
    const double tolerance =
        o.distribution == FeatureDistribution::kGaussian ? 0.1 : 0.2;
    EXPECT_LT((cov - Matrix::Identity(20, 20)).cwiseAbs().maxCoeff(), tolerance)
        << name;
    const double energy = d.targets.squaredNorm() / 4000.0;
    const double expected =
        d.population.signal_energy() + d.population.residual;
    EXPECT_NEAR(energy / expected, 1.0, 0.1) << name;
    EXPECT_NEAR(d.population.signal_energy(), 2.0, 1e-12);
    EXPECT_NEAR(d.population.residual, 0.5, 1e-15);
  }
}

// Invariant: a seed fixes the data; the first rows of the pool and the
// whole test set do not depend on train_size; another seed differs.
TEST(Synthetic, SeededAndNested) {
  SyntheticOptions o = small_options();
  o.train_size = 50;
  const SyntheticData a = make_synthetic(o);
  o.train_size = 80;
  const SyntheticData b = make_synthetic(o);
  EXPECT_EQ(a.features, b.features.topRows(50));
  EXPECT_EQ(a.targets, b.targets.topRows(50));
  EXPECT_EQ(a.test_features, b.test_features);
  o.seed = 12;
  const SyntheticData c = make_synthetic(o);
  EXPECT_NE(c.features.topRows(50), a.features);
}

// Invariant: a sparse draw keeps about a fraction q of the coordinates.
TEST(Synthetic, SparseDensity) {
  SyntheticOptions o = small_options();
  o.distribution = FeatureDistribution::kSparse;
  o.sparsity = 0.1;
  const SyntheticData d = make_synthetic(o);
  const double density = (d.features.array() != 0.0).cast<double>().mean();
  EXPECT_NEAR(density, 0.1, 0.01);
}

// Invariant: caller errors name the field, the value and the bound.
TEST(Synthetic, RejectsInvalidOptions) {
  SyntheticOptions o;
  o.degrees_of_freedom = 2.0;
  try {
    o.validate();
    FAIL() << "validate accepted nu = 2";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "synthetic degrees_of_freedom = 2.000000 (must be > 2)");
  }
  EXPECT_THROW(parse_feature_distribution("cauchy"), InputError);
}

// |GCV - test| / test of linear-kernel ridge regression at one ridge, with
// the exact population risk as the test risk (no test-set noise).
double gcv_relative_error(const SyntheticData& d, Index n, double lambda) {
  const double p = static_cast<double>(d.features.cols());
  const Matrix x = d.features.topRows(n);
  const Matrix y = d.targets.topRows(n);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(x * x.transpose() / p);
  const Vector dvals = eig.eigenvalues().cwiseMax(0.0);
  const Matrix b = eig.eigenvectors().transpose() * y;

  // GCV from the spectrum (DESIGN section 1) and the fitted coefficients
  // beta_j of f = sum_j beta_j z_j.
  const double nd = static_cast<double>(n);
  double train = 0.0, df = 0.0;
  Matrix scaled = b;
  for (Index i = 0; i < n; ++i) {
    const double s = dvals[i] / (dvals[i] + nd * lambda);
    train += (1.0 - s) * (1.0 - s) * b.row(i).squaredNorm() / nd;
    df += s;
    scaled.row(i) /= dvals[i] + nd * lambda;
  }
  const double gcv = train / ((1.0 - df / nd) * (1.0 - df / nd));
  Matrix beta = x.transpose() * (eig.eigenvectors() * scaled) / p;
  for (Index j = 0; j < beta.rows(); ++j) {
    beta.row(j) *= std::sqrt(p * d.population.sigma[j]);
  }
  const double test =
      (beta - d.coefficients).squaredNorm() + d.population.residual;
  return std::abs(gcv - test) / test;
}

// Invariant: averaged over 16 seeds, |GCV - test| / test falls as N grows
// (GCV -> E at rate ~ N^-1/2 under the local law): the mean at N = 400 is
// below 0.6 of the mean at N = 50. Deterministic (seeded); it fails if
// GCV stops converging, e.g. if df or the training error were wrong.
TEST(Synthetic, GcvErrorShrinksWithN) {
  SyntheticOptions o;
  o.train_size = 400;
  o.test_size = 1;
  o.dimension = 800;
  o.alpha = 1.5;
  o.gamma = 1.0;
  o.noise = 0.3;
  double small = 0.0, large = 0.0;
  const int seeds = 16;
  for (int seed = 0; seed < seeds; ++seed) {
    o.seed = 500 + seed;
    const SyntheticData d = make_synthetic(o);
    small += gcv_relative_error(d, 50, 1e-3) / seeds;
    large += gcv_relative_error(d, 400, 1e-3) / seeds;
  }
  EXPECT_LT(large, 0.6 * small) << "N=50: " << small << " N=400: " << large;
}

}  // namespace
}  // namespace rmtlens
