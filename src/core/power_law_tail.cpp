// Power-law spectra with infinitely many modes, stored as explicit modes
// followed by logarithmic bins with multiplicities.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "rmtlens/scaling.hpp"

namespace rmtlens {
namespace {

// sum of x^-alpha over the integers of [a, b), by the midpoint rule
// int_{a - 1/2}^{b - 1/2} x^-alpha dx; exact in the limit of wide bins
// and within ~alpha^2 / (24 a^2) relative of the sum for a bin starting
// at a.
double power_sum(double a, double b, double alpha) {
  const double lo = a - 0.5, hi = b - 0.5;
  if (std::abs(alpha - 1.0) < 1e-12) return std::log(hi / lo);
  const double e = 1.0 - alpha;
  return (std::pow(hi, e) - std::pow(lo, e)) / e;
}

// Grows the three vectors of a spectrum by `count` entries at once.
void reserve_more(PopulationSpectrum& s, Index count) {
  const Index old = s.entries();
  if (s.multiplicity.size() == 0) s.multiplicity = Vector::Ones(old);
  s.sigma.conservativeResize(old + count);
  s.theta_energy.conservativeResize(old + count);
  s.multiplicity.conservativeResize(old + count);
}

void check_tail_arguments(const PopulationSpectrum& spectrum,
                          std::int64_t anchor,
                          double alpha,
                          double energy,
                          double gamma) {
  if (spectrum.entries() == 0 ||
      !(spectrum.sigma[spectrum.entries() - 1] > 0.0)) {
    throw InputError(
        "power-law tail: the spectrum's last eigenvalue must be > 0");
  }
  if (anchor < 1) {
    throw InputError("power-law tail: anchor = " + std::to_string(anchor) +
                     " (must be >= 1)");
  }
  if (!(alpha > 0.0 && std::isfinite(alpha))) {
    throw InputError("power-law tail: alpha = " + std::to_string(alpha) +
                     " (must be finite and > 0)");
  }
  if (!(gamma > 0.0 && std::isfinite(gamma))) {
    throw InputError("power-law tail: gamma = " + std::to_string(gamma) +
                     " (must be finite and > 0)");
  }
  if (!(energy >= 0.0 && std::isfinite(energy))) {
    throw InputError("power-law tail: energy = " + std::to_string(energy) +
                     " (must be finite and >= 0)");
  }
}

// Edges of the tail's entries: anchor + 1, ..., anchor + explicit + 1,
// then a geometric ratio up to max_index + 1. Entry j covers modes
// [edge_j, edge_{j+1}).
std::vector<double> tail_edges(std::int64_t anchor,
                               const TailGridOptions& grid) {
  std::vector<double> edges;
  const double start = static_cast<double>(anchor) + 1.0;
  const double end = std::max(grid.max_index, start + 1.0) + 1.0;
  for (std::int64_t i = 0; i <= grid.explicit_modes; ++i) {
    const double e = start + static_cast<double>(i);
    if (e >= end) break;
    edges.push_back(e);
  }
  const double ratio = std::pow(10.0, 1.0 / grid.bins_per_decade);
  while (edges.back() < end) {
    const double next =
        std::max(std::round(edges.back() * ratio), edges.back() + 1.0);
    edges.push_back(std::min(next, end));
  }
  return edges;
}

}  // namespace

void TailGridOptions::validate() const {
  if (explicit_modes < 1) {
    throw InputError("tail grid explicit_modes = " +
                     std::to_string(explicit_modes) + " (must be >= 1)");
  }
  if (bins_per_decade < 4 || bins_per_decade > 1024) {
    throw InputError(
        "tail grid bins_per_decade = " + std::to_string(bins_per_decade) +
        " (must be in [4, 1024])");
  }
  if (!(max_index > static_cast<double>(explicit_modes) &&
        max_index <= 1e300)) {
    throw InputError("tail grid max_index = " + std::to_string(max_index) +
                     " (must exceed explicit_modes and be <= 1e300)");
  }
}

void append_power_law_tail(PopulationSpectrum& spectrum,
                           std::int64_t anchor,
                           double alpha,
                           double energy,
                           double gamma,
                           const TailGridOptions& grid) {
  grid.validate();
  check_tail_arguments(spectrum, anchor, alpha, energy, gamma);
  const double sigma_anchor = spectrum.sigma[spectrum.entries() - 1];
  const double a = static_cast<double>(anchor);
  const std::vector<double> edges = tail_edges(anchor, grid);

  // T(k) = energy ((k + 1) / (anchor + 1))^-gamma: energy beyond mode k.
  const auto beyond = [&](double k) {
    return energy * std::pow((k + 1.0) / (a + 1.0), -gamma);
  };
  const Index old = spectrum.entries();
  const Index count = static_cast<Index>(edges.size()) - 1;
  reserve_more(spectrum, count);
  for (Index j = 0; j < count; ++j) {
    const double lo = edges[static_cast<size_t>(j)];
    const double hi = edges[static_cast<size_t>(j) + 1];
    const double modes = hi - lo;

    // Explicit modes take sigma_i itself, bins the mean over their modes.
    const double mean =
        modes == 1.0 ? std::pow(lo, -alpha) : power_sum(lo, hi, alpha) / modes;
    spectrum.sigma[old + j] = sigma_anchor * std::pow(a, alpha) * mean;
    spectrum.theta_energy[old + j] = beyond(lo - 1.0) - beyond(hi - 1.0);
    spectrum.multiplicity[old + j] = modes;
  }
  spectrum.residual += beyond(edges.back() - 1.0);
}

void PowerLawModel::validate() const {
  const auto positive = [](double v) { return v > 0.0 && std::isfinite(v); };
  const auto nonnegative = [](double v) {
    return v >= 0.0 && std::isfinite(v);
  };
  if (!positive(alpha) || !positive(sigma_scale) || !positive(gamma) ||
      !nonnegative(signal) || !nonnegative(noise)) {
    throw InputError("power-law model: alpha = " + std::to_string(alpha) +
                     ", sigma_scale = " + std::to_string(sigma_scale) +
                     ", gamma = " + std::to_string(gamma) +
                     " (must be > 0), signal = " + std::to_string(signal) +
                     ", noise = " + std::to_string(noise) + " (must be >= 0)");
  }
}

PopulationSpectrum power_law_population(const PowerLawModel& model,
                                        const TailGridOptions& grid) {
  model.validate();

  // Mode 1 explicitly (T(0) - T(1) = signal (1 - 2^-gamma)), the rest as
  // a tail anchored there, which continues T(k) = signal (k + 1)^-gamma.
  PopulationSpectrum p;
  p.sigma = Vector::Constant(1, model.sigma_scale);
  p.theta_energy =
      Vector::Constant(1, model.signal * (1.0 - std::pow(2.0, -model.gamma)));
  p.residual = model.noise;
  append_power_law_tail(p,
                        1,
                        model.alpha,
                        model.signal * std::pow(2.0, -model.gamma),
                        model.gamma,
                        grid);
  return p;
}

double closed_form_exponent(double alpha, double gamma) {
  return std::min(gamma, 2.0 * alpha);
}

}  // namespace rmtlens
