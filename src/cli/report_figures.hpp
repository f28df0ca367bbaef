// The figures of `rmtlens report`, built from a loaded Study: risk curves
// over sizes and over ridges, spectra with their power laws, label
// alignment, learning curves and the local-law diagnostic. Each builder
// returns the figure, or says which command writes the files it needs.
//
//   PlannedFigure f = risk_over_sizes(study.representations[0], "a1-raw");
//   if (f.missing.empty()) html += render_figure(f.figure, gnuplot);
#pragma once

#include <string>
#include <vector>

#include "report_data.hpp"
#include "report_plot.hpp"

namespace rmtlens::cli {

// A measured risk, an estimator or a theory, as sweep.csv names its
// column, with the one style it has in every plot of the report.
struct Estimator {
  std::string column;  // sweep.csv column
  std::string key;     // short name for plot keys
  std::string name;    // longer name for tables
  SeriesStyle style;
};

// In drawing order: training risk (background), measured test risk, GCV,
// LOO, then the theories of DESIGN section 1.
const std::vector<Estimator>& estimators();

// The estimator of `column`, or nullptr when it is not one of them.
const Estimator* find_estimator(const std::string& column);

// A figure, or (missing non-empty) the one-line reason it is left out.
struct PlannedFigure {
  Figure figure;
  std::string missing;
};

// (a) Measured and predicted risk against N, one panel per chosen ridge.
PlannedFigure risk_over_sizes(const Representation& r, const std::string& id);

// (a) The same against the ridge, one panel per chosen N, with GCV's
// choice of ridge and the test-optimal ridge marked.
PlannedFigure risk_over_ridges(const Representation& r, const std::string& id);

// (b) Eigenvalues against their index on log-log axes with the fitted
// power laws, every representation overlaid.
PlannedFigure spectra_figure(const Study& study);

// (c) Cumulative label alignment A(k), every representation overlaid.
PlannedFigure alignment_figure(const Study& study);

// (d) Learning curves: test risk at GCV's ridge against N with the
// fitted exponent, and the predicted and extrapolated curves.
PlannedFigure learning_curve_figure(const Study& study);

// (f) Local-law diagnostic: empirical over population effective ridge
// against the ridge, one panel per representation.
PlannedFigure local_law_figure(const Study& study);

// A distinct colour per representation (index >= 0), shared by every
// overlay plot.
std::string representation_color(size_t index);

}  // namespace rmtlens::cli
