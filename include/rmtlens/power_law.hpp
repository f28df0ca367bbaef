// Power-law fits of spectra and label alignment (DESIGN section 1,
// "Spectral analysis").
//
//   PowerLawFit decay = fit_power_law(population.sigma);   // sigma_i ~ i^-a
//   Alignment al = label_alignment(population.theta_energy);
//   PowerLawFit tail = fit_power_law(al.tail);            // 1 - A(k) ~ k^-g
//   if (decay.ok && tail.ok) use(decay.exponent, tail.exponent);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rmtlens/sweep.hpp"
#include "rmtlens/types.hpp"

namespace rmtlens {

// A 1-based, inclusive index range.
struct FitRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// The default index range for r usable values (those above the numerical
// floor): [max(2, ceil(sqrt(r) / 4)), max(first + 4, floor(r / 10))],
// capped at r; about one decade at r = 2000, two at r = 60000. The head is
// left out because the top modes of a real kernel (the mean, the class
// structure) are not part of the decay and power laws hold asymptotically;
// indices past r / 10 are left out because the eigenvalues of an N-point
// sample follow the population only for i << N, and the alignment tail
// falls to exactly 0 at i = r. r >= 1.
FitRange default_fit_range(std::int64_t usable);

struct PowerLawOptions {
  // 1-based inclusive index range of the fit; 0 takes the default rule's
  // end (default_fit_range). When set, 1 <= first_index < last_index.
  std::int64_t first_index = 0;
  std::int64_t last_index = 0;
  // Values <= floor_ratio * (largest value) are numerical zeros: they are
  // not counted as usable and never fitted. In [0, 1).
  double floor_ratio = 1e-12;

  void validate() const;  // throws InputError naming the field
};

// log v_i = log_scale - exponent * log i, fitted by least squares with
// weights 1/i (equal weight per octave, so the many large indices do not
// drown the few small ones). r_squared is the weighted coefficient of
// determination. A fit that cannot be made (fewer than 3 usable points in
// the range) has ok = false and a message; never throws on data.
struct PowerLawFit {
  double exponent = kNaN;
  double log_scale = kNaN;
  double r_squared = kNaN;
  FitRange range;
  std::int64_t points = 0;  // values actually fitted
  bool ok = false;
  std::string message;

  double at(double i) const;  // exp(log_scale) i^-exponent
};

// values: v_1..v_m (index i is values[i - 1]), any sign; only positive
// values above the floor are fitted.
PowerLawFit fit_power_law(const Vector& values,
                          const PowerLawOptions& options = {});

// Unweighted least squares of log y on log x over the pairs where both
// are finite and positive: y ~ exp(log_scale) x^-exponent. Used for
// learning curves (x = N, y = risk). range is left empty.
PowerLawFit fit_log_log(const std::vector<double>& x,
                        const std::vector<double>& y);

// Label alignment of DESIGN section 1: a_i = |theta_i|^2 / sum_j
// |theta_j|^2, A(k) = sum_{i <= k} a_i and the tail 1 - A(k) computed as
// the suffix sum sum_{i > k} a_i (no cancellation as A(k) -> 1).
struct Alignment {
  Vector weight;      // a_i (m)
  Vector cumulative;  // A(k), k = 1..m
  Vector tail;        // 1 - A(k), k = 1..m; tail[m - 1] = 0
};

// target_energy: |theta_i|^2 >= 0 (m), ordered as the eigenvalues. All
// zeros give all-zero weights (and a tail fit that is not ok).
Alignment label_alignment(const Vector& target_energy);

}  // namespace rmtlens
