// Internal: what every ridge of one decomposed size costs, shared by the
// single-process sweep and the distributed one (src/mpi/sweep.cpp) so the
// two compute the same numbers by the same code.
#pragma once

#include "rmtlens/sweep.hpp"
#include "rmtlens/targets.hpp"
#include "rmtlens/types.hpp"
#include "rmtlens/uncertainty.hpp"

#include <vector>

namespace rmtlens::detail {

// Per-ridge spectral weights s_i = d_i / (d_i + N lambda), 1 - s_i and
// g_i = 1 / (d_i + N lambda). At lambda = 0 the min-norm interpolant uses
// the pseudo-inverse: eigenvalues at or below the rank tolerance
// (d_max * N * eps, NumPy's matrix_rank rule) count as zero.
struct RidgeWeights {
  Vector s;
  Vector one_minus_s;  // computed directly, never as 1 - s
  Vector g;
  bool full_rank = true;  // every eigenvalue contributes (always if > 0)
};

// d: the r <= n eigenvalues, clipped at 0; n: the training size N.
RidgeWeights ridge_weights(const Vector& d, Index n, double ridge);

// train, df and GCV of one ridge in O(r): energy_i = |B_i|^2 (r), and
// residual_energy = |Y|^2 outside span(V), whose n - r directions have
// s = 0 (DESIGN section 1).
void fill_training_quantities(const Vector& energy,
                              double residual_energy,
                              Index n,
                              const RidgeWeights& w,
                              SweepRow& row);

// test MSE and error with their standard errors from one ridge's
// predictions (M x C). The per-point losses go to `losses` (M x 1, or
// M x 2 with the argmax mismatch for classification) for the bootstrap.
void fill_test_quantities(const Matrix& predictions,
                          const Targets& test,
                          SweepRow& row,
                          Eigen::Ref<Matrix> losses);

// The leverage spread and GCV's verdict of one ridge from the slacks
// 1 - h_n (N), after row.gcv and row.loo are set (uncertainty.hpp).
void fill_leverage_columns(const Vector& one_minus_h,
                           const GcvTrustRule& rule,
                           SweepRow& row);

// Percentile bootstrap intervals of every ridge's test MSE (and error) at
// once, from the per-point losses of all ridges side by side (M x k per
// ridge, ridge-major columns).
void fill_test_intervals(const Matrix& losses,
                         const BootstrapOptions& options,
                         std::vector<SweepRow>& rows);

}  // namespace rmtlens::detail
