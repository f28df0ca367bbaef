// The kernel-ridge sweep of rmtlens::sweep_kernel, distributed with MPI and
// ScaLAPACK, for kernels too large for one machine. Same definitions
// (shared DESIGN.md section 1), same SweepResult, same numbers to about
// 1e-9 relative wherever the problem is not ill-conditioned.
//
// Per size N: each process fills its block-cyclic share of the permuted
// N x N block (from the .npy with MPI-IO, or from features), pdsyevd
// decomposes it, and every sweep quantity is a local product followed by
// a reduction of O(N C) or O(M C R) numbers; nothing of size N^2 ever sits
// on one process.
//
//   mpi::ProcessGrid grid(64);
//   mpi::NpyKernelSource source("K.npy", "KT.npy");
//   SweepResult r = mpi::sweep_distributed(grid, source, train, test,
//                                          options, mpi::DistributedOptions{});
//   // r is complete and identical on every process; rank 0 writes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/kernels.hpp"
#include "rmtlens/mpi/grid.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/targets.hpp"

namespace rmtlens::mpi {

// Where the kernel entries come from. `order` is the pool permutation of
// the sweep (SweepResult::order); blocks are taken in that order.
class KernelSource {
 public:
  virtual ~KernelSource() = default;
  virtual Index pool_size() const = 0;
  virtual Index test_size() const = 0;

  // out (n x n): entry (i, j) = k(x_order[i], x_order[j]).
  virtual void fill_train(const std::vector<std::int64_t>& order,
                          DistributedMatrix& out) const = 0;
  // out (M x n): entry (m, j) = k(x*_m, x_order[j]).
  virtual void fill_test(const std::vector<std::int64_t>& order,
                         DistributedMatrix& out) const = 0;

  // Checks the largest blocks before any work: throws InputError naming
  // the file on a NaN/Inf or an asymmetry above kAsymmetryTolerance;
  // returns the relative asymmetry max |K_ij - K_ji| / max |K_ij| of the
  // n x n block (0 for computed kernels, which are symmetric by
  // construction). Collective.
  virtual double check(const ProcessGrid& grid,
                       const std::vector<std::int64_t>& order,
                       Index n) const = 0;

  // max_i k(x_i, x_i) over the whole pool (the classical bound's R^2), on
  // every process. Collective.
  virtual double max_diagonal(const ProcessGrid& grid) const = 0;
};

// A precomputed pool kernel (Npool x Npool) and test kernel (M x Npool)
// in .npy files, read with MPI-IO (npy_io.hpp: float32/float64, either
// order). Only the lower triangle of each permuted block is used, as in
// the single-process sweep.
class NpyKernelSource : public KernelSource {
 public:
  // Reads and checks both headers (shapes: square pool, M x Npool test).
  // An empty test_kernel_path means no test kernel (test_size() 0), for
  // a kernel that is only decomposed, like a population kernel.
  NpyKernelSource(std::string kernel_path, std::string test_kernel_path = "");

  Index pool_size() const override { return pool_; }
  Index test_size() const override { return test_; }
  void fill_train(const std::vector<std::int64_t>& order,
                  DistributedMatrix& out) const override;
  void fill_test(const std::vector<std::int64_t>& order,
                 DistributedMatrix& out) const override;
  double check(const ProcessGrid& grid,
               const std::vector<std::int64_t>& order,
               Index n) const override;
  double max_diagonal(const ProcessGrid& grid) const override;

 private:
  std::string kernel_path_;
  std::string test_kernel_path_;
  Index pool_ = 0;
  Index test_ = 0;
};

// A kernel computed from features (Npool x p and M x p, replicated on
// every process: O(N p), far below the O(N^2) kernel). Each process
// computes only the entries of its own blocks with kernel_matrix, so the
// kernel is never assembled in one place. `options` must have its
// bandwidth resolved (resolve_bandwidth on the whole pool, identically on
// every process). The referenced matrices must outlive the source.
class FeatureKernelSource : public KernelSource {
 public:
  FeatureKernelSource(const Matrix& features,
                      const Matrix& test_features,
                      const KernelOptions& options);

  Index pool_size() const override { return features_.rows(); }
  Index test_size() const override { return test_features_.rows(); }
  void fill_train(const std::vector<std::int64_t>& order,
                  DistributedMatrix& out) const override;
  void fill_test(const std::vector<std::int64_t>& order,
                 DistributedMatrix& out) const override;
  double check(const ProcessGrid& grid,
               const std::vector<std::int64_t>& order,
               Index n) const override;
  double max_diagonal(const ProcessGrid& grid) const override;

 private:
  const Matrix& features_;
  const Matrix& test_features_;
  KernelOptions options_;
};

enum class Eigensolver {
  kDivideAndConquer,  // pdsyevd: robust, the usual choice
  kMrrr,              // pdsyevr: less workspace, often faster at large N
};

Eigensolver parse_eigensolver(const std::string& name);
std::string eigensolver_name(Eigensolver solver);

struct DistributedOptions {
  Eigensolver eigensolver = Eigensolver::kDivideAndConquer;
};

// Per-process bytes the sweep holds at its peak for the largest size n on
// `grid`: the block, the eigenvectors and pdsyevd's workspace (each about
// n^2 / P), the test block's share, and the replicated O((N + M) C R)
// coefficient and prediction arrays.
std::int64_t peak_bytes_per_process(const ProcessGrid& grid,
                                    Index n,
                                    Index test_size,
                                    Index outputs,
                                    Index ridges,
                                    bool loo);

// The sweep. train: Npool x C targets, test: M x C (replicated on every
// process, identical everywhere); options validated against the pool
// size. Collective: every process must call it with the same arguments.
// `progress` is called on every process (pass it on rank 0 only).
// The result is complete on every process (route "distributed").
SweepResult sweep_distributed(const ProcessGrid& grid,
                              const KernelSource& source,
                              const Targets& train,
                              const Targets& test,
                              const SweepOptions& options,
                              const DistributedOptions& distributed = {},
                              const Progress& progress = {});

// The spectrum of the first n points of `order` alone (eigenvalues
// descending, target energies |V_i^T Y|^2, residual |Y|^2 - sum of them),
// for a population spectrum that is not one of the sweep's sizes.
// y: Npool x C. Collective; the result is on every process.
SizeResult decompose_block(const ProcessGrid& grid,
                           const KernelSource& source,
                           const std::vector<std::int64_t>& order,
                           Index n,
                           const Matrix& y,
                           const DistributedOptions& distributed = {});

}  // namespace rmtlens::mpi
