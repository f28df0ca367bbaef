// The exact kernel-ridge sweep over nested sample sizes and ridges.
//
// For each size N (the first N rows of one seeded permutation of the pool)
// the N x N kernel block is decomposed once, K = V diag(d) V^T; every ridge
// then costs O(N C) for the training quantities and one share of a batched
// GEMM for the test predictions. Definitions: shared DESIGN.md section 1.
//
//   SweepOptions options;
//   options.sizes = {250, 500, 1000};
//   options.ridges = {0.0, 1e-4, 1e-2};
//   SweepResult r = sweep_kernel(std::move(k), k_test, y, y_test, options);
//   for (const SweepRow& row : r.rows) use(row.n, row.ridge, row.gcv);
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "rmtlens/targets.hpp"
#include "rmtlens/types.hpp"
#include "rmtlens/uncertainty.hpp"

namespace rmtlens {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// LAPACK here takes 32-bit integers: an N x N block must have fewer than
// 2^31 entries.
constexpr std::int64_t kLargestLapackSize = 46340;

struct SweepOptions {
  // Training sizes, 1 <= n <= pool size; sorted and deduplicated by
  // validate(). Each is a leading block of the permuted pool.
  std::vector<std::int64_t> sizes;
  // Ridges lambda >= 0, scaled by N as in (K + N lambda I); 0 is the
  // min-norm interpolant.
  std::vector<double> ridges;
  // Exact leave-one-out: needs the eigenvectors themselves (one more
  // O(N^3) back-transformation), so it is on request.
  bool loo = false;
  // Shuffle the pool once with `seed` before taking leading blocks; off
  // keeps the file's order.
  bool shuffle = true;
  std::uint64_t seed = 0;
  // Intervals of the test risk over test points (docs/uncertainty.md).
  BootstrapOptions bootstrap;
  // Flags the (N, lambda) where GCV should not be read (needs loo).
  GcvTrustRule gcv_rule;

  // Sorts and deduplicates; throws InputError on an empty grid, a size
  // outside [1, pool_size] or a negative or non-finite ridge.
  void validate(std::int64_t pool_size);
};

// One (n, ridge) point. Quantities that were not computed are NaN.
struct SweepRow {
  std::int64_t n = 0;
  double ridge = 0.0;
  double train_mse = kNaN;      // (1/N) |Y - f(X)|^2
  double gcv = kNaN;            // train / (1 - df/N)^2; NaN when df = N
  double loo = kNaN;            // exact leave-one-out risk (--loo)
  double test_mse = kNaN;       // (1/M) |f(X*) - Y*|^2
  double test_error = kNaN;     // argmax mismatch rate (classification only)
  double df = kNaN;             // sum_i d_i / (d_i + N lambda)
  double test_mse_se = kNaN;    // standard error of test_mse over test points
  double test_error_se = kNaN;  // standard error of test_error
  // Percentile bootstrap intervals over test points (options.bootstrap).
  double test_mse_lo = kNaN;
  double test_mse_hi = kNaN;
  double test_error_lo = kNaN;
  double test_error_hi = kNaN;

  // Training-data diagnostics of the estimators. The leverages
  // h_n = [K (K + N lambda I)^-1]_nn need the eigenvectors (loo).
  double df_fraction = kNaN;    // df / N, always
  double leverage_cv = kNaN;    // sd(h) / mean(h)
  double leverage_max = kNaN;   // max_n h_n
  double slack_cv = kNaN;       // sd(1 - h) / (1 - df/N)
  double gcv_loo_ratio = kNaN;  // gcv / loo
  double gcv_trusted = kNaN;    // 1 or 0 by options.gcv_rule; NaN: unassessed

