// Power-law fits by weighted least squares in log-log coordinates, and the
// label-alignment curves they are fitted to.
#include "rmtlens/power_law.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace rmtlens {
namespace {

// Weighted least squares of y on x (slope, intercept, R^2).
struct LineFit {
  double slope = kNaN;
  double intercept = kNaN;
  double r_squared = kNaN;
};

LineFit weighted_line(const std::vector<double>& x,
                      const std::vector<double>& y,
                      const std::vector<double>& w) {
  double sw = 0.0, sx = 0.0, sy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    sw += w[i];
    sx += w[i] * x[i];
    sy += w[i] * y[i];
  }
  const double mx = sx / sw, my = sy / sw;

  // Centred moments avoid the cancellation of sum x^2 - (sum x)^2.
  double sxx = 0.0, sxy = 0.0, syy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += w[i] * dx * dx;
    sxy += w[i] * dx * dy;
    syy += w[i] * dy * dy;
  }
  LineFit fit;
  if (!(sxx > 0.0)) return fit;
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  const double residual = std::max(syy - fit.slope * sxy, 0.0);
  fit.r_squared = syy > 0.0 ? 1.0 - residual / syy : 1.0;
  return fit;
}

std::int64_t count_usable(const Vector& values, double floor_ratio) {
  double top = 0.0;
  for (Index i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) top = std::max(top, values[i]);
  }
  std::int64_t usable = 0;
  for (Index i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i]) && values[i] > floor_ratio * top &&
        values[i] > 0.0) {
      ++usable;
    }
  }
  return usable;
}

FitRange resolve_range(const PowerLawOptions& options,
                       std::int64_t usable,
                       std::int64_t size) {
  const FitRange rule = default_fit_range(std::max<std::int64_t>(usable, 1));
  FitRange range;
  range.first = options.first_index > 0 ? options.first_index : rule.first;
  range.last = options.last_index > 0 ? options.last_index : rule.last;
  range.last = std::min(range.last, size);
  return range;
}

}  // namespace

FitRange default_fit_range(std::int64_t usable) {
  if (usable < 1) {
    throw InputError("default_fit_range: usable = " + std::to_string(usable) +
                     " (must be >= 1)");
  }
  FitRange range;
  const double quarter_root = std::sqrt(static_cast<double>(usable)) / 4.0;
  range.first = std::max<std::int64_t>(
      2, static_cast<std::int64_t>(std::ceil(quarter_root)));
  range.last = std::max(range.first + 4, usable / 10);
  range.last = std::min(range.last, usable);
  return range;
}

void PowerLawOptions::validate() const {
  if (first_index < 0 || last_index < 0) {
    throw InputError("power-law fit range [" + std::to_string(first_index) +
                     ", " + std::to_string(last_index) +
                     "]: indices must be >= 1 (0 = automatic)");
  }
  if (first_index > 0 && last_index > 0 && first_index >= last_index) {
    throw InputError("power-law fit range [" + std::to_string(first_index) +
                     ", " + std::to_string(last_index) +
                     "]: first must be < last");
  }
  if (!(floor_ratio >= 0.0 && floor_ratio < 1.0)) {
    throw InputError("power-law floor_ratio = " + std::to_string(floor_ratio) +
                     " (must be in [0, 1))");
  }
}

double PowerLawFit::at(double i) const {
  return std::exp(log_scale - exponent * std::log(i));
}

PowerLawFit fit_power_law(const Vector& values,
                          const PowerLawOptions& options) {
  options.validate();
  PowerLawFit fit;
  const std::int64_t usable = count_usable(values, options.floor_ratio);
  fit.range = resolve_range(options, usable, values.size());

  // Usable points of the range, weighted 1/i.
  double top = 0.0;
  for (Index i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) top = std::max(top, values[i]);
  }
  std::vector<double> x, y, w;
  for (std::int64_t i = fit.range.first; i <= fit.range.last; ++i) {
    const double v = values[static_cast<Index>(i - 1)];
    if (!std::isfinite(v) || !(v > 0.0) || v <= options.floor_ratio * top) {
      continue;
    }
    x.push_back(std::log(static_cast<double>(i)));
    y.push_back(std::log(v));
    w.push_back(1.0 / static_cast<double>(i));
  }
  fit.points = static_cast<std::int64_t>(x.size());
  if (fit.points < 3) {
    std::ostringstream out;
    out << "power-law fit over [" << fit.range.first << ", " << fit.range.last
        << "] has " << fit.points << " usable values (need 3)";
    fit.message = out.str();
    return fit;
  }

  const LineFit line = weighted_line(x, y, w);
  fit.exponent = -line.slope;
  fit.log_scale = line.intercept;
  fit.r_squared = line.r_squared;
  fit.ok = std::isfinite(fit.exponent);
  if (!fit.ok) fit.message = "power-law fit: degenerate index range";
  return fit;
}

PowerLawFit fit_log_log(const std::vector<double>& x,
                        const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw InputError("fit_log_log: " + std::to_string(x.size()) +
                     " x values but " + std::to_string(y.size()) + " y values");
  }
  std::vector<double> lx, ly, w;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && x[i] > 0.0 && std::isfinite(y[i]) &&
        y[i] > 0.0) {
      lx.push_back(std::log(x[i]));
      ly.push_back(std::log(y[i]));
      w.push_back(1.0);
    }
  }
  PowerLawFit fit;
  fit.points = static_cast<std::int64_t>(lx.size());
  if (fit.points < 2) {
    fit.message = "log-log fit has " + std::to_string(fit.points) +
                  " usable points (need 2)";
    return fit;
  }
  const LineFit line = weighted_line(lx, ly, w);
  fit.exponent = -line.slope;
  fit.log_scale = line.intercept;
  fit.r_squared = line.r_squared;
  fit.ok = std::isfinite(fit.exponent);
  if (!fit.ok) fit.message = "log-log fit: all x values are equal";
  return fit;
}

Alignment label_alignment(const Vector& target_energy) {
  const Index m = target_energy.size();
  Alignment out;
  out.weight = target_energy.cwiseMax(0.0);
  const double total = out.weight.sum();
  if (total > 0.0) out.weight /= total;

  // A(k) by a prefix sum, 1 - A(k) by a suffix sum.
  out.cumulative.resize(m);
  out.tail.resize(m);
  double prefix = 0.0, suffix = 0.0;
  for (Index k = 0; k < m; ++k) {
    prefix += out.weight[k];
    out.cumulative[k] = prefix;
  }
  for (Index k = m - 1; k >= 0; --k) {
    out.tail[k] = suffix;
    suffix += out.weight[k];
  }
  return out;
}

}  // namespace rmtlens
