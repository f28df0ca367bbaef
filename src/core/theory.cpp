// The deterministic equivalent and the theories compared with it (DESIGN
// section 1), and the pass that fills a sweep's theory columns.
#include "rmtlens/theory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>

namespace rmtlens {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = std::numeric_limits<double>::epsilon();

// Risk from a solved effective ridge (DESIGN section 1):
// E = (bias + eps^2) / (1 - df2/N), train = (lambda/kappa)^2 E.
RiskPrediction risk_from_ridge(const EffectiveRidge& k,
                               double bias,
                               double noise) {
  RiskPrediction out;
  out.kappa = k.kappa;
  out.bias = bias;
  out.converged = k.converged;
  out.message = k.message;
  const double numerator = bias + noise;
  if (numerator == 0.0) {
    out.test = 0.0;
    out.variance_factor = k.variance_gap > 0.0 ? 1.0 / k.variance_gap : kInf;
  } else if (k.variance_gap > 0.0) {
    out.variance_factor = 1.0 / k.variance_gap;
    out.test = numerator * out.variance_factor;
  } else {
    out.variance_factor = kInf;
    out.test = kInf;
    out.message = "interpolation peak: N equals the rank, ridgeless";
  }
  out.train = k.shrinkage == 0.0 ? 0.0 : k.shrinkage * k.shrinkage * out.test;
  return out;
}

// sum_i |theta_i|^2 kappa^2 / (sigma_i + kappa)^2; a mode with sigma = 0
// is never learned and keeps its whole energy, even at kappa = 0.
double bias_sum(const PopulationSpectrum& p, double kappa) {
  double bias = 0.0;
  for (Index i = 0; i < p.entries(); ++i) {
    const double s = p.sigma[i];
    const double w = s == 0.0 ? 1.0 : kappa / (s + kappa);
    bias += p.theta_energy[i] * w * w;
  }
  return bias;
}

// deterministic_equivalent without re-validating the spectrum.
RiskPrediction de_unchecked(const PopulationSpectrum& p,
                            double n,
                            double lambda,
                            const EffectiveRidgeOptions& options) {
  const EffectiveRidge k =
      solve_effective_ridge(p.sigma, p.multiplicity, n, lambda, options);
  return risk_from_ridge(k, bias_sum(p, k.kappa), p.residual);
}

}  // namespace

PopulationSpectrum population_from_sample(const Vector& eigenvalues,
                                          const Vector& target_energy,
                                          double residual_energy,
                                          std::int64_t sample_size) {
  if (sample_size < 1) {
    throw InputError("population sample size = " + std::to_string(sample_size) +
                     " (must be >= 1)");
  }
  if (eigenvalues.size() != target_energy.size()) {
    throw InputError("population: " + std::to_string(eigenvalues.size()) +
                     " eigenvalues but " +
                     std::to_string(target_energy.size()) + " target energies");
  }

  // Eigenvalues within the eigensolver's absolute error m eps d_1 of zero
  // (DSYTRD + DSTEMR: O(m eps |K|)) are null directions: a rank-deficient
  // kernel's round-off must not count as rank. Their energy is unlearnable
  // and joins the residual, as on the primal route.
  const Index m = eigenvalues.size();
  const double top = m > 0 ? std::max(eigenvalues.maxCoeff(), 0.0) : 0.0;
  const double floor = static_cast<double>(m) * kEps * top;
  Index kept = 0;
  while (kept < m && eigenvalues[kept] > floor) ++kept;
  const double null_energy = target_energy.tail(m - kept).cwiseMax(0.0).sum();

  // sigma_i = d_i / P, |theta_i|^2 = |V_i^T Y|^2 / P (DESIGN section 1).
  const double p = static_cast<double>(sample_size);
  PopulationSpectrum out;
  out.sigma = eigenvalues.head(std::max<Index>(kept, 1)).cwiseMax(0.0) / p;
  out.theta_energy = target_energy.head(kept).cwiseMax(0.0) / p;
  if (kept == 0) {
    out.sigma.setZero();
    out.theta_energy = Vector::Zero(1);
  }
  out.residual = (std::max(residual_energy, 0.0) + null_energy) / p;
  out.sample_size = sample_size;
  out.validate("population spectrum");
  return out;
}

PopulationSpectrum plugin_spectrum(const SizeResult& size) {
  return population_from_sample(
      size.eigenvalues, size.target_energy, size.residual_energy, size.n);
}

RiskPrediction deterministic_equivalent(const PopulationSpectrum& population,
                                        double n,
                                        double lambda,
                                        const EffectiveRidgeOptions& options) {
  population.validate();
  return de_unchecked(population, n, lambda, options);
}

