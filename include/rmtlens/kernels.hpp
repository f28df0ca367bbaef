// Kernels computed from features or raw inputs, BLAS-3 throughout.
//
// Samples are rows: a is na x p, b is nb x p. Squared distances come from
// one GEMM, |x|^2 + |y|^2 - 2 x.y, so every kernel costs one n x m x p GEMM
// plus O(n m) elementwise work.
#pragma once

#include <cstdint>
#include <string>

#include "rmtlens/types.hpp"

namespace rmtlens {

enum class KernelKind {
  kLinear,      // x.y / p
  kRbf,         // exp(-|x-y|^2 / (2 h^2))
  kLaplace,     // exp(-|x-y| / h)
  kPolynomial,  // (x.y / p + offset)^degree
  kArcCos0,     // 1 - theta / pi       (Cho and Saul 2009, order 0)
  kArcCos1,     // |x||y| (sin theta + (pi - theta) cos theta) / pi  (order 1)
};

struct KernelOptions {
  KernelKind kind = KernelKind::kLinear;
  // Bandwidth h of rbf and laplace, > 0; 0 means the median heuristic:
  // h = median pairwise distance over at most kMedianSample training rows.
  double bandwidth = 0.0;
  int degree = 3;       // polynomial degree, 1..16
  double offset = 1.0;  // polynomial offset, >= 0
  // Compute the Gram matrices in float32 (SGEMM), halving the time of the
  // GEMM; entries are returned as float64 either way.
  bool single_precision = false;

  void validate() const;  // throws InputError naming the field
};

constexpr std::int64_t kMedianSample = 1000;

// "linear", "rbf", "laplace", "poly", "arccos0", "arccos1".
KernelKind parse_kernel_kind(const std::string& name);
std::string kernel_name(KernelKind kind);

// Median Euclidean distance between distinct rows among the first
// kMedianSample rows of x (n x p, n >= 2).
double median_distance(const Matrix& x);

// Resolves the median heuristic: returns options with bandwidth > 0 for the
// kinds that use one, computed on `train` (n x p).
KernelOptions resolve_bandwidth(const KernelOptions& options,
                                const Matrix& train);

// k(a_i, b_j) for a (na x p) and b (nb x p): an na x nb matrix. The
// bandwidth must already be resolved.
Matrix kernel_matrix(const Matrix& a,
                     const Matrix& b,
                     const KernelOptions& options);

// k(a_i, a_j): a symmetric na x na matrix, exactly symmetric (SYRK).
Matrix kernel_gram(const Matrix& a, const KernelOptions& options);

}  // namespace rmtlens
