// The random-matrix layer: the deterministic equivalent of kernel ridge
// regression, the theories it is compared with, and the local-law
// diagnostic. Definitions: shared DESIGN.md section 1, "Deterministic
// equivalent" and "Theories to compare against the measured test risk".
//
// A spectrum is a list of eigenvalues sigma_i of the kernel operator with
// the target energy |theta_i|^2 carried by each (summed over outputs) and a
// residual energy eps^2 no eigenfunction carries. Entries may stand for
// several modes at once (a multiplicity), so a power-law tail of 10^15
// modes costs a few hundred entries. Every prediction for one (N, lambda)
// costs O(entries) per solver iteration; nothing is ever O(entries^2).
//
//   PopulationSpectrum pop = population_from_sample(
//       spectrum.eigenvalues, energy, residual, pool_size);
//   RiskPrediction e = deterministic_equivalent(pop, 1000.0, 1e-3);
//   if (e.converged) use(e.kappa, e.test, e.train);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rmtlens/sweep.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// Eigenvalues of the kernel operator and the target's energy along each
// eigenfunction. Estimated from a sample of P points as sigma_i = d_i / P,
// |theta_i|^2 = |V_i^T Y|^2 / P, eps^2 = (|Y|^2 - sum_i |V_i^T Y|^2) / P
// (DESIGN section 1).
struct PopulationSpectrum {
  Vector sigma;         // eigenvalues, descending, >= 0 (m entries)
  Vector theta_energy;  // |theta_i|^2 summed over outputs, >= 0 (m)
  // Modes each entry stands for, > 0 and possibly fractional (m); empty
  // means one mode per entry. theta_energy is the group's total.
  Vector multiplicity;
  double residual = 0.0;         // eps^2 >= 0, energy outside every mode
  std::int64_t sample_size = 0;  // P it was estimated from; 0 = exact

  Index entries() const { return sigma.size(); }
  double modes(Index i) const {
    return multiplicity.size() == 0 ? 1.0 : multiplicity[i];
  }
  double signal_energy() const { return theta_energy.sum(); }
  double rank() const;   // modes with sigma > 0
  double trace() const;  // sum of modes * sigma

  // Throws InputError naming `name` on an empty spectrum, mismatched
  // lengths, a negative, non-finite or ascending entry, a multiplicity
  // <= 0 or a negative residual.
  void validate(const std::string& name = "population spectrum") const;
};

// From the decomposition of a P-point sample: eigenvalues d of the P x P
// kernel block (descending, clipped at 0; fewer than P when the route was
// primal), target_energy |V_i^T Y|^2 summed over outputs, and the target
// energy outside the span of the V_i (negative round-off is clipped).
// Eigenvalues d_i <= m eps d_1 (m entries) are round-off of a null
// direction: they are dropped and their target energy joins the residual,
// so a rank-deficient kernel has the same spectrum on either route.
PopulationSpectrum population_from_sample(const Vector& eigenvalues,
                                          const Vector& target_energy,
                                          double residual_energy,
                                          std::int64_t sample_size);

// The population spectrum of a P-point sample from its kernel matrix:
// kernel P x P symmetric (moved in and used as workspace; kernel_spectrum
// decomposes it), y P x C.
PopulationSpectrum population_from_kernel(Matrix kernel, const Matrix& y);

// The same for the linear kernel F F^T / p of features F (P x p, y P x C),
// through the p x p matrix F^T F / p when p < P (O(P p^2)): its nonzero
// eigenvalues are those of K and V_i^T Y = u_i^T F^T Y / sqrt(p d_i).
// Directions with d_i <= 1e-13 d_1 count as null (energy to the residual).
PopulationSpectrum population_from_features(const Matrix& features,
                                            const Matrix& y);

// The training sample's own spectrum (the plug-in theory of DESIGN
// section 1, item 4): population_from_sample on one SizeResult.
PopulationSpectrum plugin_spectrum(const SizeResult& size);

struct EffectiveRidgeOptions {
  // Convergence: the bracket on log kappa is narrower than this, i.e. a
  // relative accuracy of about 1e-12 in kappa. Tighter is wasted: the
  // sums over millions of entries carry relative round-off near 1e-14.
  double log_tolerance = 1e-12;
  // Safeguarded Newton steps (each one pass over the spectrum), 1..10000.
  // Typical solves take 5-15; bisection alone needs at most ~110.
  int max_iterations = 200;