double empirical_effective_ridge(const Vector& eigenvalues,
                                 std::int64_t n,
                                 double lambda) {
  if (n < 1 || eigenvalues.size() > n) {
    throw InputError("empirical effective ridge: n = " + std::to_string(n) +
                     " with " + std::to_string(eigenvalues.size()) +
                     " eigenvalues (need 1 <= eigenvalues <= n)");
  }

  // (1/N) tr (K/N + lambda I)^-1, the missing eigenvalues being zeros.
  const double nd = static_cast<double>(n);
  const double zeros = nd - static_cast<double>(eigenvalues.size());
  double trace = 0.0;
  for (Index i = 0; i < eigenvalues.size(); ++i) {
    const double shifted = std::max(eigenvalues[i], 0.0) / nd + lambda;
    if (shifted == 0.0) return 0.0;
    trace += 1.0 / shifted;
  }
  if (zeros > 0.0) {
    if (lambda == 0.0) return 0.0;
    trace += zeros / lambda;
  }
  return nd / trace;
}

IsotropicModel isotropic_model(const PopulationSpectrum& population) {
  population.validate();
  double t1 = 0.0, t2 = 0.0;
  for (Index i = 0; i < population.entries(); ++i) {
    const double m = population.modes(i), s = population.sigma[i];
    t1 += m * s;
    t2 += m * s * s;
  }

  // Participation ratio r = (tr)^2 / tr(sigma^2) and s = tr / r.
  IsotropicModel out;
  out.signal = population.signal_energy();
  out.noise = population.residual;
  if (t2 > 0.0) {
    out.effective_rank = t1 * t1 / t2;
    out.eigenvalue = t2 / t1;
  } else {
    out.effective_rank = 0.0;
    out.eigenvalue = 0.0;
  }
  return out;
}

RiskPrediction isotropic_risk(const IsotropicModel& model,
                              double n,
                              double lambda) {
  if (!(n > 0.0) || !(lambda >= 0.0) || !std::isfinite(lambda)) {
    throw InputError("isotropic risk: n = " + std::to_string(n) +
                     ", lambda = " + std::to_string(lambda) +
                     " (need n > 0, lambda >= 0)");
  }
  const double s = model.eigenvalue, r = model.effective_rank;
  EffectiveRidge k;
  k.converged = true;
  if (!(s > 0.0) || !(r > 0.0)) {
    k.kappa = lambda;
    k.shrinkage = 1.0;
    k.variance_gap = 1.0;
    return risk_from_ridge(k, model.signal, model.noise);
  }

  // Positive root of kappa^2 + b kappa - lambda s = 0, b = s(1 - r/N) -
  // lambda, in the form without cancellation for either sign of b.
  const double q = r / n;
  const double b = s * (1.0 - q) - lambda;
  const double root = std::sqrt(b * b + 4.0 * lambda * s);
  k.kappa = b > 0.0 ? 2.0 * lambda * s / (b + root) : 0.5 * (root - b);

  // 1 - df2/N = lambda/kappa + (kappa/N) r s / (s + kappa)^2, as in
  // EffectiveRidge::variance_gap.
  if (k.kappa == 0.0) {
    k.shrinkage = q >= 1.0 ? 0.0 : 1.0 - q;
    k.variance_gap = k.shrinkage;
  } else {
    k.shrinkage = lambda / k.kappa;
    k.variance_gap =
        k.shrinkage + k.kappa * q * s / ((s + k.kappa) * (s + k.kappa));
  }
  const double w = k.kappa / (s + k.kappa);
  return risk_from_ridge(k, model.signal * w * w, model.noise);
}

void ClassicalBoundConstants::validate() const {
  const auto nan_or_nonnegative = [](double v) {
    return std::isnan(v) || (std::isfinite(v) && v >= 0.0);
  };
  if (!nan_or_nonnegative(max_kernel_diagonal)) {
    throw InputError("classical bound max_kernel_diagonal = " +
                     std::to_string(max_kernel_diagonal) +
                     " (must be finite and >= 0, or NaN to skip)");
  }
  if (!nan_or_nonnegative(max_abs_target)) {
    throw InputError(
        "classical bound max_abs_target = " + std::to_string(max_abs_target) +
        " (must be finite and >= 0, or NaN to skip)");
  }
  if (outputs < 1) {
    throw InputError("classical bound outputs = " + std::to_string(outputs) +
                     " (must be >= 1)");
  }
  if (!(delta > 0.0 && delta < 1.0)) {
    throw InputError("classical bound delta = " + std::to_string(delta) +
                     " (must be in (0, 1))");
  }
}

