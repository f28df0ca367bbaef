// The effective-ridge equation of the deterministic equivalent (DESIGN
// section 1), solved by safeguarded Newton steps on log kappa inside a
// bracket that always contains the root.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "rmtlens/theory.hpp"

namespace rmtlens {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Neumaier's compensated sum: sums over millions of entries keep a
// relative error near machine epsilon instead of growing with the count.
class CompensatedSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

// The sums one Newton step needs at a given kappa > 0.
struct RidgeSums {
  double df1 = 0.0;  // sum m sigma / (sigma + kappa)
  double s2 = 0.0;   // sum m sigma / (sigma + kappa)^2
  // N - df1 written with non-negative terms only, valid when rank <= N:
  // (N - rank) + sum_{sigma > 0} m kappa / (sigma + kappa).
  double gap_positive = 0.0;
};

RidgeSums ridge_sums(const Vector& sigma,
                     const Vector& multiplicity,
                     double n,
                     double rank,
                     double kappa) {
  CompensatedSum df1, s2, complement;
  const bool unit = multiplicity.size() == 0;
  for (Index i = 0; i < sigma.size(); ++i) {
    const double s = sigma[i];
    if (s <= 0.0) continue;
    const double m = unit ? 1.0 : multiplicity[i];
    const double inv = 1.0 / (s + kappa);
    df1.add(m * s * inv);
    s2.add(m * s * inv * inv);
    complement.add(m * kappa * inv);
  }
  return {df1.value(), s2.value(), (n - rank) + complement.value()};
}

// The monotone function whose root is log kappa, and its derivative.
// lambda > 0: F(u) = u + log(1 - df1/N) - log(lambda), increasing where
// df1 < N and -inf below that region. lambda = 0 (rank > N):
// F(u) = log(N) - log(df1), increasing because df1 decreases in kappa.
struct Residual {
  double value = 0.0;
  double slope = 0.0;
};

Residual ridge_residual(
    const RidgeSums& s, double n, double rank, double lambda, double kappa) {
  if (lambda == 0.0) {
    return {std::log(n) - std::log(s.df1), kappa * s.s2 / s.df1};
  }
  const double gap = rank <= n ? s.gap_positive : n - s.df1;
  if (!(gap > 0.0)) return {-kInf, 0.0};
  return {std::log(kappa) + std::log(gap / n) - std::log(lambda),
          1.0 + kappa * s.s2 / gap};
}

// A kappa at which df1 > N when rank > N: with the m-th largest eigenvalue
// sigma_(m), m = min(rank, ceil(2N)), and kappa = delta sigma_(m),
// df1 >= m / (1 + delta) > N for delta = min(1/2, (m - N) / (2N)).
double lower_bracket_ridgeless(const Vector& sigma,
                               const Vector& multiplicity,
                               double n,
                               double rank) {
  const double m = std::min(rank, std::ceil(2.0 * n));
  double seen = 0.0;
  Index at = 0;
  for (; at < sigma.size(); ++at) {
    seen += multiplicity.size() == 0 ? 1.0 : multiplicity[at];
    if (seen >= m) break;
  }
  at = std::min(at, sigma.size() - 1);
  while (at > 0 && !(sigma[at] > 0.0)) --at;
  const double delta = std::min(0.5, (m - n) / (2.0 * n));
  return delta * sigma[at];
}

std::string describe_failure(int iterations, double lo, double hi) {
  std::ostringstream out;
  out << "effective ridge not converged after " << iterations
      << " iterations; kappa bracketed in [" << lo << ", " << hi << "]";
  return out.str();
}

double spectrum_rank(const Vector& sigma, const Vector& multiplicity) {
  double r = 0.0;
  for (Index i = 0; i < sigma.size(); ++i) {
    if (sigma[i] > 0.0) r += multiplicity.size() == 0 ? 1.0 : multiplicity[i];
  }
  return r;
}

double spectrum_trace(const Vector& sigma, const Vector& multiplicity) {
  CompensatedSum t;
  for (Index i = 0; i < sigma.size(); ++i) {
    t.add((multiplicity.size() == 0 ? 1.0 : multiplicity[i]) * sigma[i]);
  }
  return t.value();
}

void check_entry(const std::string& what,
                 Index i,
                 double value,
                 bool ok,
                 const std::string& bound) {
  if (ok) return;
  throw InputError(what + " entry " + std::to_string(i) + " = " +
                   std::to_string(value) + " (" + bound + ")");
}

// Shapes and ranges of a spectrum; theta may be null (solver only).
void check_spectrum(const std::string& name,
                    const Vector& sigma,
                    const Vector* theta,
                    const Vector& multiplicity) {
  if (sigma.size() == 0) {
    throw InputError(name + ": no eigenvalues (need at least 1)");
  }
  const auto require_length = [&](const Vector& v, const char* field) {
    if (v.size() == sigma.size()) return;
    throw InputError(name + ": " + field + " has " + std::to_string(v.size()) +
                     " entries, sigma has " + std::to_string(sigma.size()));
  };
  if (theta != nullptr) require_length(*theta, "theta_energy");
  if (multiplicity.size() != 0) require_length(multiplicity, "multiplicity");

  for (Index i = 0; i < sigma.size(); ++i) {
    const double s = sigma[i];
    check_entry(name + ": sigma",
                i,
                s,
                std::isfinite(s) && s >= 0.0,
                "must be finite and >= 0");
    check_entry(name + ": sigma",
                i,
                s,
                i == 0 || s <= sigma[i - 1],
                "exceeds the previous one; must be descending");
    if (theta != nullptr) {
      const double t = (*theta)[i];
      check_entry(name + ": theta_energy",
                  i,
                  t,
                  std::isfinite(t) && t >= 0.0,
                  "must be finite and >= 0");
    }
    if (multiplicity.size() != 0) {
      const double m = multiplicity[i];
      check_entry(name + ": multiplicity",
                  i,
                  m,
                  std::isfinite(m) && m > 0.0,
                  "must be finite and > 0");
    }
  }
}

}  // namespace

