// The distributed sweep: one pdsyevd per size, then every ridge from
// replicated O(N C) spectral data and two pdgemm products.
#include "rmtlens/mpi/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "../core/ridge_path.hpp"
#include "rmtlens/mpi/eigensolver.hpp"
#include "rmtlens/mpi/scalapack.hpp"
#include "rmtlens/uncertainty.hpp"

namespace rmtlens::mpi {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr int kOne = 1;

// ---------------------------------------------------------------------------
// Moving between replicated and distributed forms.

// The share of a replicated matrix this process owns (no communication).
DistributedMatrix distribute(const ProcessGrid& grid, const Matrix& full) {
  DistributedMatrix d(grid, full.rows(), full.cols());
  for (Index lj = 0; lj < d.local_cols(); ++lj) {
    const Index j = d.global_col(lj);
    for (Index li = 0; li < d.local_rows(); ++li) {
      d.local(li, lj) = full(d.global_row(li), j);
    }
  }
  return d;
}

// Every process gets the whole matrix: each entry is owned once, so a sum
// of zero-padded shares is an allgather (one MPI_Allreduce).
Matrix replicate(const DistributedMatrix& d) {
  Matrix full = Matrix::Zero(d.rows(), d.cols());
  for (Index lj = 0; lj < d.local_cols(); ++lj) {
    const Index j = d.global_col(lj);
    for (Index li = 0; li < d.local_rows(); ++li) {
      full(d.global_row(li), j) = d.local(li, lj);
    }
  }
  sum_over_processes(full, d.grid().comm());
  return full;
}

// A(:, 0:inner) B(0:inner, :) by PBLAS pdgemm; A may have more columns
// than `inner` (the test kernel is held at the largest size).
DistributedMatrix multiply(const DistributedMatrix& a,
                           const DistributedMatrix& b,
                           Index inner) {
  DistributedMatrix c(a.grid(), a.rows(), b.cols());
  if (c.rows() == 0 || c.cols() == 0 || inner == 0) return c;
  const char no = 'N';
  const int m = static_cast<int>(a.rows());
  const int n = static_cast<int>(b.cols());
  const int k = static_cast<int>(inner);
  const double one = 1.0;
  const double zero = 0.0;
  pdgemm_(&no,
          &no,
          &m,
          &n,
          &k,
          &one,
          a.data(),
          &kOne,
          &kOne,
          a.desc(),
          b.data(),
          &kOne,
          &kOne,
          b.desc(),
          &zero,
          c.data(),
          &kOne,
          &kOne,
          c.desc());
  return c;
}

// B = Z^T Y, replicated: each process multiplies its local rows of Z and
// Y, and the partial rows are summed over the process rows.
Matrix project(const DistributedMatrix& z, const Matrix& y) {
  Matrix b = Matrix::Zero(z.cols(), y.cols());
  if (z.local.size() > 0) {
    const Matrix y_rows = y(z.global_rows(), Eigen::all);
    const Matrix partial = z.local.transpose() * y_rows;
    for (Index lj = 0; lj < z.local_cols(); ++lj) {
      b.row(z.global_col(lj)) = partial.row(lj);
    }
  }
  sum_over_processes(b, z.grid().comm());
  return b;
}

// (Z o Z) w for the columns of w (n x k), replicated: local rows of the
// squared share times the matching rows of w, summed over process columns.
Matrix squared_times(const DistributedMatrix& z, const Matrix& w) {
  Matrix out = Matrix::Zero(z.rows(), w.cols());
  if (z.local.size() > 0) {
    const Matrix w_rows = w(z.global_cols(), Eigen::all);
    const Matrix partial = z.local.cwiseAbs2() * w_rows;
    for (Index li = 0; li < z.local_rows(); ++li) {
      out.row(z.global_row(li)) = partial.row(li);
    }
  }
  sum_over_processes(out, z.grid().comm());
  return out;
}

// ---------------------------------------------------------------------------
// Replicated spectral data of one size, eigenvalues ascending as pdsyevd
// returns them (sums over i do not depend on the order).

struct Spectrum {
  Index n = 0;
  Vector d;  // clipped at 0
  Matrix b;  // B = Z^T Y (n x C)
  double most_negative = 0.0;
};

using detail::fill_test_quantities;
using detail::ridge_weights;
using detail::RidgeWeights;

// train, df and GCV of one ridge: the single-process sweep's code.
void fill_training(const Spectrum& sp, const RidgeWeights& w, SweepRow& row) {
  detail::fill_training_quantities(
      sp.b.rowwise().squaredNorm(), 0.0, sp.n, w, row);
}

// ---------------------------------------------------------------------------
// Test predictions of every ridge: K*(:, 0:N) Z (g o B), one pdgemm pair
// for the whole (C x ridges)-column batch.

Matrix ridge_coefficients(const Spectrum& sp,
                          const std::vector<RidgeWeights>& ws,
                          bool for_loo) {
  const Index c = sp.b.cols();
  Matrix coef(sp.n, c * static_cast<Index>(ws.size()));
  for (size_t j = 0; j < ws.size(); ++j) {
    const bool residual_form = for_loo && !ws[j].full_rank;
    const Vector& weight = residual_form ? ws[j].one_minus_s : ws[j].g;
    coef.middleCols(static_cast<Index>(j) * c, c) = weight.asDiagonal() * sp.b;
  }
  return coef;
}

Matrix predict(const DistributedMatrix& test_kernel,
               const DistributedMatrix& z,
               const Matrix& coefficients) {
  const DistributedMatrix c = distribute(z.grid(), coefficients);
  const DistributedMatrix w = multiply(z, c, z.cols());
  return replicate(multiply(test_kernel, w, z.rows()));
}

// ---------------------------------------------------------------------------
// Exact LOO (the single-process sweep's two forms): residual_n / (1 - h_n)
// = alpha_n / G_nn with alpha = Z (g o B), G_nn = ((Z o Z) g)_n when every
// eigenvalue counts; otherwise r = Z ((1 - s) o B), 1 - h = (Z o Z)(1 - s).
// Numerators stay distributed; each process sums its entries' squared
// ratios and one reduction of R numbers finishes.

std::vector<double> loo_risks(const DistributedMatrix& z,
                              const Spectrum& sp,
                              const std::vector<RidgeWeights>& ws) {
  const Index c = sp.b.cols();
  const Index r = static_cast<Index>(ws.size());
  Matrix denominator_weights(sp.n, r);
  for (Index j = 0; j < r; ++j) {
    denominator_weights.col(j) = ws[j].full_rank ? ws[j].g : ws[j].one_minus_s;
  }
  const Matrix denominators = squared_times(z, denominator_weights);
  const DistributedMatrix numerators = multiply(
      z, distribute(z.grid(), ridge_coefficients(sp, ws, true)), z.cols());

  std::vector<double> sums(static_cast<size_t>(r), 0.0);
  for (Index lj = 0; lj < numerators.local_cols(); ++lj) {
    const Index ridge = numerators.global_col(lj) / c;
    for (Index li = 0; li < numerators.local_rows(); ++li) {
      const double ratio = numerators.local(li, lj) /
                           denominators(numerators.global_row(li), ridge);
      sums[ridge] += ratio * ratio;
    }
  }
  sum_over_processes(sums.data(), r, z.grid().comm());
  for (double& s : sums) s /= static_cast<double>(sp.n);
  return sums;
}

// The leverage spread and GCV's verdict (uncertainty.hpp) of every ridge
// from the slacks 1 - h = (Z o Z)(1 - s), replicated (N x R numbers).
void fill_leverage_diagnostics(const DistributedMatrix& z,
                               const std::vector<RidgeWeights>& ws,
                               const GcvTrustRule& rule,
                               std::vector<SweepRow>& rows) {
  Matrix one_minus_s(z.cols(), static_cast<Index>(ws.size()));
  for (size_t j = 0; j < ws.size(); ++j) {
    one_minus_s.col(static_cast<Index>(j)) = ws[j].one_minus_s;
  }
  const Matrix slack = squared_times(z, one_minus_s);
  for (size_t j = 0; j < ws.size(); ++j) {
    detail::fill_leverage_columns(
        slack.col(static_cast<Index>(j)), rule, rows[j]);
  }
}

void fill_test_columns(const DistributedMatrix& z,
                       const DistributedMatrix& test_kernel,
                       const Spectrum& sp,
                       const std::vector<RidgeWeights>& ws,
                       const Targets& test,
                       const SweepOptions& options,
                       std::vector<SweepRow>& rows) {
  const Index c = sp.b.cols();
  const Index k = test.is_classification() ? 2 : 1;
  const Matrix predictions =
      predict(test_kernel, z, ridge_coefficients(sp, ws, false));
  Matrix losses(test.size(), k * static_cast<Index>(rows.size()));
  for (size_t j = 0; j < rows.size(); ++j) {
    const Index at = static_cast<Index>(j);
    fill_test_quantities(predictions.middleCols(at * c, c),
                         test,
                         rows[j],
                         losses.middleCols(at * k, k));
  }
  detail::fill_test_intervals(losses, options.bootstrap, rows);
}

std::vector<SweepRow> evaluate_ridges(const DistributedMatrix& z,
                                      const DistributedMatrix& test_kernel,
                                      const Spectrum& sp,
                                      const Targets& test,
                                      const SweepOptions& options) {
  std::vector<SweepRow> rows(options.ridges.size());
  std::vector<RidgeWeights> ws;
  for (size_t j = 0; j < rows.size(); ++j) {
    ws.push_back(ridge_weights(sp.d, sp.n, options.ridges[j]));
    rows[j].n = sp.n;
    rows[j].ridge = options.ridges[j];
    fill_training(sp, ws.back(), rows[j]);
    rows[j].df_fraction = rows[j].df / static_cast<double>(sp.n);
  }
  fill_test_columns(z, test_kernel, sp, ws, test, options, rows);
  if (!options.loo) return rows;

  const std::vector<double> loo = loo_risks(z, sp, ws);
  for (size_t j = 0; j < rows.size(); ++j) rows[j].loo = loo[j];
  fill_leverage_diagnostics(z, ws, options.gcv_rule, rows);
  return rows;
}

// ---------------------------------------------------------------------------
// Bookkeeping shared with the single-process result.

SizeResult describe_size(const Spectrum& sp) {
  // SizeResult lists eigenvalues descending: reverse pdsyevd's order.
  SizeResult s;
  s.n = sp.n;
  s.eigenvalues = sp.d.reverse();
  s.target_energy = sp.b.rowwise().squaredNorm().reverse();
  s.residual_energy = 0.0;
  s.most_negative_eigenvalue = sp.most_negative;
  return s;
}

void note_size(const SizeResult& s,
               const std::vector<SweepRow>& rows,
               std::vector<std::string>& notes) {
  const double top = s.eigenvalues.size() > 0 ? s.eigenvalues[0] : 0.0;
  if (s.most_negative_eigenvalue < -1e-10 * top) {
    std::ostringstream note;
    note << "N=" << s.n << ": the kernel block is indefinite, most negative "
         << "eigenvalue " << s.most_negative_eigenvalue << " (largest " << top
         << "); negative eigenvalues were clipped to 0";
    notes.push_back(note.str());
  }
  for (const SweepRow& row : rows) {
    if (!std::isnan(row.gcv)) continue;
    notes.push_back("N=" + std::to_string(row.n) + ", ridge " +
                    std::to_string(row.ridge) +
                    ": GCV is undefined (df = N, the ridgeless "
                    "interpolant fits every training point)");
  }
}

SweepResult start_result(const KernelSource& source,
                         const Targets& train,
                         const Targets& test,
                         const SweepOptions& options) {
  SweepResult r;
  r.pool_size = source.pool_size();
  r.test_size = test.size();
  r.outputs = train.outputs();
  r.classification = test.is_classification();
  r.bootstrap = options.bootstrap;
  r.gcv_rule = options.gcv_rule;
  r.route = "distributed";
  if (options.shuffle) {
    r.order = seeded_permutation(r.pool_size, options.seed);
  } else {
    r.order.resize(static_cast<size_t>(r.pool_size));
    std::iota(r.order.begin(), r.order.end(), 0);
  }
  return r;
}

void report(const Progress& progress, const std::string& step, double f) {
  if (progress) progress(step, f);
}

std::string size_step(const char* verb, Index n, size_t k, size_t count) {
  return std::string(verb) + " N=" + std::to_string(n) + " (" +
         std::to_string(k + 1) + "/" + std::to_string(count) + ")";
}

Eigensolver other_solver(Eigensolver s) {
  return s == Eigensolver::kDivideAndConquer ? Eigensolver::kMrrr
                                             : Eigensolver::kDivideAndConquer;
}

// Decomposes the permuted n x n block; on a numerical failure refills it
// (the routine overwrote it) and tries the other routine.
Eigenpairs decompose_size(const ProcessGrid& grid,
                          const KernelSource& source,
                          const std::vector<std::int64_t>& order,
                          Index n,
                          Eigensolver solver,
                          std::vector<std::string>& notes) {
  for (const Eigensolver s : {solver, other_solver(solver)}) {
    DistributedMatrix block(grid, n, n);
    source.fill_train(order, block);
    Eigenpairs e = decompose(std::move(block), s);
    if (e.info == 0) return e;
    notes.push_back("N=" + std::to_string(n) + ": " + eigensolver_name(s) +
                    " did not converge (INFO " + std::to_string(e.info) + ")");
  }
  throw std::runtime_error("N=" + std::to_string(n) +
                           ": neither pdsyevd nor pdsyevr converged");
}

Spectrum spectrum_of(const Eigenpairs& e, const Matrix& y) {
  Spectrum sp;
  sp.n = e.values.size();
  sp.d = e.values.cwiseMax(0.0);
  sp.most_negative = sp.n > 0 ? std::min(0.0, e.values.minCoeff()) : 0.0;
  sp.b = project(e.vectors, y);
  return sp;
}

}  // namespace