double classical_bound(const SizeResult& size,
                       double train_mse,
                       double lambda,
                       const ClassicalBoundConstants& constants) {
  constants.validate();
  if (std::isnan(constants.max_kernel_diagonal) ||
      std::isnan(constants.max_abs_target) || !std::isfinite(train_mse)) {
    return kNaN;
  }

  // B^2 = |f|_H^2 = sum_i d_i |B_i|^2 / (d_i + N lambda)^2 and tr K.
  const double n = static_cast<double>(size.n);
  double norm2 = 0.0, trace = 0.0;
  for (Index i = 0; i < size.eigenvalues.size(); ++i) {
    const double d = size.eigenvalues[i];
    if (!(d > 0.0)) continue;
    const double denom = d + n * lambda;
    norm2 += d * size.target_energy[i] / (denom * denom);
    trace += d;
  }

  // The bound of theory.hpp: Rademacher term plus concentration term.
  const double b = std::sqrt(norm2);
  const double r = std::sqrt(constants.max_kernel_diagonal);
  const double y = std::sqrt(static_cast<double>(constants.outputs)) *
                   constants.max_abs_target;
  const double complexity = 4.0 * (r * norm2 + y * b) * std::sqrt(trace) / n;
  const double range = (r * b + y) * (r * b + y);
  const double confidence =
      3.0 * range * std::sqrt(std::log(2.0 / constants.delta) / (2.0 * n));
  return train_mse + complexity + confidence;
}

void TheoryOptions::validate() const {
  solver.validate();
  bound.validate();
}

namespace {

// Counts of outcomes over the rows, turned into notes at the end.
struct TheoryTally {
  std::int64_t unconverged = 0;
  std::int64_t peaks = 0;
  std::string first_failure;

  void record(const RiskPrediction& p) {
    if (!p.converged) {
      ++unconverged;
      if (first_failure.empty()) first_failure = p.message;
    }
    if (std::isinf(p.test)) ++peaks;
  }
};

void fill_row(SweepRow& row,
              const SizeResult* size,
              const PopulationSpectrum* plugin,
              const PopulationSpectrum& population,
              const IsotropicModel& isotropic,
              const TheoryOptions& options,
              TheoryTally& tally) {
  const double n = static_cast<double>(row.n);
  const RiskPrediction pop =
      de_unchecked(population, n, row.ridge, options.solver);
  tally.record(pop);
  row.de_population = pop.test;
  row.kappa_population = pop.kappa;
  row.isotropic = isotropic_risk(isotropic, n, row.ridge).test;
  if (size == nullptr) return;

  const RiskPrediction own =
      de_unchecked(*plugin, n, row.ridge, options.solver);
  tally.record(own);
  row.de_plugin = own.test;
  row.kappa_empirical =
      empirical_effective_ridge(size->eigenvalues, size->n, row.ridge);
  row.classical_bound =
      classical_bound(*size, row.train_mse, row.ridge, options.bound);
}

void add_theory_notes(SweepResult& result,
                      const PopulationSpectrum& population,
                      const TheoryTally& tally) {
  std::int64_t largest = 0;
  for (const SweepRow& row : result.rows) largest = std::max(largest, row.n);
  if (population.sample_size > 0 && population.sample_size < 2 * largest) {
    std::ostringstream out;
    out << "theory: the population spectrum comes from P = "
        << population.sample_size << " points, less than twice the largest N"
        << " = " << largest << "; de_population is then close to de_plugin";
    result.notes.push_back(out.str());
  }
  if (tally.unconverged > 0) {
    result.notes.push_back("theory: " + std::to_string(tally.unconverged) +
                           " effective-ridge solves did not converge; first: " +
                           tally.first_failure);
  }
  if (tally.peaks > 0) {
    result.notes.push_back(
        "theory: " + std::to_string(tally.peaks) +
        " predictions are infinite (ridgeless at N = rank, the "
        "interpolation peak)");
  }
}

}  // namespace

void add_theory_columns(SweepResult& result,
                        const PopulationSpectrum& population,
                        const TheoryOptions& options) {
  options.validate();
  population.validate();
  const IsotropicModel isotropic = isotropic_model(population);

  // One plug-in spectrum per decomposed size.
  std::map<std::int64_t, Index> by_size;
  std::vector<PopulationSpectrum> plugins;
  for (const SizeResult& size : result.sizes) {
    by_size[size.n] = static_cast<Index>(plugins.size());
    plugins.push_back(plugin_spectrum(size));
  }

  TheoryTally tally;
  for (SweepRow& row : result.rows) {
    const auto found = by_size.find(row.n);
    const bool has = found != by_size.end();
    fill_row(row,
             has ? &result.sizes[found->second] : nullptr,
             has ? &plugins[found->second] : nullptr,
             population,
             isotropic,
             options,
             tally);
  }
  add_theory_notes(result, population, tally);
}

}  // namespace rmtlens