double PopulationSpectrum::rank() const {
  return spectrum_rank(sigma, multiplicity);
}

double PopulationSpectrum::trace() const {
  return spectrum_trace(sigma, multiplicity);
}

void PopulationSpectrum::validate(const std::string& name) const {
  check_spectrum(name, sigma, &theta_energy, multiplicity);
  if (!std::isfinite(residual) || residual < 0.0) {
    throw InputError(name + ": residual = " + std::to_string(residual) +
                     " (must be finite and >= 0)");
  }
}

void EffectiveRidgeOptions::validate() const {
  if (!(log_tolerance >= 1e-15 && log_tolerance <= 1e-2)) {
    throw InputError(
        "effective ridge log_tolerance = " + std::to_string(log_tolerance) +
        " (must be in [1e-15, 1e-2])");
  }
  if (max_iterations < 1 || max_iterations > 10000) {
    throw InputError(
        "effective ridge max_iterations = " + std::to_string(max_iterations) +
        " (must be in [1, 10000])");
  }
}

namespace {

// Safeguarded Newton on u = log kappa in [lo_u, hi_u] with
// F(lo_u) <= 0 <= F(hi_u): a Newton step that leaves the bracket, or
// starts from a point where F is infinite, is replaced by bisection.
EffectiveRidge newton_in_log_space(const Vector& sigma,
                                   const Vector& multiplicity,
                                   double n,
                                   double rank,
                                   double lambda,
                                   double lo_u,
                                   double hi_u,
                                   const EffectiveRidgeOptions& options) {
  EffectiveRidge out;
  double u = hi_u;
  for (int it = 1; it <= options.max_iterations; ++it) {
    out.iterations = it;
    const double kappa = std::exp(u);
    const RidgeSums s = ridge_sums(sigma, multiplicity, n, rank, kappa);
    const Residual r = ridge_residual(s, n, rank, lambda, kappa);
    out.kappa = kappa;
    if (r.value == 0.0) {
      out.converged = true;
      return out;
    }

    // Shrink the bracket, then step.
    (r.value < 0.0 ? lo_u : hi_u) = u;
    double next = u - r.value / r.slope;
    if (!std::isfinite(next) || next <= lo_u || next >= hi_u) {
      next = 0.5 * (lo_u + hi_u);
    }
    if (std::abs(next - u) < options.log_tolerance ||
        hi_u - lo_u < options.log_tolerance) {
      out.kappa = std::exp(next);
      out.converged = true;
      return out;
    }
    u = next;
  }
  out.message =
      describe_failure(options.max_iterations, std::exp(lo_u), std::exp(hi_u));
  return out;
}

void check_solver_arguments(const Vector& sigma,
                            const Vector& multiplicity,
                            double n,
                            double lambda) {
  check_spectrum("effective ridge spectrum", sigma, nullptr, multiplicity);
  if (!(n > 0.0) || !std::isfinite(n)) {
    throw InputError("effective ridge: n = " + std::to_string(n) +
                     " (must be finite and > 0)");
  }
  if (!(lambda >= 0.0) || !std::isfinite(lambda)) {
    throw InputError("effective ridge: lambda = " + std::to_string(lambda) +
                     " (must be finite and >= 0)");
  }
}

// Fills df1, df2 and the shrinkage lambda / kappa at the solution.
void finish(EffectiveRidge& out,
            const Vector& sigma,
            const Vector& multiplicity,
            double n,
            double rank,
            double lambda) {
  if (out.kappa == 0.0) {
    out.df1 = rank;
    out.df2 = rank;
    out.shrinkage = rank >= n ? 0.0 : 1.0 - rank / n;
    out.variance_gap = out.shrinkage;
    return;
  }
  const RidgeSums s = ridge_sums(sigma, multiplicity, n, rank, out.kappa);
  out.df1 = s.df1;
  out.df2 = s.df1 - out.kappa * s.s2;
  out.shrinkage = lambda / out.kappa;
  out.variance_gap = out.shrinkage + out.kappa * s.s2 / n;
}

}  // namespace

EffectiveRidge solve_effective_ridge(const Vector& sigma,
                                     const Vector& multiplicity,
                                     double n,
                                     double lambda,
                                     const EffectiveRidgeOptions& options) {
  options.validate();
  check_solver_arguments(sigma, multiplicity, n, lambda);
  const double rank = spectrum_rank(sigma, multiplicity);
  const double trace = spectrum_trace(sigma, multiplicity);

  // Closed cases: no spectrum to shrink, or the ridgeless limit with at
  // most N modes.
  EffectiveRidge out;
  if (trace == 0.0 || (lambda == 0.0 && rank <= n)) {
    out.kappa = lambda;
    out.converged = true;
    finish(out, sigma, multiplicity, n, rank, lambda);
    return out;
  }

  // The root lies in [lambda, lambda + tr/N] (kappa df1 / N <= tr / N);
  // for lambda = 0 the lower end comes from lower_bracket_ridgeless.
  const double hi = lambda + trace / n;
  const double lo = lambda > 0.0
                        ? lambda
                        : lower_bracket_ridgeless(sigma, multiplicity, n, rank);
  out = newton_in_log_space(sigma,
                            multiplicity,
                            n,
                            rank,
                            lambda,
                            std::log(lo),
                            std::log(hi),
                            options);
  finish(out, sigma, multiplicity, n, rank, lambda);
  return out;
}

}  // namespace rmtlens
