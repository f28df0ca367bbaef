// Learning curves from the deterministic equivalent: power-law spectra,
// predicted scaling exponents and extrapolation beyond the measured sizes
// (DESIGN section 1, "Spectral analysis", the scaling items).
//
//   PowerLawModel model{.alpha = 1.5, .gamma = 1.0, .signal = 1.0};
//   PopulationSpectrum pop = power_law_population(model);
//   PredictedCurve c = predict_learning_curve(pop, {1e3, 1e4}, {0.0}, 0.0);
//   use(c.fixed_fit.exponent, closed_form_exponent(1.5, 1.0));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/power_law.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/theory.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// How a power-law tail of infinitely many modes is stored: the first
// `explicit_modes` tail modes one entry each, then bins with ratio
// 10^(1 / bins_per_decade) between edges, up to mode index `max_index`.
// Target energy beyond max_index joins the residual; eigenvalue mass beyond
// it is dropped (relative size ~ max_index^(1 - alpha) of the trace).
struct TailGridOptions {
  std::int64_t explicit_modes = 1000;  // >= 1
  int bins_per_decade = 32;            // 4..1024; 32 keeps sums to ~1e-4
  double max_index = 1e30;             // > explicit modes, <= 1e300

  void validate() const;  // throws InputError naming the field
};

// Appends the modes i > anchor to `spectrum`, whose last entry is mode
// `anchor` (>= 1, 1-based) with eigenvalue sigma_anchor > 0:
//   sigma_i = sigma_anchor (i / anchor)^-alpha,
//   energy beyond mode k: T(k) = energy ((k + 1) / (anchor + 1))^-gamma,
// so the appended modes carry `energy` (>= 0) in all; alpha > 0,
// gamma > 0. Bins take the mean of sigma over their modes (the trace is
// kept) and the exact energy T(first - 1) - T(last).
void append_power_law_tail(PopulationSpectrum& spectrum,
                           std::int64_t anchor,
                           double alpha,
                           double energy,
                           double gamma,
                           const TailGridOptions& grid = {});

// sigma_i = sigma_scale i^-alpha and energy beyond mode k
// T(k) = signal (k + 1)^-gamma for all i >= 1, plus the residual noise:
// the population a pair of fitted power laws describes. Tail energy
// 1 - A(k) then decays as k^-gamma, as DESIGN section 1 defines gamma.
struct PowerLawModel {
  double alpha = 1.5;        // eigen-decay exponent, > 0 (> 1: trace class)
  double sigma_scale = 1.0;  // sigma_1 > 0
  double gamma = 1.0;        // tail-energy exponent, > 0
  double signal = 1.0;       // sum_i |theta_i|^2 >= 0
  double noise = 0.0;        // eps^2 >= 0

  void validate() const;
};
PopulationSpectrum power_law_population(const PowerLawModel& model,
                                        const TailGridOptions& grid = {});

// The noiseless ridgeless learning-curve exponent of the power-law model:
// E(N) ~ N^-min(gamma, 2 alpha) (bias of kappa ~ N^-alpha: modes past N
// leave N^-gamma, the learned ones kappa^2 sum theta^2 / sigma^2).
double closed_form_exponent(double alpha, double gamma);

// The deterministic-equivalent learning curve of `population` over
// `sizes` (> 0): at `fixed_ridge` (>= 0) and at the ridge of `ridges`
// (non-empty, >= 0) minimising the predicted risk per size, the analogue
// of the GCV-chosen ridge since GCV -> E. Exponents are fitted on log E
// against log N.
struct PredictedCurve {
  std::vector<double> sizes;
  std::vector<double> risk_fixed;
  std::vector<double> risk_best;
  std::vector<double> best_ridge;
  PowerLawFit fixed_fit;
  PowerLawFit best_fit;
  bool converged = true;
  std::string message;  // first solver failure, if any
};
PredictedCurve predict_learning_curve(
    const PopulationSpectrum& population,
    const std::vector<double>& sizes,
    const std::vector<double>& ridges,
    double fixed_ridge,
    const EffectiveRidgeOptions& options = {});

struct ExtrapolationOptions {
  PowerLawOptions decay;  // fit of sigma_i on the n0-sample spectrum
  PowerLawOptions tail;   // fit of 1 - A(k) on the same sample
  TailGridOptions grid;
  double max_factor = 8.0;  // predict N up to max_factor * n0, in [1, 1e6]
  // Split the sample's target energy into signal and noise so that the
  // prediction at n0 equals GCV at n0 (at GCV's own best ridge of the
  // grid). Without it label noise spread over the sample's modes is
  // extrapolated as learnable signal and the risk at larger N comes out
  // too low.
  bool calibrate_noise = true;

  void validate() const;
};

// Learning-curve extrapolation: the spectrum of the n0-point sample
// (plugin_spectrum) is kept up to the end of its eigen-decay fit range k;
// beyond k it is replaced by power-law tails (append_power_law_tail with
// the fitted alpha and gamma and the sample's own target energy beyond k),
// and the deterministic equivalent of that spectrum predicts the risk.
//
// Noise calibration (on by default): label noise of energy eps^2 puts
// eps^2 / n0 on every sample mode. A noise level t is removed from each
// mode's energy (clipped at 0) and counted as residual, the tail exponent
// gamma is refitted on what remains, and t is set by bisection so that
// the prediction at (n0, lambda*) equals GCV(n0, lambda*), lambda* being
// the ridge of the grid with the smallest GCV. GCV comes from the sample
// spectrum alone (DESIGN section 1), so no test data is used.
struct ExtrapolationPoint {
  double n = 0.0;
  double ridge = 0.0;
  double predicted = kNaN;
  double measured = kNaN;        // test_mse of the sweep row, if any
  double relative_error = kNaN;  // |predicted - measured| / measured
};
struct Extrapolation {
  std::int64_t n0 = 0;
  PowerLawFit decay;
  PowerLawFit tail;
  PopulationSpectrum extended;
  double noise = 0.0;               // eps^2 found by the calibration
  double calibration_ridge = kNaN;  // lambda*
  double calibration_gcv = kNaN;    // GCV(n0, lambda*)
  std::vector<ExtrapolationPoint> points;
  ErrorSummary error;  // over the points with a measured risk
  bool ok = false;
  std::vector<std::string> notes;
};

// from: the SizeResult of the n0 sample. sizes: the sizes to predict
// (kept when n0 <= N <= max_factor n0; when empty, n0 times 1, 2, 4, 8
// up to max_factor). ridges: >= 0, non-empty. measured: a sweep whose
// rows supply the measured test risk at matching (n, ridge); may be null.
Extrapolation extrapolate_learning_curve(
    const SizeResult& from,
    const std::vector<double>& sizes,
    const std::vector<double>& ridges,
    const SweepResult* measured,
    const ExtrapolationOptions& options = {});

}  // namespace rmtlens
