// Distributed .npy input and output with MPI-IO: every process reads or
// writes only its own block-cyclic share, so no process ever holds the
// whole matrix and nothing is gathered on one rank.
//
//   mpi::ProcessGrid grid(64);
//   mpi::DistributedMatrix k(grid, n, n);
//   mpi::read_npy_block("kernel.npy", order, order, k);  // K[order, order]
//   mpi::write_npy("copy.npy", k);                       // Fortran order
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/mpi/grid.hpp"
#include "rmtlens/npy.hpp"

namespace rmtlens::mpi {

// Fills `out` with entries of the 2-D array in `path`: global entry (i, j)
// of `out` is file entry (file_rows[i], file_cols[j]). file_rows has
// out.rows() entries and file_cols out.cols(), each a valid file index;
// a permutation of the pool in both is how a nested-size block is taken.
// The file may be in C or Fortran order, little- or big-endian, float32
// or float64; other dtypes throw NotImplemented (convert with NumPy or use
// the single-process build, which reads every numeric dtype).
//
// transposed: read the file's transpose (entry (r, c) is file (c, r));
// with the same maps this gives K^T where K itself would be read, which is
// how the asymmetry of a permuted block is measured without moving data.
//
// Collective over out.grid(). Each process reads its entries with one
// MPI_File_read_all per slice of at most `slice_bytes` of its share,
// through a file view that lists exactly those entries, so ROMIO's
// two-phase collective I/O reads the file about once in total.
void read_npy_block(const std::string& path,
                    const std::vector<std::int64_t>& file_rows,
                    const std::vector<std::int64_t>& file_cols,
                    DistributedMatrix& out,
                    bool transposed = false,
                    std::int64_t slice_bytes = std::int64_t{64} << 20);

// Writes `m` as a float64 Fortran-order .npy (format 1.0, data 64-byte
// aligned, as write_npy). Collective: rank 0 writes the header, every
// process writes its blocks through an MPI_Type_create_darray view (the
// same block-cyclic map as ScaLAPACK's), into a temporary file renamed
// over `path` once every process has finished. Throws InputError naming
// `path` when it cannot be written.
void write_npy(const std::string& path, const DistributedMatrix& m);

// The diagonal of a square 2-D array (float32/float64, either order), on
// every process: rank 0 reads it through a strided view (stride n + 1)
// and broadcasts it. Collective over `comm`.
Vector read_npy_diagonal(const std::string& path, MPI_Comm comm);

// The header every process agrees on (read by each; cheap). Throws
// InputError as rmtlens::read_npy_header does, and for a file that is not
// 2-D (`what` names the flag).
NpyHeader read_matrix_header(const std::string& path, const std::string& what);

}  // namespace rmtlens::mpi
