// Learning-curve extrapolation from one sample's spectrum with power-law
// tails, with the sample's label noise calibrated against its own GCV
// (scaling.hpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "rmtlens/scaling.hpp"

namespace rmtlens {
namespace {

constexpr int kCalibrationSteps = 60;

void check_ridges(const std::vector<double>& sizes,
                  const std::vector<double>& ridges) {
  for (double n : sizes) {
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw InputError("extrapolation: size " + std::to_string(n) +
                       " (must be finite and > 0)");
    }
  }
  if (ridges.empty()) throw InputError("extrapolation: empty ridge grid");
  for (double r : ridges) {
    if (!(r >= 0.0) || !std::isfinite(r)) {
      throw InputError("extrapolation: ridge " + std::to_string(r) +
                       " (must be finite and >= 0)");
    }
  }
}

// GCV of the block at lambda from its spectrum (DESIGN section 1):
// train = (1/N) [sum (1 - s_i)^2 |B_i|^2 + residual], / (1 - df/N)^2.
double block_gcv(const SizeResult& block, double lambda) {
  const double n = static_cast<double>(block.n);
  double train = block.residual_energy, df = 0.0;
  for (Index i = 0; i < block.eigenvalues.size(); ++i) {
    const double d = std::max(block.eigenvalues[i], 0.0);
    const double s = d + n * lambda > 0.0 ? d / (d + n * lambda) : 0.0;
    train += (1.0 - s) * (1.0 - s) * block.target_energy[i];
    df += s;
  }
  const double gap = 1.0 - df / n;
  return gap > 0.0 ? train / n / (gap * gap) : kNaN;
}

// The sample with noise level t taken out: t / n0 less energy on every
// mode (clipped at 0), what was taken counted as residual.
PopulationSpectrum denoise(const PopulationSpectrum& sample, double t) {
  PopulationSpectrum out = sample;
  const double per_mode = t / static_cast<double>(sample.sample_size);
  double removed = 0.0;
  for (Index i = 0; i < out.entries(); ++i) {
    const double take = std::min(out.theta_energy[i], per_mode);
    out.theta_energy[i] -= take;
    removed += take;
  }
  out.residual += removed;
  return out;
}

// The sample up to mode k = end of the decay fit, then power-law tails
// with the tail exponent fitted on this sample's alignment.
struct Extension {
  PowerLawFit tail;
  PopulationSpectrum spectrum;
  bool tail_usable = true;
};

Extension extend(const PopulationSpectrum& sample,
                 const PowerLawFit& decay,
                 const ExtrapolationOptions& options) {
  Extension e;
  e.tail =
      fit_power_law(label_alignment(sample.theta_energy).tail, options.tail);
  Index k = static_cast<Index>(decay.range.last);
  while (k > 1 && !(sample.sigma[k - 1] > 0.0)) --k;
  e.spectrum.sigma = sample.sigma.head(k);
  e.spectrum.theta_energy = sample.theta_energy.head(k);
  e.spectrum.residual = sample.residual;
  e.spectrum.sample_size = sample.sample_size;
  double energy = sample.theta_energy.tail(sample.entries() - k).sum();

  // Without a tail-energy fit the energy past k is left unlearnable.
  double gamma = e.tail.exponent;
  if (!e.tail.ok || !(gamma > 0.0)) {
    e.tail_usable = false;
    e.spectrum.residual += energy;
    energy = 0.0;
    gamma = 1.0;
  }
  append_power_law_tail(
      e.spectrum, k, decay.exponent, energy, gamma, options.grid);
  return e;
}

// The ridge of the grid with the smallest finite GCV at n0 (ties: the
// larger ridge), or NaN.
double gcv_ridge(const SizeResult& from, const std::vector<double>& ridges) {
  double best = kNaN, ridge = kNaN;
  for (double r : ridges) {
    const double g = block_gcv(from, r);
    if (!std::isfinite(g)) continue;
    if (std::isnan(best) || g < best || (g == best && r > ridge)) {
      best = g;
      ridge = r;
    }
  }
  return ridge;
}

// Bisection on t in [0, t_max] for prediction(n0, lambda*) = GCV: moving
// energy from the modes to the residual raises the prediction.
double calibrate(Extrapolation& out,
                 const SizeResult& from,
                 const PopulationSpectrum& sample,
                 const std::vector<double>& ridges,
                 const ExtrapolationOptions& options) {
  out.calibration_ridge = gcv_ridge(from, ridges);
  if (std::isnan(out.calibration_ridge)) {
    out.notes.push_back(
        "extrapolation: GCV is undefined at n0 on every ridge; no noise "
        "calibration");
    return 0.0;
  }
  out.calibration_gcv = block_gcv(from, out.calibration_ridge);
  const double n0 = static_cast<double>(from.n);
  const auto excess = [&](double t) {
    const Extension e = extend(denoise(sample, t), out.decay, options);
    return deterministic_equivalent(e.spectrum, n0, out.calibration_ridge)
               .test -
           out.calibration_gcv;
  };

  double lo = 0.0, hi = n0 * sample.theta_energy.maxCoeff();
  if (excess(lo) >= 0.0) {
    out.notes.push_back(
        "extrapolation: the noiseless extension already predicts GCV at n0 "
        "or more; no noise assumed");
    return 0.0;
  }
  if (excess(hi) <= 0.0) {
    out.notes.push_back(
        "extrapolation: GCV at n0 exceeds the all-noise prediction; all "
        "target energy counted as noise");
    return hi;
  }
  for (int it = 0; it < kCalibrationSteps; ++it) {
    const double mid = 0.5 * (lo + hi);
    (excess(mid) < 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<double> extrapolation_sizes(const std::vector<double>& sizes,
                                        double n0,
                                        double max_factor) {
  std::vector<double> kept;
  if (sizes.empty()) {
    for (double f = 1.0; f <= max_factor; f *= 2.0) kept.push_back(f * n0);
    return kept;
  }
  for (double n : sizes) {
    if (n >= n0 && n <= max_factor * n0) kept.push_back(n);
  }
  return kept;
}

double measured_risk(const SweepResult* measured, double n, double ridge) {
  if (measured == nullptr) return kNaN;
  for (const SweepRow& row : measured->rows) {
    if (static_cast<double>(row.n) == n && row.ridge == ridge) {
      return row.test_mse;
    }
  }
  return kNaN;
}

// The predictions on (sizes x ridges) and their errors where measured.
void predict_points(Extrapolation& out,
                    const std::vector<double>& sizes,
                    const std::vector<double>& ridges,
                    const SweepResult* measured) {
  std::vector<double> errors;
  for (double n : sizes) {
    for (double ridge : ridges) {
      ExtrapolationPoint p;
      p.n = n;
      p.ridge = ridge;
      p.predicted = deterministic_equivalent(out.extended, n, ridge).test;
      p.measured = measured_risk(measured, n, ridge);
      if (std::isfinite(p.measured) && p.measured > 0.0 &&
          std::isfinite(p.predicted)) {
        p.relative_error = std::abs(p.predicted - p.measured) / p.measured;
        errors.push_back(p.relative_error);
      }
      out.points.push_back(p);
    }
  }
  out.error = summarize_values(std::move(errors));
}

}  // namespace

void ExtrapolationOptions::validate() const {
  decay.validate();
  tail.validate();
  grid.validate();
  if (!(max_factor >= 1.0 && max_factor <= 1e6)) {
    throw InputError("extrapolation max_factor = " +
                     std::to_string(max_factor) + " (must be in [1, 1e6])");
  }
}

Extrapolation extrapolate_learning_curve(const SizeResult& from,
                                         const std::vector<double>& sizes,
                                         const std::vector<double>& ridges,
                                         const SweepResult* measured,
                                         const ExtrapolationOptions& options) {
  options.validate();
  check_ridges(sizes, ridges);
  Extrapolation out;
  out.n0 = from.n;
  const PopulationSpectrum sample = plugin_spectrum(from);
  out.decay = fit_power_law(sample.sigma, options.decay);
  if (!out.decay.ok || !(out.decay.exponent > 0.0)) {
    out.notes.push_back("extrapolation: no usable eigen-decay fit (" +
                        out.decay.message + ")");
    return out;
  }
  if (out.decay.exponent <= 1.0) {
    out.notes.push_back(
        "extrapolation: fitted alpha <= 1, so the tail's trace diverges; it "
        "is cut at mode index " +
        std::to_string(options.grid.max_index));
  }

  // Noise level, then the extension it implies.
  if (options.calibrate_noise) {
    out.noise = calibrate(out, from, sample, ridges, options);
  }
  const Extension e = extend(denoise(sample, out.noise), out.decay, options);
  out.tail = e.tail;
  out.extended = e.spectrum;
  if (!e.tail_usable) {
    out.notes.push_back(
        "extrapolation: no usable tail-energy fit; the target energy past "
        "the fit range counts as noise");
  }

  const double n0 = static_cast<double>(from.n);
  predict_points(out,
                 extrapolation_sizes(sizes, n0, options.max_factor),
                 ridges,
                 measured);
  out.ok = true;
  return out;
}

}  // namespace rmtlens
