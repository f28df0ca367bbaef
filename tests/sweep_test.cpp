// The sweep against independent references: direct solves of
// (K + N lambda I) a = Y, literal leave-one-out refits, the kernel
// alignment risk estimator written from its own formula, and invariances.
//
// Tolerance: 1e-9 relative. The spectral and direct routes differ by
// backward-stable rounding, eps * cond(K + N lambda I); the problems below
// keep cond below ~1e5, so 1e-9 leaves a margin of 1e2 over 1e-11.
#include "rmtlens/sweep.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rmtlens/kernels.hpp"

namespace rmtlens {
namespace {

constexpr double kTolerance = 1e-9;

Matrix gaussian_matrix(Index rows, Index cols, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal;
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = normal(engine);
  return m;
}

// A small classification problem on an RBF kernel of Gaussian inputs.
struct Problem {
  Matrix pool_kernel;  // n x n
  Matrix test_kernel;  // m x n
  Targets train;
  Targets test;
};

Problem make_problem(Index n, Index m, Index classes, std::uint64_t seed) {
  const Matrix x = gaussian_matrix(n, 5, seed);
  const Matrix xt = gaussian_matrix(m, 5, seed + 1);
  KernelOptions o;
  o.kind = KernelKind::kRbf;
  o.bandwidth = 2.0;

  Problem p;
  p.pool_kernel = kernel_gram(x, o);
  p.test_kernel = kernel_matrix(xt, x, o);
  std::vector<std::int64_t> labels(n), test_labels(m);
  for (Index i = 0; i < n; ++i) labels[i] = (x(i, 0) > 0) + (x(i, 1) > 0.5);
  for (Index i = 0; i < m; ++i)
    test_labels[i] = (xt(i, 0) > 0) + (xt(i, 1) > 0.5);
  (void)classes;
  make_class_targets(labels, test_labels, "y", "yt", &p.train, &p.test);
  return p;
}

SweepOptions options_for(std::vector<std::int64_t> sizes,
                         std::vector<double> ridges,
                         bool loo) {
  SweepOptions o;
  o.sizes = std::move(sizes);
  o.ridges = std::move(ridges);
  o.loo = loo;
  o.shuffle = false;
  return o;
}

double relative(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}

// Direct solve of (K + N lambda I) a = Y for the first n points.
struct DirectFit {
  double train_mse, test_mse, df, loo_literal, kare;
};

DirectFit direct_fit(const Problem& p, Index n, double ridge) {
  const Matrix k = p.pool_kernel.topLeftCorner(n, n);
  const Matrix y = p.train.y.topRows(n);
  const Matrix a = k + n * ridge * Matrix::Identity(n, n);
  const Eigen::LLT<Matrix> llt(a);
  const Matrix alpha = llt.solve(y);
  const Matrix inverse = llt.solve(Matrix::Identity(n, n));

  DirectFit f;
  f.train_mse = (k * alpha - y).squaredNorm() / n;
  f.test_mse = (p.test_kernel.leftCols(n) * alpha - p.test.y).squaredNorm() /
               p.test.size();
  f.df = (k * inverse).trace();

  // Kernel alignment risk estimator (Jacot et al. 2020, eq. for KARE):
  // (1/N) Y^T (K/N + l I)^-2 Y / ((1/N) tr (K/N + l I)^-1)^2.
  const Matrix scaled_inverse = n * inverse;  // (K/N + lambda I)^-1
  const double numerator = (scaled_inverse * y).squaredNorm() / n;
  const double trace = scaled_inverse.trace() / n;
  f.kare = numerator / (trace * trace);

  // Literal leave-one-out: refit without point i, predict it.
  double loo = 0.0;
  for (Index i = 0; i < n; ++i) {
    std::vector<Index> keep;
    for (Index j = 0; j < n; ++j)
      if (j != i) keep.push_back(j);
    const Index n1 = n - 1;
    Matrix k1(n1, n1), y1(n1, y.cols()), ki(1, n1);
    for (Index a1 = 0; a1 < n1; ++a1) {
      y1.row(a1) = y.row(keep[a1]);
      ki(0, a1) = k(i, keep[a1]);
      for (Index b1 = 0; b1 < n1; ++b1) k1(a1, b1) = k(keep[a1], keep[b1]);
    }
    // The refit keeps the full problem's N lambda shift, as LOO of a fixed
    // regulariser does.
    const Matrix shifted = k1 + n * ridge * Matrix::Identity(n1, n1);
    const Matrix prediction = ki * shifted.llt().solve(y1);
    loo += (prediction - y.row(i)).squaredNorm();
  }
  f.loo_literal = loo / n;
  return f;
}

TEST(Sweep, AgreesWithDirectSolves) {
  const Problem p = make_problem(120, 40, 3, 11);
  const std::vector<double> ridges = {1e-4, 1e-3, 1e-2, 1e-1, 1.0};
  const SweepResult r = sweep_kernel(p.pool_kernel,
                                     p.test_kernel,
                                     p.train,
                                     p.test,
                                     options_for({30, 75, 120}, ridges, true));
  ASSERT_EQ(r.rows.size(), 15u);
  for (const SweepRow& row : r.rows) {
    const DirectFit f = direct_fit(p, row.n, row.ridge);
    EXPECT_LT(relative(row.train_mse, f.train_mse), kTolerance) << row.n;
    EXPECT_LT(relative(row.test_mse, f.test_mse), kTolerance) << row.n;
    EXPECT_LT(relative(row.df, f.df), kTolerance) << row.n;
    EXPECT_LT(relative(row.loo, f.loo_literal), kTolerance) << row.n;
    EXPECT_LT(relative(row.gcv, f.kare), kTolerance) << row.n;
  }
}

TEST(Sweep, LooOffLeavesEverythingElseUnchanged) {
  const Problem p = make_problem(80, 30, 3, 12);
  const std::vector<double> ridges = {1e-3, 1e-1};
  const SweepResult with = sweep_kernel(p.pool_kernel,
                                        p.test_kernel,
                                        p.train,
                                        p.test,
                                        options_for({40, 80}, ridges, true));
  const SweepResult without =
      sweep_kernel(p.pool_kernel,
                   p.test_kernel,
                   p.train,
                   p.test,
                   options_for({40, 80}, ridges, false));
  for (size_t i = 0; i < with.rows.size(); ++i) {
    EXPECT_LT(relative(without.rows[i].gcv, with.rows[i].gcv), kTolerance);
    EXPECT_LT(relative(without.rows[i].test_mse, with.rows[i].test_mse),
              kTolerance);
    EXPECT_TRUE(std::isnan(without.rows[i].loo));
    EXPECT_EQ(without.rows[i].test_error, with.rows[i].test_error);
  }
}

TEST(Sweep, TrainingOrderDoesNotMatterAtFullPool) {
  const Problem p = make_problem(60, 25, 3, 13);
  SweepOptions a = options_for({60}, {1e-3, 1e-1}, true);
  SweepOptions b = a;
  a.shuffle = true;
  a.seed = 1;
  b.shuffle = true;
  b.seed = 2;
  const SweepResult ra =
      sweep_kernel(p.pool_kernel, p.test_kernel, p.train, p.test, a);
  const SweepResult rb =
      sweep_kernel(p.pool_kernel, p.test_kernel, p.train, p.test, b);
  ASSERT_NE(ra.order, rb.order);
  for (size_t i = 0; i < ra.rows.size(); ++i) {
    EXPECT_LT(relative(ra.rows[i].train_mse, rb.rows[i].train_mse), 1e-10);
    EXPECT_LT(relative(ra.rows[i].loo, rb.rows[i].loo), 1e-10);
    EXPECT_LT(relative(ra.rows[i].test_mse, rb.rows[i].test_mse), 1e-10);
  }
}

TEST(Sweep, ScalingKernelAndRidgeTogetherIsInvariant) {
  const Problem p = make_problem(70, 20, 3, 14);
  const double c = 37.5;
  const SweepResult base =
      sweep_kernel(p.pool_kernel,
                   p.test_kernel,
                   p.train,
                   p.test,
                   options_for({35, 70}, {1e-3, 1e-2}, true));
  const SweepResult scaled =
      sweep_kernel(c * p.pool_kernel,
                   c * p.test_kernel,
                   p.train,
                   p.test,
                   options_for({35, 70}, {c * 1e-3, c * 1e-2}, true));
  for (size_t i = 0; i < base.rows.size(); ++i) {
    EXPECT_LT(relative(scaled.rows[i].gcv, base.rows[i].gcv), 1e-10);
    EXPECT_LT(relative(scaled.rows[i].loo, base.rows[i].loo), 1e-10);
    EXPECT_LT(relative(scaled.rows[i].test_mse, base.rows[i].test_mse), 1e-10);
  }
}

TEST(Sweep, RidgelessIsTheLimitOfSmallRidges) {
  const Problem p = make_problem(50, 20, 3, 15);
  const SweepResult r = sweep_kernel(p.pool_kernel,
                                     p.test_kernel,
                                     p.train,
                                     p.test,
                                     options_for({50}, {0.0, 1e-13}, true));
  const SweepRow& zero = r.rows[0];
  const SweepRow& tiny = r.rows[1];
  // An RBF kernel of 50 distinct points is full rank: the interpolant
  // fits the training set and GCV is 0/0, reported as NaN with a note.
  EXPECT_LT(zero.train_mse, 1e-20);
  EXPECT_TRUE(std::isnan(zero.gcv));
  EXPECT_FALSE(r.notes.empty());
  EXPECT_LT(relative(zero.test_mse, tiny.test_mse), 1e-4);
  EXPECT_LT(relative(zero.loo, tiny.loo), 1e-4);
}

TEST(Sweep, PrimalRouteMatchesKernelRoute) {
  const Index n = 90, m = 30, p = 12;
  const Matrix f = gaussian_matrix(n, p, 21);
  const Matrix ft = gaussian_matrix(m, p, 22);
  const Matrix y = gaussian_matrix(n, 2, 23);
  const Matrix yt = gaussian_matrix(m, 2, 24);
  Targets train{y, {}, {}}, test{yt, {}, {}};
  KernelOptions linear;
  const Matrix k = kernel_gram(f, linear);
  const Matrix kt = kernel_matrix(ft, f, linear);

  // Ridge 0 with N > p: the kernel is rank p, so both routes must agree on
  // the least-squares fit, not an interpolant.
  const SweepOptions o = options_for({40, 90}, {0.0, 1e-3, 1e-1}, true);
  const SweepResult primal = sweep_linear_features(f, ft, train, test, o);
  const SweepResult dual = sweep_kernel(k, kt, train, test, o);
  ASSERT_EQ(primal.rows.size(), dual.rows.size());
  for (size_t i = 0; i < primal.rows.size(); ++i) {
    const SweepRow& a = primal.rows[i];
    const SweepRow& b = dual.rows[i];
    EXPECT_LT(relative(a.train_mse, b.train_mse), 1e-8) << i;
    EXPECT_LT(relative(a.gcv, b.gcv), 1e-8) << i;
    EXPECT_LT(relative(a.test_mse, b.test_mse), 1e-8) << i;
    EXPECT_LT(relative(a.df, b.df), 1e-8) << i;
    EXPECT_LT(relative(a.loo, b.loo), 1e-7) << i;
  }
}

TEST(Sweep, StandardErrorsMatchDirectComputation) {
  const Problem p = make_problem(60, 40, 3, 16);
  const SweepResult r = sweep_kernel(p.pool_kernel,
                                     p.test_kernel,
                                     p.train,
                                     p.test,
                                     options_for({60}, {1e-2}, false));
  const Matrix k = p.pool_kernel;
  const Matrix alpha =
      (k + 60 * 1e-2 * Matrix::Identity(60, 60)).llt().solve(p.train.y);
  const Matrix pred = p.test_kernel * alpha;
  const Vector e = (pred - p.test.y).rowwise().squaredNorm();
  const double mean = e.mean();
  const double sd = std::sqrt((e.array() - mean).square().sum() / 39.0);
  EXPECT_LT(relative(r.rows[0].test_mse_se, sd / std::sqrt(40.0)), 1e-9);
}

TEST(Sweep, ChoosesTheGcvMinimiserPerSize) {
  const Problem p = make_problem(80, 30, 3, 17);
  const std::vector<double> ridges = {1e-5, 1e-3, 1e-1, 10.0};
  const SweepResult r = sweep_kernel(p.pool_kernel,
                                     p.test_kernel,
                                     p.train,
                                     p.test,
                                     options_for({40, 80}, ridges, false));
  const std::vector<RidgeChoice> choices = choose_ridges(r);
  ASSERT_EQ(choices.size(), 2u);
  for (size_t s = 0; s < 2; ++s) {
    double best_gcv = INFINITY;
    double best_test = INFINITY;
    for (size_t j = 0; j < ridges.size(); ++j) {
      best_gcv = std::min(best_gcv, r.rows[s * 4 + j].gcv);
      best_test = std::min(best_test, r.rows[s * 4 + j].test_mse);
    }
    for (size_t j = 0; j < ridges.size(); ++j) {
      if (r.rows[s * 4 + j].gcv == best_gcv) {
        EXPECT_EQ(choices[s].gcv_ridge, ridges[j]);
      }
    }
    EXPECT_EQ(choices[s].best_test, best_test);
  }
}

TEST(SweepOptions, RejectsBadGrids) {
  SweepOptions o = options_for({10, 500}, {1e-3}, false);
  try {
    o.validate(100);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--sizes: 500 is outside [1, 100], the pool size");
  }
  SweepOptions neg = options_for({10}, {-1.0}, false);
  EXPECT_THROW(neg.validate(100), InputError);
  SweepOptions sorted = options_for({50, 10, 50}, {1.0}, false);
  sorted.validate(100);
  EXPECT_EQ(sorted.sizes, (std::vector<std::int64_t>{10, 50}));
}

TEST(SeededPermutation, IsAPermutationAndDependsOnTheSeed) {
  const auto a = seeded_permutation(1000, 7);
  const auto b = seeded_permutation(1000, 7);
  const auto c = seeded_permutation(1000, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<std::int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) EXPECT_EQ(sorted[i], i);
}

}  // namespace
}  // namespace rmtlens
