#include "ridge_path.hpp"

#include <cmath>
#include <limits>

namespace rmtlens::detail {

RidgeWeights ridge_weights(const Vector& d, Index n, double ridge) {
  const Index r = d.size();
  RidgeWeights w;
  w.s.resize(r);
  w.one_minus_s.resize(r);
  w.g.resize(r);
  const double shift = static_cast<double>(n) * ridge;
  const double d_max = r > 0 ? d.maxCoeff() : 0.0;
  const double tol =
      d_max * static_cast<double>(n) * std::numeric_limits<double>::epsilon();

  for (Index i = 0; i < r; ++i) {
    if (ridge > 0.0) {
      w.g[i] = 1.0 / (d[i] + shift);
      w.s[i] = d[i] * w.g[i];
      w.one_minus_s[i] = shift * w.g[i];
    } else {
      const bool kept = d[i] > tol;
      w.g[i] = kept ? 1.0 / d[i] : 0.0;
      w.s[i] = kept ? 1.0 : 0.0;
      w.one_minus_s[i] = kept ? 0.0 : 1.0;
      w.full_rank = w.full_rank && kept;
    }
  }
  return w;
}

void fill_training_quantities(const Vector& energy,
                              double residual_energy,
                              Index n,
                              const RidgeWeights& w,
                              SweepRow& row) {
  const double size = static_cast<double>(n);
  const double train =
      (w.one_minus_s.cwiseAbs2().dot(energy) + residual_energy) / size;

  // 1 - df/N = (1/N) sum_i (1 - s_i) + (N - r)/N, summed without
  // cancellation so GCV stays accurate at tiny ridges.
  const double null_count = static_cast<double>(n - energy.size());
  const double slack = (w.one_minus_s.sum() + null_count) / size;

  row.train_mse = train;
  row.df = w.s.sum();
  row.gcv = slack > 0.0 ? train / (slack * slack) : kNaN;
}

void fill_test_quantities(const Matrix& predictions,
                          const Targets& test,
                          SweepRow& row,
                          Eigen::Ref<Matrix> losses) {
  const Index m = predictions.rows();
  const Vector errors = (predictions - test.y).rowwise().squaredNorm();
  losses.col(0) = errors;
  const double mean = errors.mean();
  row.test_mse = mean;
  if (m > 1) {
    const double var = (errors.array() - mean).square().sum() / (m - 1);
    row.test_mse_se = std::sqrt(var / m);
  }
  if (!test.is_classification()) return;

  Index wrong = 0;
  for (Index i = 0; i < m; ++i) {
    Index predicted = 0;
    predictions.row(i).maxCoeff(&predicted);
    const bool miss = predicted != test.class_index[i];
    losses(i, 1) = miss ? 1.0 : 0.0;
    wrong += miss;
  }
  const double rate = static_cast<double>(wrong) / m;
  row.test_error = rate;
  if (m > 1) {
    row.test_error_se = std::sqrt(rate * (1.0 - rate) / (m - 1));
  }
}

void fill_leverage_columns(const Vector& one_minus_h,
                           const GcvTrustRule& rule,
                           SweepRow& row) {
  const LeverageSpread spread = leverage_spread(one_minus_h);
  row.leverage_cv = spread.cv;
  row.leverage_max = spread.max;
  row.slack_cv = spread.slack_cv;
  row.gcv_loo_ratio = row.gcv / row.loo;

  const GcvVerdict v =
      assess_gcv(spread, row.gcv, std::isfinite(row.loo), rule);
  row.gcv_trusted = v.assessed ? (v.trusted ? 1.0 : 0.0) : kNaN;
}

void fill_test_intervals(const Matrix& losses,
                         const BootstrapOptions& options,
                         std::vector<SweepRow>& rows) {
  const std::vector<Interval> ci = bootstrap_mean_intervals(losses, options);
  const size_t k = ci.size() / rows.size();
  for (size_t j = 0; j < rows.size(); ++j) {
    rows[j].test_mse_lo = ci[j * k].lo;
    rows[j].test_mse_hi = ci[j * k].hi;
    if (k < 2) continue;
    rows[j].test_error_lo = ci[j * k + 1].lo;
    rows[j].test_error_hi = ci[j * k + 1].hi;
  }
}

}  // namespace rmtlens::detail
