// Seeded synthetic data with a known population (synthetic.hpp).
#include "rmtlens/synthetic.hpp"

#include <cmath>
#include <random>
#include <string>

namespace rmtlens {
namespace {

// Stream offsets so the three streams of one seed never coincide.
constexpr std::uint64_t kSignStream = 0x5157a1e3c0ffee01ULL;
constexpr std::uint64_t kPoolStream = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kTestStream = 0xc2b2ae3d27d4eb4fULL;

// The latent distribution of synthetic.hpp, one sample at a time.
class LatentSampler {
 public:
  LatentSampler(const SyntheticOptions& o, std::uint64_t stream)
      : options_(o), engine_(o.seed ^ stream) {}

  // Fills z (p) with one sample of the latent vector.
  void draw(Vector& z) {
    for (Index j = 0; j < z.size(); ++j) z[j] = normal_(engine_);
    if (options_.distribution == FeatureDistribution::kSparse) {
      std::bernoulli_distribution keep(options_.sparsity);
      const double scale = 1.0 / std::sqrt(options_.sparsity);
      for (Index j = 0; j < z.size(); ++j) {
        z[j] = keep(engine_) ? z[j] * scale : 0.0;
      }
    } else if (options_.distribution == FeatureDistribution::kHeavyTailed) {
      const double nu = options_.degrees_of_freedom;
      std::chi_squared_distribution<double> chi2(nu);
      z *= std::sqrt((nu - 2.0) / chi2(engine_));
    }
  }

  double noise() { return normal_(engine_); }

 private:
  const SyntheticOptions& options_;
  std::mt19937_64 engine_;
  std::normal_distribution<double> normal_;
};

// theta (p x C): magnitudes of synthetic.hpp, random signs.
Matrix target_coefficients(const SyntheticOptions& o) {
  Vector energy(o.dimension);
  for (Index j = 0; j < energy.size(); ++j) {
    energy[j] = std::pow(static_cast<double>(j + 1), -1.0 - o.gamma);
  }
  energy /= energy.sum();

  std::mt19937_64 engine(o.seed ^ kSignStream);
  Matrix theta(o.dimension, o.outputs);
  for (Index c = 0; c < theta.cols(); ++c) {
    for (Index j = 0; j < theta.rows(); ++j) {
      const double sign = (engine() >> 63) != 0 ? 1.0 : -1.0;
      theta(j, c) = sign * std::sqrt(energy[j]);
    }
  }
  return theta;
}

// Rows of features x = sqrt(p sigma) z and targets y = theta^T z + noise.
void draw_rows(const SyntheticOptions& o,
               std::uint64_t stream,
               const Vector& scale,
               const Matrix& theta,
               Matrix& x,
               Matrix& y) {
  LatentSampler sampler(o, stream);
  Vector z(o.dimension);
  for (Index r = 0; r < x.rows(); ++r) {
    sampler.draw(z);
    x.row(r) = z.cwiseProduct(scale).transpose();
    y.row(r) = (theta.transpose() * z).transpose();
    for (Index c = 0; c < y.cols(); ++c) y(r, c) += o.noise * sampler.noise();
  }
}

}  // namespace

FeatureDistribution parse_feature_distribution(const std::string& name) {
  if (name == "gaussian") return FeatureDistribution::kGaussian;
  if (name == "sparse") return FeatureDistribution::kSparse;
  if (name == "heavy-tailed") return FeatureDistribution::kHeavyTailed;
  throw InputError("--distribution '" + name +
                   "' (must be gaussian, sparse or heavy-tailed)");
}

std::string feature_distribution_name(FeatureDistribution d) {
  switch (d) {
    case FeatureDistribution::kGaussian:
      return "gaussian";
    case FeatureDistribution::kSparse:
      return "sparse";
    case FeatureDistribution::kHeavyTailed:
      return "heavy-tailed";
  }
  return "unknown";
}

void SyntheticOptions::validate() const {
  const auto require = [](bool ok,
                          const std::string& field,
                          double value,
                          const std::string& bound) {
    if (!ok) {
      throw InputError("synthetic " + field + " = " + std::to_string(value) +
                       " (must be " + bound + ")");
    }
  };
  require(train_size >= 1, "train_size", train_size, ">= 1");
  require(test_size >= 1, "test_size", test_size, ">= 1");
  require(dimension >= 1, "dimension", dimension, ">= 1");
  require(outputs >= 1, "outputs", outputs, ">= 1");
  require(alpha > 0.0 && std::isfinite(alpha), "alpha", alpha, "> 0");
  require(gamma > 0.0 && std::isfinite(gamma), "gamma", gamma, "> 0");
  require(noise >= 0.0 && std::isfinite(noise), "noise", noise, ">= 0");
  require(sparsity > 0.0 && sparsity <= 1.0, "sparsity", sparsity, "in (0, 1]");
  require(degrees_of_freedom > 2.0 && std::isfinite(degrees_of_freedom),
          "degrees_of_freedom",
          degrees_of_freedom,
          "> 2");
}

SyntheticData make_synthetic(const SyntheticOptions& options) {
  options.validate();
  const Index p = options.dimension, c = options.outputs;

  // Population: sigma_j = j^-alpha, per-mode target energy, noise.
  SyntheticData d;
  const Matrix theta = target_coefficients(options);

  d.population.sigma.resize(p);
  for (Index j = 0; j < p; ++j) {
    d.population.sigma[j] =
        std::pow(static_cast<double>(j + 1), -options.alpha);
  }
  d.population.theta_energy = theta.rowwise().squaredNorm();
  d.coefficients = theta;
  d.population.residual =
      static_cast<double>(c) * options.noise * options.noise;

  // Features x_j = sqrt(p sigma_j) z_j, pool and test from their streams.
  const Vector scale =
      (static_cast<double>(p) * d.population.sigma).cwiseSqrt();
  d.features.resize(options.train_size, p);
  d.targets.resize(options.train_size, c);
  d.test_features.resize(options.test_size, p);
  d.test_targets.resize(options.test_size, c);
  draw_rows(options, kPoolStream, scale, theta, d.features, d.targets);
  draw_rows(
      options, kTestStream, scale, theta, d.test_features, d.test_targets);
  return d;
}

}  // namespace rmtlens
