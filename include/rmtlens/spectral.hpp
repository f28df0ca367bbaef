// Symmetric eigendecompositions through LAPACK, by the cheapest exact
// route: Householder tridiagonalisation (DSYTRD), eigenpairs of the
// tridiagonal matrix by MRRR (DSTEMR, O(N^2)), and the back-transformation
// (DORMTR) only when the eigenvectors themselves are needed.
#pragma once

#include "rmtlens/types.hpp"

namespace rmtlens {

// Eigenvalues and the projections B = V^T Y of a symmetric kernel.
struct KernelSpectrum {
  Vector eigenvalues;  // descending, negative ones clipped to 0 (n)
  Matrix projections;  // B = V^T Y, row i belongs to eigenvalue i (n x C)
  double most_negative_eigenvalue = 0.0;  // before clipping; 0 if none
};

// kernel: n x n symmetric, taken by value and used as workspace (move it
// in to avoid a copy). y: n x C. Cost: the reduction (4/3 n^3) plus
// O(n^2 C); no eigenvector matrix is ever formed.
KernelSpectrum kernel_spectrum(Matrix kernel, const Matrix& y);

// Eigenvalues only (DSYEVD with jobz = 'N'), descending, not clipped.
Vector kernel_eigenvalues(Matrix kernel);

}  // namespace rmtlens
