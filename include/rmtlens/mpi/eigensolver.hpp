// The distributed symmetric eigensolver: K = Z diag(w) Z^T for a
// block-cyclic K, by ScaLAPACK's pdsyevd (or pdsyevr).
//
//   mpi::DistributedMatrix k(grid, n, n);   // filled, lower triangle read
//   mpi::Eigenpairs e = mpi::decompose(std::move(k), Eigensolver::...);
//   // e.values ascending, replicated; e.vectors n x n, distributed
#pragma once

#include <string>

#include "rmtlens/mpi/grid.hpp"
#include "rmtlens/mpi/sweep.hpp"

namespace rmtlens::mpi {

struct Eigenpairs {
  Vector values;              // n eigenvalues, ascending, on every process
  DistributedMatrix vectors;  // n x n, column j belongs to values[j]
  std::string solver;         // the routine that produced them
  int info = 0;               // the routine's INFO: > 0 is a numerical failure
};

// a: n x n symmetric, only its lower triangle is read; consumed (the
// routines overwrite it) and freed before the result is returned, so the
// peak is a, Z and the workspace. Collective. A numerical failure is
// returned in `info` (pdsyevd: a tridiagonal eigenvalue did not converge;
// pdsyevr: see its header); a negative INFO (a bad call) throws
// std::logic_error.
Eigenpairs decompose(DistributedMatrix a, Eigensolver solver);

// Doubles of workspace the routine needs on this process for an n x n
// problem on `grid`, from the minimum LWORK its header documents; for
// memory estimates made before anything is allocated.
double workspace_doubles(const ProcessGrid& grid, Index n, Eigensolver solver);

}  // namespace rmtlens::mpi
