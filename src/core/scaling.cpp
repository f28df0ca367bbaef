// Learning curves predicted by the deterministic equivalent.
#include "rmtlens/scaling.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace rmtlens {
namespace {

void check_curve_grid(const std::vector<double>& sizes,
                      const std::vector<double>& ridges,
                      double fixed_ridge) {
  for (double n : sizes) {
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw InputError("learning curve: size " + std::to_string(n) +
                       " (must be finite and > 0)");
    }
  }
  if (ridges.empty()) {
    throw InputError("learning curve: the ridge grid is empty");
  }
  for (double r : ridges) {
    if (!(r >= 0.0) || !std::isfinite(r)) {
      throw InputError("learning curve: ridge " + std::to_string(r) +
                       " (must be finite and >= 0)");
    }
  }
  if (!(fixed_ridge >= 0.0) || !std::isfinite(fixed_ridge)) {
    throw InputError("learning curve: fixed ridge " +
                     std::to_string(fixed_ridge) +
                     " (must be finite and >= 0)");
  }
}

// Keeps the first solver failure of a curve.
void record(PredictedCurve& curve, const RiskPrediction& p) {
  if (p.converged) return;
  if (curve.converged) curve.message = p.message;
  curve.converged = false;
}

}  // namespace

PredictedCurve predict_learning_curve(const PopulationSpectrum& population,
                                      const std::vector<double>& sizes,
                                      const std::vector<double>& ridges,
                                      double fixed_ridge,
                                      const EffectiveRidgeOptions& options) {
  population.validate();
  check_curve_grid(sizes, ridges, fixed_ridge);
  PredictedCurve curve;
  curve.sizes = sizes;
  for (double n : sizes) {
    const RiskPrediction fixed =
        deterministic_equivalent(population, n, fixed_ridge, options);
    record(curve, fixed);
    curve.risk_fixed.push_back(fixed.test);

    // The ridge of the grid with the smallest predicted risk (ties: the
    // larger ridge, as choose_ridges does for GCV).
    double best = kNaN, best_ridge = kNaN;
    for (double ridge : ridges) {
      const RiskPrediction p =
          deterministic_equivalent(population, n, ridge, options);
      record(curve, p);
      if (std::isnan(best) || p.test < best ||
          (p.test == best && ridge > best_ridge)) {
        best = p.test;
        best_ridge = ridge;
      }
    }
    curve.risk_best.push_back(best);
    curve.best_ridge.push_back(best_ridge);
  }
  curve.fixed_fit = fit_log_log(curve.sizes, curve.risk_fixed);
  curve.best_fit = fit_log_log(curve.sizes, curve.risk_best);
  return curve;
}

}  // namespace rmtlens