  void validate() const;  // throws InputError naming the field
};

// The effective ridge kappa for size N and ridge lambda: the root of
//   lambda = kappa (1 - (1/N) sum_i sigma_i / (sigma_i + kappa))
// (DESIGN section 1). The right side increases with kappa wherever the
// bracket is positive, so the root is unique; it lies in
// [lambda, lambda + tr(sigma) / N].
//
// lambda = 0 is the limit lambda -> 0+: when the spectrum has more than N
// modes, kappa > 0 solves (1/N) sum_i sigma_i / (sigma_i + kappa) = 1;
// otherwise (N >= rank) kappa = 0, the ridgeless regressor fits the
// rank-dimensional model exactly and the variance factor becomes
// 1 / (1 - rank / N), infinite at N = rank (the interpolation peak).
struct EffectiveRidge {
  double kappa = kNaN;  // >= 0
  double df1 = kNaN;    // sum_i m_i sigma_i / (sigma_i + kappa)
  double df2 = kNaN;    // sum_i m_i sigma_i^2 / (sigma_i + kappa)^2
  // lambda / kappa = 1 - df1 / N, computed without cancellation where
  // possible; at kappa = 0 it is the limit 1 - rank / N.
  double shrinkage = kNaN;
  // 1 - df2 / N, as shrinkage + (kappa / N) sum_i m_i sigma_i /
  // (sigma_i + kappa)^2: a sum of non-negative terms, accurate near the
  // interpolation threshold; 1 - rank / N at kappa = 0.
  double variance_gap = kNaN;
  int iterations = 0;
  bool converged = false;
  std::string message;  // why it did not converge; empty otherwise
};

// sigma: descending, >= 0 (m); multiplicity: empty or m entries > 0;
// n > 0 (real-valued sizes are allowed for learning curves); lambda >= 0.
// Throws InputError on invalid arguments; non-convergence is a status.
EffectiveRidge solve_effective_ridge(const Vector& sigma,
                                     const Vector& multiplicity,
                                     double n,
                                     double lambda,
                                     const EffectiveRidgeOptions& options = {});

// The deterministic-equivalent prediction at (N, lambda):
//   E = [sum_i kappa^2 |theta_i|^2 / (sigma_i + kappa)^2 + eps^2]
//       / (1 - (1/N) sum_i sigma_i^2 / (sigma_i + kappa)^2)
// and the training error (lambda / kappa)^2 E (DESIGN section 1). Modes
// with sigma = 0 are never learned: their energy enters the bias whole.
struct RiskPrediction {
  double test = kNaN;   // predicted test risk, +inf at an interpolation peak
  double train = kNaN;  // predicted training error
  double bias = kNaN;   // numerator without eps^2
  double variance_factor = kNaN;  // 1 / (1 - df2 / N)
  double kappa = kNaN;
  bool converged = false;
  std::string message;
};

RiskPrediction deterministic_equivalent(
    const PopulationSpectrum& population,
    double n,
    double lambda,
    const EffectiveRidgeOptions& options = {});

// The empirical effective ridge of DESIGN section 1's local-law diagnostic:
// 1 / ((1/N) tr (K/N + lambda I)^-1). eigenvalues: d of the N x N block
// (descending, >= 0, up to N entries; missing ones are zeros, as on the
// primal route). Returns 0 when lambda = 0 and K is singular.
double empirical_effective_ridge(const Vector& eigenvalues,
                                 std::int64_t n,
                                 double lambda);

// Isotropic (Marchenko-Pastur) model: r = (tr sigma)^2 / tr sigma^2 modes
// (the participation ratio, an effective rank) of equal eigenvalue
// s = tr sigma / r, carrying the whole signal energy evenly, plus eps^2.
// It keeps the trace, the effective rank, the signal and the noise of the
// spectrum and nothing else, so two representations with the same four
// numbers get the same prediction.
struct IsotropicModel {
  double eigenvalue = kNaN;      // s > 0
  double effective_rank = kNaN;  // r > 0, real-valued
  double signal = kNaN;          // sum_i |theta_i|^2
  double noise = kNaN;           // eps^2
};
IsotropicModel isotropic_model(const PopulationSpectrum& population);

