#include "rmtlens/spectral.hpp"

#include <lapacke.h>

#include <algorithm>

#include "eigensystem.hpp"

namespace rmtlens {

KernelSpectrum kernel_spectrum(Matrix kernel, const Matrix& y) {
  if (kernel.rows() != y.rows()) {
    throw std::logic_error("kernel_spectrum: kernel and targets differ in n");
  }
  detail::TridiagonalEigensystem system(std::move(kernel));

  KernelSpectrum spectrum;
  spectrum.projections = system.project(y);
  spectrum.eigenvalues = system.eigenvalues().cwiseMax(0.0);
  if (system.size() > 0) {
    spectrum.most_negative_eigenvalue =
        std::min(0.0, system.eigenvalues().minCoeff());
  }
  return spectrum;
}

// DSYEVD with jobz = 'N' is DSYTRD followed by the O(n^2) root-free QR
// iteration (DSTERF): the bare cost of an eigenvalues-only reduction.
Vector kernel_eigenvalues(Matrix kernel) {
  const lapack_int n = static_cast<lapack_int>(kernel.rows());
  Vector w(n);
  if (n == 0) return w;

  const lapack_int info =
      LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', n, kernel.data(), n, w.data());
  detail::check_lapack_arguments(info, "DSYEVD");
  if (info > 0) {
    throw std::runtime_error("DSYEVD did not converge (info " +
                             std::to_string(info) + ")");
  }
  w.reverseInPlace();
  return w;
}

}  // namespace rmtlens
