// Each kernel against its formula evaluated entry by entry; the Gram path
// (SYRK) against the general path (GEMM); the median heuristic against a
// brute-force median. Tolerance 1e-12: both sides compute the same
// expression from inner products of O(1) vectors in float64.
#include "rmtlens/kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace rmtlens {
namespace {

Matrix random_rows(Index n, Index p, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal;
  Matrix m(n, p);
  for (Index j = 0; j < p; ++j)
    for (Index i = 0; i < n; ++i) m(i, j) = normal(engine);
  return m;
}

double reference(const Vector& x, const Vector& y, const KernelOptions& o) {
  const double p = static_cast<double>(x.size());
  const double dot = x.dot(y);
  const double dist = (x - y).norm();
  const double pi = std::numbers::pi;
  switch (o.kind) {
    case KernelKind::kLinear:
      return dot / p;
    case KernelKind::kRbf:
      return std::exp(-dist * dist / (2 * o.bandwidth * o.bandwidth));
    case KernelKind::kLaplace:
      return std::exp(-dist / o.bandwidth);
    case KernelKind::kPolynomial:
      return std::pow(dot / p + o.offset, o.degree);
    case KernelKind::kArcCos0:
    case KernelKind::kArcCos1: {
      // acos is ill-conditioned at 1: take theta = 0 for x = y exactly.
      const double theta =
          x == y
              ? 0.0
              : std::acos(std::clamp(dot / (x.norm() * y.norm()), -1.0, 1.0));
      if (o.kind == KernelKind::kArcCos0) return 1 - theta / pi;
      return x.norm() * y.norm() *
             (std::sin(theta) + (pi - theta) * std::cos(theta)) / pi;
    }
  }
  return NAN;
}

class KernelFormula : public ::testing::TestWithParam<KernelKind> {};

TEST_P(KernelFormula, MatchesEntrywiseFormula) {
  KernelOptions o;
  o.kind = GetParam();
  o.bandwidth = 1.7;
  o.degree = 2;
  o.offset = 0.5;
  const Matrix a = random_rows(17, 6, 1);
  const Matrix b = random_rows(11, 6, 2);
  const Matrix k = kernel_matrix(a, b, o);
  const Matrix g = kernel_gram(a, o);
  ASSERT_EQ(k.rows(), 17);
  ASSERT_EQ(k.cols(), 11);
  for (Index i = 0; i < 17; ++i) {
    for (Index j = 0; j < 11; ++j) {
      EXPECT_NEAR(k(i, j), reference(a.row(i), b.row(j), o), 1e-12);
    }
    for (Index j = 0; j < 17; ++j) {
      EXPECT_NEAR(g(i, j), reference(a.row(i), a.row(j), o), 1e-12);
      EXPECT_EQ(g(i, j), g(j, i));  // exactly symmetric
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds,
                         KernelFormula,
                         ::testing::Values(KernelKind::kLinear,
                                           KernelKind::kRbf,
                                           KernelKind::kLaplace,
                                           KernelKind::kPolynomial,
                                           KernelKind::kArcCos0,
                                           KernelKind::kArcCos1));

TEST(Kernels, SinglePrecisionStaysCloseToDouble) {
  KernelOptions o;
  o.kind = KernelKind::kRbf;
  o.bandwidth = 3.0;
  const Matrix a = random_rows(40, 8, 3);
  KernelOptions f = o;
  f.single_precision = true;
  // float32 inner products carry ~1e-7 relative error into |x-y|^2 ~ 16,
  // so entries agree to a few 1e-6.
  EXPECT_LT((kernel_gram(a, o) - kernel_gram(a, f)).cwiseAbs().maxCoeff(),
            1e-5);
}

TEST(Kernels, MedianHeuristicIsTheMedianDistance) {
  const Matrix a = random_rows(31, 4, 4);
  std::vector<double> d;
  for (Index i = 0; i < 31; ++i)
    for (Index j = i + 1; j < 31; ++j)
      d.push_back((a.row(i) - a.row(j)).norm());
  std::sort(d.begin(), d.end());
  EXPECT_NEAR(median_distance(a), d[d.size() / 2], 1e-12);

  KernelOptions o;
  o.kind = KernelKind::kLaplace;
  EXPECT_NEAR(resolve_bandwidth(o, a).bandwidth, d[d.size() / 2], 1e-12);
}

TEST(Kernels, RejectsBadOptions) {
  KernelOptions o;
  o.degree = 0;
  try {
    o.validate();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--degree must be in 1..16, got 0");
  }
  EXPECT_THROW(parse_kernel_kind("gauss"), InputError);
  EXPECT_EQ(parse_kernel_kind("arccos1"), KernelKind::kArcCos1);
}

}  // namespace
}  // namespace rmtlens
