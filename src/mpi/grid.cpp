#include "rmtlens/mpi/grid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "rmtlens/mpi/scalapack.hpp"

namespace rmtlens::mpi {

Session::Session(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised) return;
  // Only the main thread calls MPI; OpenBLAS threads never do.
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  owner_ = true;
}

Session::~Session() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (owner_ && !finalised) MPI_Finalize();
}

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

std::array<int, 2> grid_shape(int count) {
  int rows = static_cast<int>(std::sqrt(static_cast<double>(count)));
  while (rows > 1 && count % rows != 0) --rows;
  return {std::max(rows, 1), count / std::max(rows, 1)};
}

ProcessGrid::ProcessGrid(int block_size)
    : ProcessGrid(block_size, grid_shape(world_size())) {}

ProcessGrid::ProcessGrid(int block_size, std::array<int, 2> shape)
    : block_size_(block_size) {
  if (block_size < 1 || block_size > 4096) {
    throw InputError("--block-size = " + std::to_string(block_size) +
                     " (must be in [1, 4096])");
  }
  if (shape[0] * shape[1] != world_size()) {
    throw std::logic_error("process grid shape does not cover every process");
  }

  // Context -1/0: the BLACS default system context, MPI_COMM_WORLD.
  Cblacs_get(-1, 0, &context_);
  Cblacs_gridinit(&context_, "Row", shape[0], shape[1]);
  Cblacs_gridinfo(context_, &rows_, &cols_, &my_row_, &my_col_);
  if (rows_ != shape[0] || cols_ != shape[1] || my_row_ < 0) {
    throw std::logic_error("BLACS did not build the requested process grid");
  }
}

ProcessGrid::~ProcessGrid() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised && context_ >= 0) Cblacs_gridexit(context_);
}

Index local_extent(Index n, int block_size, int process, int count) {
  const int n32 = static_cast<int>(n);
  const int source = 0;
  return numroc_(&n32, &block_size, &process, &source, &count);
}

DistributedMatrix::DistributedMatrix(const ProcessGrid& grid,
                                     Index rows,
                                     Index cols)
    : grid_(&grid), rows_(rows), cols_(cols) {
  constexpr Index kLimit = std::numeric_limits<int>::max();
  if (rows < 0 || cols < 0 || rows > kLimit || cols > kLimit) {
    throw std::logic_error("distributed matrix dimension beyond 2^31 - 1");
  }
  const int nb = grid.block_size();
  const Index lr = local_extent(rows, nb, grid.my_row(), grid.rows());
  const Index lc = local_extent(cols, nb, grid.my_col(), grid.cols());
  local = Matrix::Zero(lr, lc);
  desc_ = block_cyclic_descriptor(grid, rows, cols, nb, nb, lr);
}

std::array<int, 9> block_cyclic_descriptor(const ProcessGrid& grid,
                                           Index rows,
                                           Index cols,
                                           int row_block,
                                           int col_block,
                                           Index leading) {
  // descinit_ rejects a zero-sized global dimension with a block of 0;
  // empty matrices keep their blocks and only need LLD >= 1.
  const int m32 = static_cast<int>(rows);
  const int n32 = static_cast<int>(cols);
  const int zero = 0;
  const int context = grid.context();
  const int lld = static_cast<int>(std::max<Index>(1, leading));
  std::array<int, 9> desc{};
  int info = 0;
  descinit_(desc.data(),
            &m32,
            &n32,
            &row_block,
            &col_block,
            &zero,
            &zero,
            &context,
            &lld,
            &info);
  if (info != 0) {
    throw std::logic_error("descinit_ rejected argument " +
                           std::to_string(-info));
  }
  return desc;
}

// Block-cyclic local-to-global map with source process 0.
Index global_index(Index local, int block_size, int process, int count) {
  return ((local / block_size) * count + process) * block_size +
         local % block_size;
}

Index DistributedMatrix::global_row(Index li) const {
  return global_index(
      li, grid_->block_size(), grid_->my_row(), grid_->rows());
}

Index DistributedMatrix::global_col(Index lj) const {
  return global_index(
      lj, grid_->block_size(), grid_->my_col(), grid_->cols());
}

std::vector<Index> DistributedMatrix::global_rows() const {
  std::vector<Index> g(static_cast<size_t>(local_rows()));
  for (Index i = 0; i < local_rows(); ++i) g[i] = global_row(i);
  return g;
}

std::vector<Index> DistributedMatrix::global_cols() const {
  std::vector<Index> g(static_cast<size_t>(local_cols()));
  for (Index j = 0; j < local_cols(); ++j) g[j] = global_col(j);
  return g;
}

double* DistributedMatrix::data() {
  return local.size() > 0 ? local.data() : &empty_;
}

const double* DistributedMatrix::data() const {
  return local.size() > 0 ? local.data() : &empty_;
}

void sum_over_processes(double* values, Index count, MPI_Comm comm) {
  // MPI counts are int: reduce in slices of at most 2^30 entries.
  constexpr Index kSlice = Index{1} << 30;
  for (Index start = 0; start < count; start += kSlice) {
    const int n = static_cast<int>(std::min(kSlice, count - start));
    MPI_Allreduce(MPI_IN_PLACE, values + start, n, MPI_DOUBLE, MPI_SUM, comm);
  }
}

void sum_over_processes(Matrix& values, MPI_Comm comm) {
  sum_over_processes(values.data(), values.size(), comm);
}

double max_over_processes(double value, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, comm);
  return value;
}

}  // namespace rmtlens::mpi