// Closed form of the deterministic equivalent for the isotropic model:
// kappa is the positive root of kappa^2 + (s (1 - r/N) - lambda) kappa
// - lambda s = 0 (the Marchenko-Pastur Stieltjes transform), then the risk
// formula above with r modes of eigenvalue s.
RiskPrediction isotropic_risk(const IsotropicModel& model,
                              double n,
                              double lambda);

// A classical norm-based uniform-convergence bound, per DESIGN section 1,
// item 6. For the squared loss summed over C outputs and the ball
// |f|_H <= B, with R^2 = sup_x k(x, x) and Y = max |y_ic|, with
// probability 1 - delta:
//   test <= train + 4 (R B^2 + sqrt(C) Y B) sqrt(tr K) / N
//                 + 3 (R B + sqrt(C) Y)^2 sqrt(ln(2 / delta) / (2 N)).
// Sources: empirical Rademacher complexity of the RKHS ball
// B sqrt(tr K) / N (Bartlett and Mendelson 2002, Lemma 22); Talagrand's
// contraction with Lipschitz constant 2 (B_c R + Y) per output and the
// bound E g <= E_N g + 2 Rad + 3 M sqrt(ln(2/delta) / (2N)) for losses in
// [0, M] (Mohri, Rostamizadeh and Talwalkar 2018, Theorem 3.3 and Lemma
// 5.7); sum_c B_c <= sqrt(C) B. B is the fitted predictor's own norm,
// B^2 = sum_i d_i |B_i|^2 / (d_i + N lambda)^2; the union bound over
// radii that this data-dependent choice strictly needs is left out, which
// only makes the bound smaller.
struct ClassicalBoundConstants {
  double max_kernel_diagonal = kNaN;  // R^2 = max k(x, x) over the pool
  double max_abs_target = kNaN;       // Y = max |y_ic| over the pool
  std::int64_t outputs = 1;           // C >= 1
  double delta = 0.05;                // confidence 1 - delta, in (0, 1)

  void validate() const;  // throws InputError naming the field
};

// size: the training block's spectrum; train_mse: its measured training
// error at `lambda` (>= 0). NaN when the constants are NaN.
double classical_bound(const SizeResult& size,
                       double train_mse,
                       double lambda,
                       const ClassicalBoundConstants& constants);

struct TheoryOptions {
  EffectiveRidgeOptions solver;
  // For classical_bound; NaN fields leave the column NaN.
  ClassicalBoundConstants bound;

  void validate() const;
};

// Fills de_population, de_plugin, isotropic, classical_bound,
// kappa_empirical and kappa_population of every row of `result`, using
// result.sizes for the plug-in spectra. Cost per row: O(entries of the
// population) per solver iteration plus O(N). Outcomes worth reading (a
// solve that did not converge, a population sample not much larger than
// the largest N, an interpolation peak) are appended to result.notes.
void add_theory_columns(SweepResult& result,
                        const PopulationSpectrum& population,
                        const TheoryOptions& options = {});

// Median, 90th percentile (linear interpolation between order statistics,
// as summarize_relative_error) and maximum of `values`; count 0 and NaNs
// when empty. Non-finite values must be filtered out by the caller.
ErrorSummary summarize_values(std::vector<double> values);

// |kappa_empirical - kappa_population| / kappa_population over the rows
// where both are finite and kappa_population > 0.
ErrorSummary summarize_kappa_gap(const SweepResult& result);

// The estimators and theories compared against the test risk, by column
// name: gcv, loo, de_population, de_plugin, isotropic, classical_bound.
std::vector<std::pair<std::string, std::function<double(const SweepRow&)>>>
theory_columns();

// Does a theory rank two representations as the test risk does? Rows are
// matched by (n, ridge); points where the estimate or the test risk of
// either is not finite and positive are skipped.
struct OrderingCheck {
  std::int64_t points = 0;  // grid points compared
  double agreement = kNaN;  // fraction where the sign of the difference
                            // matches the test risk's
  // The sign of the mean log ratio a/b of the estimate matches the test
  // risk's: the theory picks the same representation over the grid.
  bool orders_correctly = false;
};
OrderingCheck check_ordering(
    const SweepResult& a,
    const SweepResult& b,
    const std::function<double(const SweepRow&)>& estimate);

}  // namespace rmtlens
