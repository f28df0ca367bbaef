// Internal: the decomposition of one symmetric block, kept in factored
// form K = Q W diag(d) W^T Q^T so that products with V = Q W cost two BLAS-3
// passes and the O(n^3) back-transformation is paid only when V itself is
// needed (exact leave-one-out).
#pragma once

#include <string>

#include "rmtlens/types.hpp"

namespace rmtlens::detail {

class TridiagonalEigensystem {
 public:
  // kernel: n x n symmetric; only its lower triangle is read. It is moved
  // in and becomes the store of the Householder reflectors (DSYTRD).
  explicit TridiagonalEigensystem(Matrix kernel);

  Index size() const { return eigenvalues_.size(); }

  // Eigenvalues, descending, exactly as LAPACK returned them (unclipped).
  const Vector& eigenvalues() const { return eigenvalues_; }

  // V^T x for x (n x k): Q^T by DORMTR, then W^T by GEMM.
  Matrix project(const Matrix& x) const;

  // V c for c (n x k): W c by GEMM, then Q by DORMTR.
  Matrix expand(const Matrix& c) const;

  // Forms V = Q W (DORMTR on W, O(n^3)) and frees the reflectors; after
  // this project/expand use V directly.
  void form_eigenvectors();
  bool has_eigenvectors() const { return vectors_formed_; }
  const Matrix& eigenvectors() const;  // requires form_eigenvectors()

  // Which tridiagonal eigensolver produced W ("dstemr" or, if MRRR did not
  // converge, "dstedc").
  const std::string& solver() const { return solver_; }

 private:
  void reduce_to_tridiagonal();
  void solve_tridiagonal();
  void sort_descending();

  Matrix reflectors_;  // DSYTRD output: Householder vectors below diagonal
  Vector tau_;
  Vector diagonal_;
  Vector off_diagonal_;
  Vector eigenvalues_;
  Matrix vectors_;  // W, or V once formed
  bool vectors_formed_ = false;
  std::string solver_;
};

// Throws std::logic_error for a negative LAPACK info (we called it wrong);
// positive values are numerical outcomes the caller handles.
void check_lapack_arguments(int info, const char* routine);

}  // namespace rmtlens::detail
