// A BLACS process grid over MPI_COMM_WORLD and dense matrices distributed
// on it block-cyclically, the layout every ScaLAPACK routine takes.
//
// Global entry (i, j) (0-based) of a rows x cols matrix with block size nb
// lives on process (i/nb mod Pr, j/nb mod Pc), at local position
// ((i/(nb Pr)) nb + i mod nb, (j/(nb Pc)) nb + j mod nb) of that
// process's column-major local array (ScaLAPACK Users' Guide, 4.3).
//
//   mpi::Session session(&argc, &argv);          // MPI_Init ... Finalize
//   mpi::ProcessGrid grid(/*block_size=*/64);    // most square Pr x Pc
//   mpi::DistributedMatrix k(grid, n, n);        // local part: k.local
//   for (Index lj = 0; lj < k.local_cols(); ++lj)
//     for (Index li = 0; li < k.local_rows(); ++li)
//       k.local(li, lj) = f(k.global_row(li), k.global_col(lj));
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <vector>

#include "rmtlens/types.hpp"

namespace rmtlens::mpi {

// MPI_Init_thread (funneled) on construction unless MPI is already up, and
// MPI_Finalize on destruction if this object initialised it.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  bool owner_ = false;
};

int world_rank();
int world_size();

// The most square factorisation rows x cols = count with rows <= cols: a
// square grid halves the communication volume of pdsyevd against a 1 x P
// one (each process row and column broadcasts panels of nb columns).
std::array<int, 2> grid_shape(int count);

// A row-major BLACS grid over every process of MPI_COMM_WORLD, so that
// process (r, c) is MPI rank r * cols + c (what MPI_Type_create_darray
// assumes). Not copyable: it owns the BLACS context.
class ProcessGrid {
 public:
  // block_size: nb of the block-cyclic layout, 1..4096. 64 is the usual
  // ScaLAPACK choice: large enough for BLAS-3 panels, small enough to keep
  // the load balanced at small N.
  explicit ProcessGrid(int block_size = 64);
  // A rows x cols grid (rows * cols = every process), e.g. 1 x P for a
  // matrix dealt out by columns only.
  ProcessGrid(int block_size, std::array<int, 2> shape);
  ~ProcessGrid();
  ProcessGrid(const ProcessGrid&) = delete;
  ProcessGrid& operator=(const ProcessGrid&) = delete;

  int context() const { return context_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int my_row() const { return my_row_; }
  int my_col() const { return my_col_; }
  int rank() const { return my_row_ * cols_ + my_col_; }
  int size() const { return rows_ * cols_; }
  int block_size() const { return block_size_; }
  MPI_Comm comm() const { return MPI_COMM_WORLD; }

 private:
  int context_ = -1;
  int rows_ = 1;
  int cols_ = 1;
  int my_row_ = 0;
  int my_col_ = 0;
  int block_size_ = 64;
};

// Local extent of a block-cyclic dimension of `n` entries on process
// `process` of `count` (ScaLAPACK's NUMROC).
Index local_extent(Index n, int block_size, int process, int count);

// The ScaLAPACK descriptor (DTYPE 1, source process 0) of a rows x cols
// matrix on `grid` in row_block x col_block blocks whose local part has
// leading dimension `leading` (>= 1). Throws std::logic_error when
// ScaLAPACK rejects it.
std::array<int, 9> block_cyclic_descriptor(const ProcessGrid& grid,
                                           Index rows,
                                           Index cols,
                                           int row_block,
                                           int col_block,
                                           Index leading);

// Global index of local index `local` of a block-cyclic dimension.
Index global_index(Index local, int block_size, int process, int count);

// A rows x cols float64 matrix, block-cyclic on `grid` with square blocks.
// `local` holds this process's part, column-major, leading dimension
// max(1, local_rows()). Global sizes must be below 2^31 (ScaLAPACK's
// 32-bit INTEGER).
class DistributedMatrix {
 public:
  DistributedMatrix(const ProcessGrid& grid, Index rows, Index cols);

  const ProcessGrid& grid() const { return *grid_; }
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Index local_rows() const { return local.rows(); }
  Index local_cols() const { return local.cols(); }

  // Global index of local row li / column lj.
  Index global_row(Index li) const;
  Index global_col(Index lj) const;
  // Global rows (columns) this process holds, in local order.
  std::vector<Index> global_rows() const;
  std::vector<Index> global_cols() const;

  // The ScaLAPACK array descriptor (DTYPE 1) and the local array pointer
  // to pass with it; never null, even for an empty local part.
  const int* desc() const { return desc_.data(); }
  double* data();
  const double* data() const;

  Matrix local;

 private:
  const ProcessGrid* grid_;
  Index rows_ = 0;
  Index cols_ = 0;
  std::array<int, 9> desc_{};
  double empty_ = 0.0;
};

// Sums `values` over every process in place (MPI_Allreduce, MPI_SUM).
void sum_over_processes(double* values, Index count, MPI_Comm comm);
void sum_over_processes(Matrix& values, MPI_Comm comm);
double max_over_processes(double value, MPI_Comm comm);

}  // namespace rmtlens::mpi
