// Synthetic regression data with a known population spectrum: features
// with power-law covariance and a target with power-law coefficients plus
// noise, in a Gaussian version (where the deterministic equivalent holds)
// and non-Gaussian ones where a local law can fail.
//
// Model. Latent z in R^p with E z = 0, E z z^T = I. Features
// x_j = sqrt(p sigma_j) z_j with sigma_j = j^-alpha, so the linear kernel
// k(x, x') = x.x' / p = sum_j sigma_j z_j z'_j has operator eigenvalues
// sigma_j and eigenfunctions z_j. Output c is y_c = sum_j theta_jc z_j +
// noise * xi_c, xi ~ N(0, 1), with power-law coefficients
// |theta_jc|^2 = j^-(1 + gamma) / sum_i i^-(1 + gamma) (each output carries
// energy 1, and the tail energy 1 - A(k) decays as k^-gamma for k << p)
// and signs drawn at random per (j, c).
//
//   SyntheticOptions o;
//   o.train_size = 2000;
//   o.alpha = 1.5;
//   SyntheticData d = make_synthetic(o);
//   RiskPrediction e = deterministic_equivalent(d.population, 500, 1e-3);
#pragma once

#include <cstdint>
#include <string>

#include "rmtlens/theory.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

enum class FeatureDistribution {
  // z_j iid N(0, 1).
  kGaussian,
  // z_j = b_j g_j / sqrt(q), b_j ~ Bernoulli(q) iid: each sample has about
  // q p nonzero coordinates. For small q p the kernel matrix is far from
  // its Gaussian counterpart.
  kSparse,
  // z = g sqrt((nu - 2) / W), W ~ chi^2_nu, one W per sample: multivariate
  // Student t with unit covariance. The per-sample scale does not average
  // out, so the Gram matrix keeps a random diagonal factor and the
  // Marchenko-Pastur local law of the Gaussian case fails.
  kHeavyTailed,
};

// "gaussian", "sparse", "heavy-tailed"; InputError otherwise.
FeatureDistribution parse_feature_distribution(const std::string& name);
std::string feature_distribution_name(FeatureDistribution d);

struct SyntheticOptions {
  std::int64_t train_size = 2000;  // pool rows N, >= 1
  std::int64_t test_size = 1000;   // test rows M, >= 1
  std::int64_t dimension = 1000;   // features p, >= 1
  std::int64_t outputs = 1;        // target columns C, >= 1
  double alpha = 1.5;              // covariance decay sigma_j = j^-alpha, > 0
  double gamma = 1.0;              // target tail-energy exponent, > 0
  double noise = 0.1;              // noise standard deviation, >= 0
  FeatureDistribution distribution = FeatureDistribution::kGaussian;
  double sparsity = 0.05;           // q of kSparse, in (0, 1]
  double degrees_of_freedom = 3.0;  // nu of kHeavyTailed, > 2
  // Seeds three std::mt19937_64 streams (coefficient signs, pool, test).
  // Normal, chi-squared and Bernoulli draws use libstdc++'s distributions,
  // so a seed gives the same data on every build with libstdc++, not
  // necessarily with another standard library.
  std::uint64_t seed = 0;

  void validate() const;  // throws InputError naming the field
};

struct SyntheticData {
  Matrix features;       // N x p
  Matrix test_features;  // M x p
  Matrix targets;        // N x C
  Matrix test_targets;   // M x C
  Matrix coefficients;   // theta (p x C): y = theta^T z + noise
  // The exact population: sigma_j (p), theta energy summed over outputs,
  // residual C noise^2; sample_size 0 (exact).
  PopulationSpectrum population;
};

// Draws every sample row by row from its stream, so the first n rows of a
// pool do not depend on train_size and the test set depends on neither.
SyntheticData make_synthetic(const SyntheticOptions& options);

}  // namespace rmtlens