  // Theory layer (theory.hpp fills these; NaN until it runs).
  double de_population = kNaN;     // deterministic equivalent, pool spectrum
  double de_plugin = kNaN;         // the same, training sample's spectrum
  double isotropic = kNaN;         // Marchenko-Pastur, matched trace/rank
  double classical_bound = kNaN;   // norm-based uniform-convergence bound
  double kappa_empirical = kNaN;   // 1 / ((1/N) tr (K/N + lambda I)^-1)
  double kappa_population = kNaN;  // kappa solved on the pool spectrum
};

// What one decomposition produced, kept for the spectral and theory layers.
struct SizeResult {
  std::int64_t n = 0;
  Vector eigenvalues;    // d of the N x N block, descending, clipped at 0
  Vector target_energy;  // |B_i|^2 = |V_i^T Y|^2 summed over outputs
  double residual_energy = 0.0;           // |Y|^2 outside the span of the V_i
  double most_negative_eigenvalue = 0.0;  // before clipping; 0 if none
  double decompose_seconds = 0.0;
  double evaluate_seconds = 0.0;
};

struct SweepResult {
  std::vector<SweepRow> rows;  // size-major, ridges in the order given
  std::vector<SizeResult> sizes;
  std::vector<std::int64_t> order;  // the pool permutation used
  std::int64_t pool_size = 0;
  std::int64_t test_size = 0;
  std::int64_t outputs = 0;
  bool classification = false;
  BootstrapOptions bootstrap;  // as used for the intervals
  GcvTrustRule gcv_rule;
  std::string route;               // "kernel" or "primal"
  std::vector<std::string> notes;  // numerical outcomes worth reading
  double seconds = 0.0;
};

// Reports (step description, fraction done in [0, 1]).
using Progress = std::function<void(const std::string&, double)>;

// Sweep on a precomputed kernel. pool_kernel: Npool x Npool symmetric
// (taken by value so the caller can move it in and its memory is released
// before the largest decomposition). test_kernel: M x Npool. train: Npool
// rows, test: M rows, same outputs C. Inputs are assumed validated
// (check_kernel_inputs).
SweepResult sweep_kernel(Matrix pool_kernel,
                         const Matrix& test_kernel,
                         const Targets& train,
                         const Targets& test,
                         const SweepOptions& options,
                         const Progress& progress = {});

// Sweep for the linear kernel F F^T / p computed in the primal: decomposes
// the p x p matrix F^T F / p, O(N p^2) per size. features: Npool x p,
// test_features: M x p.
SweepResult sweep_linear_features(const Matrix& features,
                                  const Matrix& test_features,
                                  const Targets& train,
                                  const Targets& test,
                                  const SweepOptions& options,
                                  const Progress& progress = {});

// Per size: the ridge that minimises GCV (ties: the larger ridge), the test
// risk there, and the best test risk over the grid.
struct RidgeChoice {
  std::int64_t n = 0;
  double gcv_ridge = kNaN;
  double test_at_gcv_ridge = kNaN;
  double best_ridge = kNaN;
  double best_test = kNaN;
  bool at_grid_edge = false;  // GCV's minimum sits on the first/last ridge
};
std::vector<RidgeChoice> choose_ridges(const SweepResult& result);

// |estimate - test| / test over the rows where both are finite and the
// test risk is resolved by `rule` (its interval: test_mse_interval).
struct ErrorSummary {
  std::int64_t count = 0;
  double median = kNaN;
  double p90 = kNaN;
  double max = kNaN;
  std::int64_t unresolved = 0;  // rows left out: test risk not resolved
  std::int64_t inside = 0;      // counted rows with the estimate inside
};
ErrorSummary summarize_relative_error(
    const SweepResult& result,
    const std::function<double(const SweepRow&)>& estimate,
    const ResolutionRule& rule = {});

// The interval of a row's test MSE (test error): the bootstrap one when it
// was computed, else test -/+ z se at `level`.
Interval test_mse_interval(const SweepRow& row, double level = 0.95);
Interval test_error_interval(const SweepRow& row, double level = 0.95);

// The seeded permutation of 0..n-1 used for nested sizes: Fisher-Yates
// driven by a 64-bit Mersenne Twister, identical on every platform.
std::vector<std::int64_t> seeded_permutation(std::int64_t n,
                                             std::uint64_t seed);

}  // namespace rmtlens
