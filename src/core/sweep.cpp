#include "rmtlens/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "eigensystem.hpp"
#include "ridge_path.hpp"

namespace rmtlens {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------
// The decomposed training block, in the form every ridge needs.

struct SpectralModel {
  Index n = 0;                   // training size N
  Vector d;                      // eigenvalues, descending, clipped at 0 (r)
  Matrix b;                      // B = V^T Y (r x C)
  double residual_energy = 0.0;  // |Y - V B|^2: Y outside span(V)
  double most_negative = 0.0;
  // Test predictions K* V c for coefficients c (r x k): M x k.
  std::function<Matrix(const Matrix&)> predict;
  // V (N x r) when exact LOO was requested, else null.
  const Matrix* vectors = nullptr;
  Matrix y_perp;  // Y - V B (N x C), only when r < N and LOO is on
};

using detail::fill_test_quantities;
using detail::ridge_weights;
using detail::RidgeWeights;

// train, df and GCV of one ridge from the spectrum alone, O(r C).
void fill_training_quantities(const SpectralModel& m,
                              const RidgeWeights& w,
                              SweepRow& row) {
  detail::fill_training_quantities(
      m.b.rowwise().squaredNorm(), m.residual_energy, m.n, w, row);
}

// ---------------------------------------------------------------------------
// Exact leave-one-out (Allen 1974; DESIGN section 1): the LOO residual of
// point n is r_n / (1 - h_n). Two exact forms avoid cancellation:
// - full rank: r_n / (1 - h_n) = alpha_n / G_nn with alpha = G Y and
//   G = (K + N lambda I)^-1 = V diag(g) V^T (also the lambda -> 0 limit);
// - otherwise r = V diag(1 - s) B + Y_perp, 1 - h_n = sum_i V_ni^2 (1 - s_i)
//   plus the leverage outside span(V).

double loo_full_rank(const Matrix& v,
                     const Matrix& v2,
                     const Matrix& b,
                     const RidgeWeights& w) {
  const Matrix alpha = v * (w.g.asDiagonal() * b);
  const Vector g_diag = v2 * w.g;
  return (alpha.array().colwise() / g_diag.array())
      .matrix()
      .rowwise()
      .squaredNorm()
      .mean();
}

double loo_residual_form(const SpectralModel& m,
                         const Matrix& v2,
                         const Vector& null_leverage,
                         const RidgeWeights& w) {
  const Matrix& v = *m.vectors;
  Matrix residual = v * (w.one_minus_s.asDiagonal() * m.b);
  if (m.y_perp.size() > 0) residual += m.y_perp;
  Vector one_minus_h = v2 * w.one_minus_s;
  if (null_leverage.size() > 0) one_minus_h += null_leverage;

  double total = 0.0;
  for (Index i = 0; i < residual.rows(); ++i) {
    total += residual.row(i).squaredNorm() / (one_minus_h[i] * one_minus_h[i]);
  }
  return total / static_cast<double>(residual.rows());
}

// The leverage spread (uncertainty.hpp) and GCV's verdict at one ridge,
// from the slacks 1 - h_n = sum_i V_ni^2 (1 - s_i) plus the leverage
// outside span(V): one O(N r) product, no cancellation.
void fill_leverage_diagnostics(const Matrix& v2,
                               const Vector& null_leverage,
                               const RidgeWeights& w,
                               const GcvTrustRule& rule,
                               SweepRow& row) {
  Vector one_minus_h = v2 * w.one_minus_s;
  if (null_leverage.size() > 0) one_minus_h += null_leverage;
  detail::fill_leverage_columns(one_minus_h, rule, row);
}

void fill_loo(const SpectralModel& m,
              const std::vector<RidgeWeights>& ws,
              const GcvTrustRule& rule,
              std::vector<SweepRow>& rows) {
  const Matrix& v = *m.vectors;
  const Matrix v2 = v.cwiseAbs2();
  const bool square = v.cols() == v.rows();
  Vector null_leverage;
  if (!square) {
    null_leverage = (1.0 - v2.rowwise().sum().array()).cwiseMax(0.0);
  }

  for (size_t j = 0; j < ws.size(); ++j) {
    rows[j].loo = square && ws[j].full_rank
                      ? loo_full_rank(v, v2, m.b, ws[j])
                      : loo_residual_form(m, v2, null_leverage, ws[j]);
    fill_leverage_diagnostics(v2, null_leverage, ws[j], rule, rows[j]);
  }
}

// ---------------------------------------------------------------------------
// One size: every ridge from one decomposition.

std::vector<SweepRow> evaluate_ridges(const SpectralModel& m,
                                      const Targets& test,
                                      const SweepOptions& options) {
  const std::vector<double>& ridges = options.ridges;
  const Index c = m.b.cols();
  const Index r = m.d.size();
  std::vector<SweepRow> rows(ridges.size());
  std::vector<RidgeWeights> weights;
  Matrix coefficients(r, c * static_cast<Index>(ridges.size()));

  for (size_t j = 0; j < ridges.size(); ++j) {
    weights.push_back(ridge_weights(m.d, m.n, ridges[j]));
    rows[j].n = m.n;
    rows[j].ridge = ridges[j];
    fill_training_quantities(m, weights.back(), rows[j]);
    rows[j].df_fraction = rows[j].df / static_cast<double>(m.n);
    coefficients.middleCols(static_cast<Index>(j) * c, c) =
        weights.back().g.asDiagonal() * m.b;
  }

  const Matrix predictions = m.predict(coefficients);
  const Index k = test.is_classification() ? 2 : 1;
  Matrix losses(test.size(), k * static_cast<Index>(ridges.size()));
  for (size_t j = 0; j < ridges.size(); ++j) {
    fill_test_quantities(predictions.middleCols(static_cast<Index>(j) * c, c),
                         test,
                         rows[j],
                         losses.middleCols(static_cast<Index>(j) * k, k));
  }
  detail::fill_test_intervals(losses, options.bootstrap, rows);
  if (m.vectors != nullptr) fill_loo(m, weights, options.gcv_rule, rows);
  return rows;
}

SizeResult describe_size(const SpectralModel& m) {
  SizeResult s;
  s.n = m.n;
  s.eigenvalues = Vector::Zero(m.n);
  s.target_energy = Vector::Zero(m.n);
  s.eigenvalues.head(m.d.size()) = m.d;
  s.target_energy.head(m.d.size()) = m.b.rowwise().squaredNorm();
  s.residual_energy = m.residual_energy;
  s.most_negative_eigenvalue = m.most_negative;
  return s;
}

void note_indefinite(const SizeResult& s, std::vector<std::string>& notes) {
  const double top = s.eigenvalues.size() > 0 ? s.eigenvalues[0] : 0.0;
  if (s.most_negative_eigenvalue >= -1e-10 * top) return;
  std::ostringstream note;
  note << "N=" << s.n << ": the kernel block is indefinite, most negative "
       << "eigenvalue " << s.most_negative_eigenvalue << " (largest " << top
       << "); negative eigenvalues were clipped to 0";
  notes.push_back(note.str());
}

void note_undefined_gcv(const std::vector<SweepRow>& rows,
                        std::vector<std::string>& notes) {
  for (const SweepRow& row : rows) {
    if (std::isnan(row.gcv)) {
      notes.push_back("N=" + std::to_string(row.n) + ", ridge " +
                      std::to_string(row.ridge) +
                      ": GCV is undefined (df = N, the ridgeless "
                      "interpolant fits every training point)");
    }
  }
}

// ---------------------------------------------------------------------------
// Inputs in permuted order.

// Rows and columns order[0..n) of the symmetric pool kernel.
Matrix gather_block(const Matrix& pool,
                    const std::vector<std::int64_t>& order,
                    Index n) {
  Matrix block(n, n);
  for (Index j = 0; j < n; ++j) {
    const auto source = pool.col(order[j]);
    for (Index i = 0; i < n; ++i) block(i, j) = source[order[i]];
  }
  return block;
}

Matrix gather_columns(const Matrix& m,
                      const std::vector<std::int64_t>& order,
                      Index n) {
  Matrix out(m.rows(), n);
  for (Index j = 0; j < n; ++j) out.col(j) = m.col(order[j]);
  return out;
}

Matrix gather_rows(const Matrix& m,
                   const std::vector<std::int64_t>& order,
                   Index n) {
  Matrix out(n, m.cols());
  for (Index i = 0; i < n; ++i) out.row(i) = m.row(order[i]);
  return out;
}

SweepResult start_result(Index pool_size,
                         const Targets& train,
                         const Targets& test,
                         const SweepOptions& options,
                         const std::string& route) {
  SweepResult r;
  r.pool_size = pool_size;
  r.test_size = test.size();
  r.outputs = train.outputs();
  r.classification = test.is_classification();
  r.bootstrap = options.bootstrap;
  r.gcv_rule = options.gcv_rule;
  r.route = route;
  if (options.shuffle) {
    r.order = seeded_permutation(pool_size, options.seed);
  } else {
    r.order.resize(static_cast<size_t>(pool_size));
    std::iota(r.order.begin(), r.order.end(), 0);
  }
  return r;
}

void record_size(SweepResult& result,
                 const SpectralModel& model,
                 std::vector<SweepRow> rows,
                 double decompose_seconds,
                 double evaluate_seconds) {
  SizeResult size = describe_size(model);
  size.decompose_seconds = decompose_seconds;
  size.evaluate_seconds = evaluate_seconds;
  note_indefinite(size, result.notes);
  note_undefined_gcv(rows, result.notes);
  result.sizes.push_back(std::move(size));
  result.rows.insert(result.rows.end(), rows.begin(), rows.end());
}

void report(const Progress& progress,
            const std::string& step,
            double fraction) {
  if (progress) progress(step, fraction);
}

std::string size_step(const char* verb, Index n, size_t k, size_t count) {
  return std::string(verb) + " N=" + std::to_string(n) + " (" +
         std::to_string(k + 1) + "/" + std::to_string(count) + ")";
}

// The kernel route's model: B = V^T Y and predictions K* V c through the
// factored eigensystem.
// test_block is M x n_max; its first N columns are this size's K*.
SpectralModel kernel_model(const detail::TridiagonalEigensystem& system,
                           const Matrix& y,
                           const Matrix& test_block) {
  SpectralModel m;
  m.n = system.size();
  m.d = system.eigenvalues().cwiseMax(0.0);
  m.most_negative =
      m.n > 0 ? std::min(0.0, system.eigenvalues().minCoeff()) : 0.0;
  m.b = system.project(y);
  const Index n = m.n;
  m.predict = [&system, &test_block, n](const Matrix& c) -> Matrix {
    return test_block.leftCols(n) * system.expand(c);
  };
  if (system.has_eigenvectors()) m.vectors = &system.eigenvectors();
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------

void SweepOptions::validate(std::int64_t pool_size) {
  if (sizes.empty()) throw InputError("--sizes is empty");
  if (ridges.empty()) throw InputError("--ridges is empty");
  for (std::int64_t n : sizes) {
    if (n < 1 || n > pool_size) {
      throw InputError("--sizes: " + std::to_string(n) + " is outside [1, " +
                       std::to_string(pool_size) + "], the pool size");
    }
    if (n > kLargestLapackSize) {
      throw InputError("--sizes: " + std::to_string(n) + " exceeds " +
                       std::to_string(kLargestLapackSize) +
                       ", the largest N x N block LAPACK's 32-bit indices "
                       "address; use the distributed build "
                       "(docs/scale-out.md)");
    }
  }
  for (double ridge : ridges) {
    if (!(ridge >= 0.0) || !std::isfinite(ridge)) {
      std::ostringstream s;
      s << "--ridges: " << ridge << " is not a finite number >= 0";
      throw InputError(s.str());
    }
  }
  bootstrap.validate();
  gcv_rule.validate();
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
}

SweepResult sweep_kernel(Matrix pool_kernel,
                         const Matrix& test_kernel,
                         const Targets& train,
                         const Targets& test,
                         const SweepOptions& options,
                         const Progress& progress) {
  const auto start = Clock::now();
  SweepResult result =
      start_result(pool_kernel.rows(), train, test, options, "kernel");
  const Index n_max = options.sizes.back();
  const Matrix test_block = gather_columns(test_kernel, result.order, n_max);
  const Matrix y_all = gather_rows(train.y, result.order, n_max);
  const size_t count = options.sizes.size();

  for (size_t k = 0; k < count; ++k) {
    const Index n = options.sizes[k];
    report(progress,
           size_step("decomposing", n, k, count),
           static_cast<double>(k) / count);
    const auto t0 = Clock::now();
    Matrix block = gather_block(pool_kernel, result.order, n);
    // The pool is not needed after the last block: free it before the
    // largest decomposition so peak memory stays at two N x N matrices.
    if (k + 1 == count) pool_kernel.resize(0, 0);

    detail::TridiagonalEigensystem system(std::move(block));
    if (options.loo) system.form_eigenvectors();
    const double decompose_seconds = seconds_since(t0);

    report(progress,
           size_step("evaluating ridges at", n, k, count),
           (k + 0.9) / count);
    const auto t1 = Clock::now();
    const Matrix y = y_all.topRows(n);
    const SpectralModel model = kernel_model(system, y, test_block);
    std::vector<SweepRow> rows = evaluate_ridges(model, test, options);
    record_size(
        result, model, std::move(rows), decompose_seconds, seconds_since(t1));
  }

  report(progress, "done", 1.0);
  result.seconds = seconds_since(start);
  return result;
}

namespace {

// The primal route for K = F F^T / p with p < N: F^T F / p = U diag(d) U^T
// shares K's nonzero eigenvalues, V = F U diag(1 / sqrt(p d)) and
// K* V = F* U diag(sqrt(d / p)).
struct PrimalBlock {
  Matrix u;  // p x r, eigenvectors with eigenvalue above tolerance
  Matrix v;  // N x r
  Vector d;  // r eigenvalues of K, descending
  double most_negative = 0.0;
};

PrimalBlock decompose_primal(const Matrix& f) {
  const double p = static_cast<double>(f.cols());
  Matrix covariance = Matrix::Zero(f.cols(), f.cols());
  covariance.selfadjointView<Eigen::Lower>().rankUpdate(f.transpose(), 1.0 / p);
  detail::TridiagonalEigensystem system(std::move(covariance));
  system.form_eigenvectors();

  const Vector& all = system.eigenvalues();
  const double tol = (all.size() > 0 ? std::max(all[0], 0.0) : 0.0) *
                     static_cast<double>(std::max(f.rows(), f.cols())) *
                     std::numeric_limits<double>::epsilon();
  Index r = 0;
  while (r < all.size() && all[r] > tol) ++r;

  PrimalBlock block;
  block.d = all.head(r);
  block.u = system.eigenvectors().leftCols(r);
  block.most_negative = all.size() > 0 ? std::min(0.0, all.minCoeff()) : 0.0;
  const Vector scale = (p * block.d.array()).rsqrt().matrix();
  block.v = f * block.u * scale.asDiagonal();
  return block;
}

}  // namespace

SweepResult sweep_linear_features(const Matrix& features,
                                  const Matrix& test_features,
                                  const Targets& train,
                                  const Targets& test,
                                  const SweepOptions& options,
                                  const Progress& progress) {
  const auto start = Clock::now();
  SweepResult result =
      start_result(features.rows(), train, test, options, "primal");
  const Index n_max = options.sizes.back();
  const Matrix f_all = gather_rows(features, result.order, n_max);
  const Matrix y_all = gather_rows(train.y, result.order, n_max);
  const double p = static_cast<double>(features.cols());
  const size_t count = options.sizes.size();

  for (size_t k = 0; k < count; ++k) {
    const Index n = options.sizes[k];
    report(progress,
           size_step("decomposing", n, k, count),
           static_cast<double>(k) / count);
    const auto t0 = Clock::now();
    const PrimalBlock block = decompose_primal(f_all.topRows(n));
    const double decompose_seconds = seconds_since(t0);

    const auto t1 = Clock::now();
    const Matrix y = y_all.topRows(n);
    SpectralModel m;
    m.n = n;
    m.d = block.d;
    m.most_negative = block.most_negative;
    m.b = block.v.transpose() * y;
    const Matrix y_perp = y - block.v * m.b;
    m.residual_energy = y_perp.squaredNorm();
    if (options.loo) {
      m.vectors = &block.v;
      m.y_perp = y_perp;
    }
    const Vector root = (block.d.array() / p).sqrt().matrix();
    m.predict = [&](const Matrix& c) -> Matrix {
      return test_features * (block.u * (root.asDiagonal() * c));
    };
    std::vector<SweepRow> rows = evaluate_ridges(m, test, options);
    record_size(
        result, m, std::move(rows), decompose_seconds, seconds_since(t1));
  }

  report(progress, "done", 1.0);
  result.seconds = seconds_since(start);
  return result;
}

// ---------------------------------------------------------------------------

std::vector<RidgeChoice> choose_ridges(const SweepResult& result) {
  std::vector<RidgeChoice> choices;
  size_t first = 0;
  while (first < result.rows.size()) {
    size_t last = first;
    while (last < result.rows.size() &&
           result.rows[last].n == result.rows[first].n) {
      ++last;
    }
    RidgeChoice c;
    c.n = result.rows[first].n;
    size_t gcv_at = last;
    size_t best_at = last;
    for (size_t i = first; i < last; ++i) {
      const SweepRow& row = result.rows[i];
      if (std::isfinite(row.gcv) &&
          (gcv_at == last || row.gcv < result.rows[gcv_at].gcv ||
           (row.gcv == result.rows[gcv_at].gcv &&
            row.ridge > result.rows[gcv_at].ridge))) {
        gcv_at = i;
      }
      if (std::isfinite(row.test_mse) &&
          (best_at == last || row.test_mse < result.rows[best_at].test_mse)) {
        best_at = i;
      }
    }
    if (gcv_at != last) {
      c.gcv_ridge = result.rows[gcv_at].ridge;
      c.test_at_gcv_ridge = result.rows[gcv_at].test_mse;
      const double lo = result.rows[first].ridge;
      const double hi = result.rows[last - 1].ridge;
      c.at_grid_edge = last - first > 2 && (c.gcv_ridge == std::min(lo, hi) ||
                                            c.gcv_ridge == std::max(lo, hi));
    }
    if (best_at != last) {
      c.best_ridge = result.rows[best_at].ridge;
      c.best_test = result.rows[best_at].test_mse;
    }
    choices.push_back(c);
    first = last;
  }
  return choices;
}

Interval test_mse_interval(const SweepRow& row, double level) {
  const Interval boot{row.test_mse_lo, row.test_mse_hi};
  return boot.valid() ? boot
                      : normal_interval(row.test_mse, row.test_mse_se, level);
}

Interval test_error_interval(const SweepRow& row, double level) {
  const Interval boot{row.test_error_lo, row.test_error_hi};
  return boot.valid()
             ? boot
             : normal_interval(row.test_error, row.test_error_se, level);
}

ErrorSummary summarize_relative_error(
    const SweepResult& result,
    const std::function<double(const SweepRow&)>& estimate,
    const ResolutionRule& rule) {
  std::vector<double> errors;
  ErrorSummary s;
  for (const SweepRow& row : result.rows) {
    const double e = estimate(row);
    if (!std::isfinite(e) || !std::isfinite(row.test_mse)) continue;
    const Interval interval = test_mse_interval(row, result.bootstrap.level);
    if (!rule.resolved(row.test_mse, interval)) {
      ++s.unresolved;
      continue;
    }
    errors.push_back(std::abs(e - row.test_mse) / row.test_mse);
    s.inside += interval.contains(e);
  }
  s.count = static_cast<std::int64_t>(errors.size());
  if (errors.empty()) return s;

  std::sort(errors.begin(), errors.end());
  auto quantile = [&errors](double q) {
    const double pos = q * static_cast<double>(errors.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, errors.size() - 1);
    return errors[lo] + (pos - lo) * (errors[hi] - errors[lo]);
  };
  s.median = quantile(0.5);
  s.p90 = quantile(0.9);
  s.max = errors.back();
  return s;
}

std::vector<std::int64_t> seeded_permutation(std::int64_t n,
                                             std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 engine(seed);

  // Fisher-Yates with an unbiased bounded draw by rejection, so the order
  // does not depend on a standard library's distribution implementation.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const std::uint64_t bound = static_cast<std::uint64_t>(i) + 1;
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() -
        std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t draw = engine();
    while (draw >= limit) draw = engine();
    std::swap(order[static_cast<size_t>(i)],
              order[static_cast<size_t>(draw % bound)]);
  }
  return order;
}

}  // namespace rmtlens
