#include "eigensystem.hpp"

#include <lapacke.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace rmtlens::detail {

void check_lapack_arguments(int info, const char* routine) {
  if (info < 0) {
    throw std::logic_error(std::string(routine) + ": argument " +
                           std::to_string(-info) + " was invalid");
  }
}

TridiagonalEigensystem::TridiagonalEigensystem(Matrix kernel)
    : reflectors_(std::move(kernel)) {
  if (reflectors_.rows() != reflectors_.cols()) {
    throw std::logic_error("TridiagonalEigensystem: kernel is not square");
  }
  reduce_to_tridiagonal();
  solve_tridiagonal();
  sort_descending();
}

// K = Q T Q^T with T symmetric tridiagonal (LAPACK DSYTRD, lower storage).
// This is the O(4/3 n^3) floor of every exact spectral method.
void TridiagonalEigensystem::reduce_to_tridiagonal() {
  const lapack_int n = static_cast<lapack_int>(reflectors_.rows());
  diagonal_.resize(n);
  off_diagonal_.resize(n);  // DSTEMR wants length n; the last is workspace
  tau_.resize(std::max<lapack_int>(n - 1, 1));
  if (n == 0) return;

  const lapack_int info = LAPACKE_dsytrd(LAPACK_COL_MAJOR,
                                         'L',
                                         n,
                                         reflectors_.data(),
                                         n,
                                         diagonal_.data(),
                                         off_diagonal_.data(),
                                         tau_.data());
  check_lapack_arguments(info, "DSYTRD");
  off_diagonal_[n - 1] = 0.0;
}

// T = W diag(d) W^T by MRRR (DSTEMR): O(n^2) flops for all eigenpairs. If
// MRRR reports a failure, divide and conquer (DSTEDC) is the fallback.
void TridiagonalEigensystem::solve_tridiagonal() {
  const lapack_int n = static_cast<lapack_int>(diagonal_.size());
  eigenvalues_.resize(n);
  vectors_.resize(n, n);
  if (n == 0) return;

  Vector d = diagonal_;
  Vector e = off_diagonal_;
  std::vector<lapack_int> support(2 * static_cast<size_t>(n));
  lapack_int found = 0;
  lapack_logical tryrac = 1;
  lapack_int info = LAPACKE_dstemr(LAPACK_COL_MAJOR,
                                   'V',
                                   'A',
                                   n,
                                   d.data(),
                                   e.data(),
                                   0.0,
                                   0.0,
                                   0,
                                   0,
                                   &found,
                                   eigenvalues_.data(),
                                   vectors_.data(),
                                   n,
                                   n,
                                   support.data(),
                                   &tryrac);
  check_lapack_arguments(info, "DSTEMR");
  if (info == 0 && found == n) {
    solver_ = "dstemr";
    return;
  }

  eigenvalues_ = diagonal_;
  e = off_diagonal_;
  info = LAPACKE_dstedc(LAPACK_COL_MAJOR,
                        'I',
                        n,
                        eigenvalues_.data(),
                        e.data(),
                        vectors_.data(),
                        n);
  check_lapack_arguments(info, "DSTEDC");
  if (info > 0) {
    throw std::runtime_error(
        "the tridiagonal eigensolvers DSTEMR and DSTEDC both failed "
        "(DSTEDC info " +
        std::to_string(info) + ")");
  }
  solver_ = "dstedc";
}

// LAPACK returns ascending eigenvalues; rmtlens indexes them descending.
void TridiagonalEigensystem::sort_descending() {
  eigenvalues_.reverseInPlace();
  vectors_.rowwise().reverseInPlace();
}

Matrix TridiagonalEigensystem::project(const Matrix& x) const {
  if (vectors_formed_) return vectors_.transpose() * x;

  Matrix qt_x = x;
  const lapack_int n = static_cast<lapack_int>(size());
  if (n > 1) {
    const lapack_int info = LAPACKE_dormtr(LAPACK_COL_MAJOR,
                                           'L',
                                           'L',
                                           'T',
                                           n,
                                           static_cast<lapack_int>(qt_x.cols()),
                                           reflectors_.data(),
                                           n,
                                           tau_.data(),
                                           qt_x.data(),
                                           n);
    check_lapack_arguments(info, "DORMTR");
  }
  return vectors_.transpose() * qt_x;
}

Matrix TridiagonalEigensystem::expand(const Matrix& c) const {
  if (vectors_formed_) return vectors_ * c;

  Matrix w_c = vectors_ * c;
  const lapack_int n = static_cast<lapack_int>(size());
  if (n > 1) {
    const lapack_int info = LAPACKE_dormtr(LAPACK_COL_MAJOR,
                                           'L',
                                           'L',
                                           'N',
                                           n,
                                           static_cast<lapack_int>(w_c.cols()),
                                           reflectors_.data(),
                                           n,
                                           tau_.data(),
                                           w_c.data(),
                                           n);
    check_lapack_arguments(info, "DORMTR");
  }
  return w_c;
}

void TridiagonalEigensystem::form_eigenvectors() {
  if (vectors_formed_) return;
  const lapack_int n = static_cast<lapack_int>(size());
  if (n > 1) {
    const lapack_int info = LAPACKE_dormtr(LAPACK_COL_MAJOR,
                                           'L',
                                           'L',
                                           'N',
                                           n,
                                           n,
                                           reflectors_.data(),
                                           n,
                                           tau_.data(),
                                           vectors_.data(),
                                           n);
    check_lapack_arguments(info, "DORMTR");
  }
  reflectors_.resize(0, 0);
  vectors_formed_ = true;
}

const Matrix& TridiagonalEigensystem::eigenvectors() const {
  if (!vectors_formed_) {
    throw std::logic_error("eigenvectors() before form_eigenvectors()");
  }
  return vectors_;
}

}  // namespace rmtlens::detail
