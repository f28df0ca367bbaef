// Filling the block-cyclic shares of the permuted kernel blocks: from
// .npy files with MPI-IO, or from features block by block.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "rmtlens/mpi/npy_io.hpp"
#include "rmtlens/mpi/sweep.hpp"
#include "rmtlens/validate.hpp"

namespace rmtlens::mpi {

namespace {

std::vector<std::int64_t> leading(const std::vector<std::int64_t>& order,
                                  Index n) {
  return {order.begin(), order.begin() + n};
}

std::vector<std::int64_t> identity(Index n) {
  std::vector<std::int64_t> all(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) all[i] = i;
  return all;
}

// Throws InputError on every process when any process holds a NaN/Inf.
void require_finite_everywhere(const DistributedMatrix& m,
                               const std::string& file) {
  const double bad = m.local.allFinite() ? 0.0 : 1.0;
  if (max_over_processes(bad, m.grid().comm()) > 0.0) {
    throw InputError(file + ": holds a NaN or Inf value");
  }
}

std::string shape_text(const NpyHeader& h) {
  return std::to_string(h.shape[0]) + " x " + std::to_string(h.shape[1]);
}

// Rows order[0..n) of `m`, in that order.
Matrix rows_in_order(const Matrix& m,
                     const std::vector<std::int64_t>& order,
                     const std::vector<Index>& globals) {
  Matrix out(static_cast<Index>(globals.size()), m.cols());
  for (size_t i = 0; i < globals.size(); ++i) {
    out.row(static_cast<Index>(i)) = m.row(order[globals[i]]);
  }
  return out;
}

}  // namespace

NpyKernelSource::NpyKernelSource(std::string kernel_path,
                                 std::string test_kernel_path)
    : kernel_path_(std::move(kernel_path)),
      test_kernel_path_(std::move(test_kernel_path)) {
  const NpyHeader k = read_matrix_header(kernel_path_, "--kernel");
  if (k.shape[0] != k.shape[1]) {
    throw InputError(kernel_path_ + ": shape " + shape_text(k) +
                     " (must be square)");
  }
  pool_ = k.shape[0];
  if (test_kernel_path_.empty()) return;

  const NpyHeader t = read_matrix_header(test_kernel_path_, "--test-kernel");
  if (t.shape[1] != k.shape[0]) {
    throw InputError(test_kernel_path_ + ": shape " + shape_text(t) + " but " +
                     kernel_path_ + " has " + std::to_string(k.shape[0]) +
                     " columns");
  }
  test_ = t.shape[0];
}

void NpyKernelSource::fill_train(const std::vector<std::int64_t>& order,
                                 DistributedMatrix& out) const {
  const std::vector<std::int64_t> rows = leading(order, out.rows());
  read_npy_block(kernel_path_, rows, rows, out);
}

void NpyKernelSource::fill_test(const std::vector<std::int64_t>& order,
                                DistributedMatrix& out) const {
  read_npy_block(
      test_kernel_path_, identity(out.rows()), leading(order, out.cols()), out);
}

double NpyKernelSource::check(const ProcessGrid& grid,
                              const std::vector<std::int64_t>& order,
                              Index n) const {
  const std::vector<std::int64_t> rows = leading(order, n);
  DistributedMatrix k(grid, n, n);
  read_npy_block(kernel_path_, rows, rows, k);
  require_finite_everywhere(k, kernel_path_);

  // Asymmetry from the block and its transpose read side by side: entry
  // (i, j) of the second is K_ji, on the same process as K_ij.
  DistributedMatrix kt(grid, n, n);
  read_npy_block(kernel_path_, rows, rows, kt, /*transposed=*/true);
  const double scale = max_over_processes(
      k.local.size() ? k.local.cwiseAbs().maxCoeff() : 0.0, grid.comm());
  const double gap = max_over_processes(
      k.local.size() ? (k.local - kt.local).cwiseAbs().maxCoeff() : 0.0,
      grid.comm());
  const double asymmetry = scale > 0.0 ? gap / scale : 0.0;
  if (asymmetry > kAsymmetryTolerance) {
    std::ostringstream s;
    s << kernel_path_ << ": relative asymmetry " << asymmetry << " exceeds "
      << kAsymmetryTolerance << " (is it a kernel matrix?)";
    throw InputError(s.str());
  }
  if (test_kernel_path_.empty()) return asymmetry;

  DistributedMatrix test(grid, test_, n);
  fill_test(order, test);
  require_finite_everywhere(test, test_kernel_path_);
  return asymmetry;
}

double NpyKernelSource::max_diagonal(const ProcessGrid& grid) const {
  const Vector d = read_npy_diagonal(kernel_path_, grid.comm());
  return d.size() > 0 ? d.maxCoeff() : 0.0;
}

FeatureKernelSource::FeatureKernelSource(const Matrix& features,
                                         const Matrix& test_features,
                                         const KernelOptions& options)
    : features_(features), test_features_(test_features), options_(options) {}

void FeatureKernelSource::fill_train(const std::vector<std::int64_t>& order,
                                     DistributedMatrix& out) const {
  if (out.local.size() == 0) return;
  const Matrix a = rows_in_order(features_, order, out.global_rows());
  const Matrix b = rows_in_order(features_, order, out.global_cols());
  out.local = kernel_matrix(a, b, options_);
}

void FeatureKernelSource::fill_test(const std::vector<std::int64_t>& order,
                                    DistributedMatrix& out) const {
  if (out.local.size() == 0) return;
  const Matrix a = test_features_(out.global_rows(), Eigen::all);
  const Matrix b = rows_in_order(features_, order, out.global_cols());
  out.local = kernel_matrix(a, b, options_);
}

double FeatureKernelSource::check(const ProcessGrid&,
                                  const std::vector<std::int64_t>&,
                                  Index) const {
  // The features were checked on load; k(a, b) = k(b, a) exactly.
  return 0.0;
}

double FeatureKernelSource::max_diagonal(const ProcessGrid& grid) const {
  // Each process evaluates k(x_i, x_i) for its share of the pool, in
  // chunks of rows so the k(chunk, chunk) blocks stay small.
  constexpr Index kChunk = 256;
  const Index n = features_.rows();
  const Index share = (n + grid.size() - 1) / grid.size();
  const Index first = std::min(n, share * grid.rank());
  const Index last = std::min(n, first + share);
  double top = -std::numeric_limits<double>::infinity();
  for (Index i = first; i < last; i += kChunk) {
    const Matrix rows = features_.middleRows(i, std::min(kChunk, last - i));
    top = std::max(top,
                   kernel_matrix(rows, rows, options_).diagonal().maxCoeff());
  }
  return max_over_processes(top, grid.comm());
}

}  // namespace rmtlens::mpi