std::int64_t peak_bytes_per_process(const ProcessGrid& grid,
                                    Index n,
                                    Index test_size,
                                    Index outputs,
                                    Index ridges,
                                    bool loo) {
  const int nb = grid.block_size();
  const double np = local_extent(n, nb, grid.my_row(), grid.rows());
  const double nq = local_extent(n, nb, grid.my_col(), grid.cols());
  const double mp = local_extent(test_size, nb, grid.my_row(), grid.rows());
  const double batch = static_cast<double>(outputs * ridges);
  const double replicated = (n + test_size) * static_cast<double>(outputs) +
                            (loo ? 2.0 : 1.0) * n * batch + test_size * batch;
  const double distributed = 2.0 * np * nq + mp * nq + 3.0 * batch * np;
  const double work =
      workspace_doubles(grid, n, Eigensolver::kDivideAndConquer);
  return static_cast<std::int64_t>(8.0 * (replicated + distributed + work));
}

SweepResult sweep_distributed(const ProcessGrid& grid,
                              const KernelSource& source,
                              const Targets& train,
                              const Targets& test,
                              const SweepOptions& options,
                              const DistributedOptions& distributed,
                              const Progress& progress) {
  const auto start = Clock::now();
  SweepResult result = start_result(source, train, test, options);
  const Index n_max = options.sizes.back();
  const Matrix y_all = train.y(
      std::vector<Index>(result.order.begin(), result.order.begin() + n_max),
      Eigen::all);

  // The test kernel is read once at the largest size; each size multiplies
  // by its leading N columns.
  report(progress, "reading the test kernel", 0.0);
  DistributedMatrix test_kernel(grid, source.test_size(), n_max);
  source.fill_test(result.order, test_kernel);

  const size_t count = options.sizes.size();
  for (size_t k = 0; k < count; ++k) {
    const Index n = options.sizes[k];
    report(progress,
           size_step("decomposing", n, k, count),
           static_cast<double>(k) / count);
    const auto t0 = Clock::now();
    const Eigenpairs e = decompose_size(
        grid, source, result.order, n, distributed.eigensolver, result.notes);
    const double decompose_seconds = seconds_since(t0);

    report(progress,
           size_step("evaluating ridges at", n, k, count),
           (k + 0.9) / count);
    const auto t1 = Clock::now();
    const Spectrum sp = spectrum_of(e, y_all.topRows(n));
    std::vector<SweepRow> rows =
        evaluate_ridges(e.vectors, test_kernel, sp, test, options);
    SizeResult size = describe_size(sp);
    size.decompose_seconds = decompose_seconds;
    size.evaluate_seconds = seconds_since(t1);
    note_size(size, rows, result.notes);
    result.sizes.push_back(std::move(size));
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
  }

  report(progress, "done", 1.0);
  result.seconds = seconds_since(start);
  return result;
}

SizeResult decompose_block(const ProcessGrid& grid,
                           const KernelSource& source,
                           const std::vector<std::int64_t>& order,
                           Index n,
                           const Matrix& y,
                           const DistributedOptions& distributed) {
  std::vector<std::string> notes;
  const auto t0 = Clock::now();
  const Eigenpairs e =
      decompose_size(grid, source, order, n, distributed.eigensolver, notes);
  const Matrix y_block =
      y(std::vector<Index>(order.begin(), order.begin() + n), Eigen::all);
  SizeResult s = describe_size(spectrum_of(e, y_block));
  s.residual_energy = y_block.squaredNorm() - s.target_energy.sum();
  s.decompose_seconds = seconds_since(t0);
  return s;
}

}  // namespace rmtlens::mpi
