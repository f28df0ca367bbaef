// Population spectra from a large sample's kernel or features (DESIGN
// section 1: sigma_i = d_i / P, theta_i = V_i^T Y / sqrt(P)).
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <string>

#include "rmtlens/spectral.hpp"
#include "rmtlens/theory.hpp"

namespace rmtlens {
namespace {

constexpr double kNullRatio = 1e-13;

void check_rows(Index rows, Index y_rows, const std::string& what) {
  if (rows < 1 || rows != y_rows) {
    throw InputError("population " + what + ": " + std::to_string(rows) +
                     " rows but " + std::to_string(y_rows) +
                     " target rows (need equal and >= 1)");
  }
}

}  // namespace

PopulationSpectrum population_from_kernel(Matrix kernel, const Matrix& y) {
  check_rows(kernel.rows(), y.rows(), "kernel");
  if (kernel.cols() != kernel.rows()) {
    throw InputError("population kernel: " + std::to_string(kernel.rows()) +
                     " x " + std::to_string(kernel.cols()) +
                     " (must be square)");
  }
  const double total = y.squaredNorm();
  const KernelSpectrum s = kernel_spectrum(std::move(kernel), y);
  const Vector energy = s.projections.rowwise().squaredNorm();
  return population_from_sample(
      s.eigenvalues, energy, total - energy.sum(), y.rows());
}

PopulationSpectrum population_from_features(const Matrix& features,
                                            const Matrix& y) {
  check_rows(features.rows(), y.rows(), "features");
  const double p = static_cast<double>(features.cols());
  if (features.cols() >= features.rows()) {
    return population_from_kernel(features * features.transpose() / p, y);
  }

  // Primal: F^T F / p = U diag(d) U^T, then B_i = u_i^T F^T Y / sqrt(p d_i).
  const Matrix gram = features.transpose() * features / p;
  Eigen::SelfAdjointEigenSolver<Matrix> eig(gram);
  const Vector d = eig.eigenvalues().reverse().cwiseMax(0.0);
  const Matrix projected =
      (eig.eigenvectors().rowwise().reverse()).transpose() *
      (features.transpose() * y);
  Vector energy = Vector::Zero(d.size());
  for (Index i = 0; i < d.size(); ++i) {
    if (d[i] > kNullRatio * d[0]) {
      energy[i] = projected.row(i).squaredNorm() / (p * d[i]);
    }
  }
  const double total = y.squaredNorm();
  return population_from_sample(
      d, energy, total - energy.sum(), features.rows());
}

}  // namespace rmtlens
