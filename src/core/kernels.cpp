#include "rmtlens/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace rmtlens {

namespace {

// a b^T by one GEMM, in float32 when asked (SGEMM halves the time and the
// entries keep ~7 significant digits, enough for a baseline kernel).
Matrix inner_products(const Matrix& a, const Matrix& b, bool single) {
  if (!single) return a * b.transpose();
  const Eigen::MatrixXf af = a.cast<float>();
  const Eigen::MatrixXf bf = b.cast<float>();
  return (af * bf.transpose()).cast<double>();
}

// a a^T by SYRK, mirrored so the result is exactly symmetric.
Matrix gram_inner_products(const Matrix& a, bool single) {
  const Index n = a.rows();
  Matrix g;
  if (single) {
    const Eigen::MatrixXf af = a.cast<float>();
    Eigen::MatrixXf gf = Eigen::MatrixXf::Zero(n, n);
    gf.selfadjointView<Eigen::Lower>().rankUpdate(af);
    g = gf.cast<double>();
  } else {
    g = Matrix::Zero(n, n);
    g.selfadjointView<Eigen::Lower>().rankUpdate(a);
  }
  g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
  return g;
}

// Turns the inner products x.y (in place) into k(x, y), given the squared
// norms of the rows of both sides and the feature dimension p.
void map_inner_products(Matrix& inner,
                        const Vector& norm2_a,
                        const Vector& norm2_b,
                        Index p,
                        const KernelOptions& o) {
  const double inv_p = 1.0 / static_cast<double>(std::max<Index>(p, 1));
  const double h = o.bandwidth;
  const double pi = std::numbers::pi;

  for (Index j = 0; j < inner.cols(); ++j) {
    for (Index i = 0; i < inner.rows(); ++i) {
      const double dot = inner(i, j);
      const double na2 = norm2_a[i];
      const double nb2 = norm2_b[j];
      const double d2 = std::max(na2 + nb2 - 2.0 * dot, 0.0);
      double k = 0.0;
      switch (o.kind) {
        case KernelKind::kLinear:
          k = dot * inv_p;
          break;
        case KernelKind::kRbf:
          k = std::exp(-d2 / (2.0 * h * h));
          break;
        case KernelKind::kLaplace:
          k = std::exp(-std::sqrt(d2) / h);
          break;
        case KernelKind::kPolynomial:
          k = std::pow(dot * inv_p + o.offset, o.degree);
          break;
        case KernelKind::kArcCos0:
        case KernelKind::kArcCos1: {
          const double norms = std::sqrt(na2 * nb2);
          const double c =
              norms > 0.0 ? std::clamp(dot / norms, -1.0, 1.0) : 0.0;
          const double theta = std::acos(c);
          k = o.kind == KernelKind::kArcCos0
                  ? 1.0 - theta / pi
                  : norms * (std::sin(theta) + (pi - theta) * c) / pi;
          break;
        }
      }
      inner(i, j) = k;
    }
  }
}

bool uses_bandwidth(KernelKind kind) {
  return kind == KernelKind::kRbf || kind == KernelKind::kLaplace;
}

void require_resolved(const KernelOptions& o) {
  o.validate();
  if (uses_bandwidth(o.kind) && !(o.bandwidth > 0.0)) {
    throw std::logic_error("kernel bandwidth not resolved before use");
  }
}

}  // namespace

void KernelOptions::validate() const {
  if (!(bandwidth >= 0.0) || !std::isfinite(bandwidth)) {
    throw InputError(
        "--bandwidth must be a finite number >= 0 (0: median "
        "heuristic), got " +
        std::to_string(bandwidth));
  }
  if (degree < 1 || degree > 16) {
    throw InputError("--degree must be in 1..16, got " +
                     std::to_string(degree));
  }
  if (!(offset >= 0.0) || !std::isfinite(offset)) {
    throw InputError("--offset must be a finite number >= 0, got " +
                     std::to_string(offset));
  }
}

KernelKind parse_kernel_kind(const std::string& name) {
  if (name == "linear") return KernelKind::kLinear;
  if (name == "rbf") return KernelKind::kRbf;
  if (name == "laplace") return KernelKind::kLaplace;
  if (name == "poly" || name == "polynomial") return KernelKind::kPolynomial;
  if (name == "arccos0") return KernelKind::kArcCos0;
  if (name == "arccos1" || name == "arccos") return KernelKind::kArcCos1;
  throw InputError(
      "--kernel-fn must be one of linear, rbf, laplace, poly, "
      "arccos0, arccos1; got '" +
      name + "'");
}

std::string kernel_name(KernelKind kind) {
  switch (kind) {
    case KernelKind::kLinear:
      return "linear";
    case KernelKind::kRbf:
      return "rbf";
    case KernelKind::kLaplace:
      return "laplace";
    case KernelKind::kPolynomial:
      return "poly";
    case KernelKind::kArcCos0:
      return "arccos0";
    case KernelKind::kArcCos1:
      return "arccos1";
  }
  return "unknown";
}

double median_distance(const Matrix& x) {
  const Index m = std::min<Index>(x.rows(), kMedianSample);
  if (m < 2) {
    throw InputError(
        "the median bandwidth heuristic needs at least 2 "
        "training rows, got " +
        std::to_string(x.rows()));
  }
  const Matrix head = x.topRows(m);
  const Matrix inner = head * head.transpose();
  const Vector norm2 = inner.diagonal();

  std::vector<double> distances;
  distances.reserve(static_cast<size_t>(m * (m - 1) / 2));
  for (Index j = 0; j < m; ++j) {
    for (Index i = j + 1; i < m; ++i) {
      const double d2 = norm2[i] + norm2[j] - 2.0 * inner(i, j);
      distances.push_back(std::sqrt(std::max(d2, 0.0)));
    }
  }
  auto middle = distances.begin() + distances.size() / 2;
  std::nth_element(distances.begin(), middle, distances.end());
  return *middle;
}

KernelOptions resolve_bandwidth(const KernelOptions& options,
                                const Matrix& train) {
  options.validate();
  KernelOptions resolved = options;
  if (uses_bandwidth(options.kind) && options.bandwidth == 0.0) {
    resolved.bandwidth = median_distance(train);
    if (!(resolved.bandwidth > 0.0)) {
      throw InputError(
          "the median pairwise distance of the training rows "
          "is 0 (duplicate rows?); pass --bandwidth");
    }
  }
  return resolved;
}

Matrix kernel_matrix(const Matrix& a,
                     const Matrix& b,
                     const KernelOptions& options) {
  require_resolved(options);
  if (a.cols() != b.cols()) {
    throw std::logic_error("kernel_matrix: feature dimensions differ");
  }
  Matrix k = inner_products(a, b, options.single_precision);
  const Vector norm2_a = a.rowwise().squaredNorm();
  const Vector norm2_b = b.rowwise().squaredNorm();
  map_inner_products(k, norm2_a, norm2_b, a.cols(), options);
  return k;
}

Matrix kernel_gram(const Matrix& a, const KernelOptions& options) {
  require_resolved(options);
  Matrix k = gram_inner_products(a, options.single_precision);
  const Vector norm2 = k.diagonal();
  map_inner_products(k, norm2, norm2, a.cols(), options);
  return k;
}

}  // namespace rmtlens
