#include "report_figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "rmtlens/power_law.hpp"

namespace rmtlens::cli {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Panels per risk figure: four show the trend without shrinking each.
constexpr size_t kRiskPanels = 4;
// Sizes drawn in the local-law panels; more would not be told apart.
constexpr size_t kLocalLawSizes = 6;

const char* const kRiskLabel = "risk (MSE summed over outputs)";
const char* const kRidgeLabel = "ridge λ (K + Nλ I)";
const char* const kSizeLabel = "training size N";

Axis log_axis(const std::string& label) {
  Axis a;
  a.label = label;
  a.log = true;
  return a;
}

SeriesStyle line(const std::string& color, double width, int dash) {
  SeriesStyle s;
  s.color = color;
  s.width = width;
  s.dash = dash;
  return s;
}

SeriesStyle marked(SeriesStyle s, Mark mark, int point, double size) {
  s.mark = mark;
  s.point = point;
  s.point_size = size;
  return s;
}

// Okabe and Ito's colour-blind safe palette for the estimators; measured
// risk in black, training risk in light grey behind everything.
std::vector<Estimator> make_estimators() {
  return {
      {"train_mse", "training risk", "training risk", line("#b8b8b8", 2.5, 1)},
      {"test_mse",
       "measured test risk (± 1 s.e.)",
       "measured test risk",
       marked(line("#000000", 1.2, 1), Mark::kErrorLines, 7, 0.55)},
      {"gcv",
       "GCV",
       "GCV (generalized cross-validation)",
       line("#0072B2", 2.2, 1)},
      {"loo", "exact LOO", "exact leave-one-out", line("#E69F00", 2.0, 2)},
      {"de_population",
       "det. equivalent, population spectrum",
       "deterministic equivalent, population spectrum",
       line("#009E73", 2.0, 1)},
      {"de_plugin",
       "det. equivalent, plug-in spectrum",
       "deterministic equivalent, training sample's spectrum (plug-in)",
       line("#D55E00", 1.8, 4)},
      {"isotropic",
       "isotropic model",
       "isotropic (Marchenko-Pastur) model",
       line("#CC79A7", 1.8, 2)},
      {"classical_bound",
       "classical norm bound",
       "classical norm-based bound",
       line("#7f5f3f", 1.6, 3)},
  };
}

std::vector<double> distinct_sorted(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// Up to `count` values spread evenly over the sorted `values`, always the
// first and the last.
std::vector<double> spread(const std::vector<double>& values, size_t count) {
  if (values.size() <= count) return values;
  std::vector<double> out;
  for (size_t k = 0; k < count; ++k) {
    const size_t i = static_cast<size_t>(std::lround(
        static_cast<double>(k) * (values.size() - 1) / (count - 1)));
    out.push_back(values[i]);
  }
  return distinct_sorted(out);
}

// Rows with column `key` equal to `value`, ordered by column `order`.
std::vector<size_t> rows_where(const CsvTable& t,
                               const std::string& key,
                               double value,
                               const std::string& order) {
  const std::vector<double>& keys = t.column(key);
  const std::vector<double>& by = t.column(order);
  std::vector<size_t> rows;
  for (size_t i = 0; i < t.rows(); ++i)
    if (keys[i] == value) rows.push_back(i);
  std::sort(rows.begin(), rows.end(), [&by](size_t a, size_t b) {
    return by[a] < by[b];
  });
  return rows;
}

bool any_finite(const CsvTable& t, const std::string& column) {
  if (!t.has(column)) return false;
  const std::vector<double>& v = t.column(column);
  return std::any_of(
      v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// Error bars of a measured column: its bootstrap interval (columns
// <column>_lo and _hi) where the sweep computed one, otherwise one
// standard error (<column>_se) either side; neither leaves plain points.
void add_interval(Series& s,
                  const CsvTable& t,
                  const std::vector<size_t>& rows,
                  const std::string& column) {
  const bool interval = t.has(column + "_lo") && t.has(column + "_hi");
  const bool se = t.has(column + "_se");
  if (!interval && !se) {
    s.style.mark = Mark::kLinePoints;
    s.title = "measured test risk";
    return;
  }
  s.title = interval ? "measured test risk (bootstrap interval)"
                     : "measured test risk (± 1 s.e.)";
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t i = rows[k];
    const double half = se ? t.column(column + "_se")[i] : 0.0;
    s.lo.push_back(interval ? t.column(column + "_lo")[i] : s.y[k] - half);
    s.hi.push_back(interval ? t.column(column + "_hi")[i] : s.y[k] + half);
  }
}

Series estimator_series(const CsvTable& t,
                        const std::vector<size_t>& rows,
                        const std::string& x,
                        const Estimator& e) {
  Series s{e.key, e.style, {}, {}, {}, {}};
  for (size_t i : rows) {
    s.x.push_back(t.column(x)[i]);
    s.y.push_back(t.column(e.column)[i]);
  }
  if (e.style.mark == Mark::kErrorLines) add_interval(s, t, rows, e.column);
  return s;
}

// Every estimator the sweep holds, over `rows` against column `x`.
std::vector<Series> risk_series(const CsvTable& t,
                                const std::vector<size_t>& rows,
                                const std::string& x) {
  std::vector<Series> out;
  for (const Estimator& e : estimators()) {
    if (any_finite(t, e.column)) {
      out.push_back(estimator_series(t, rows, x, e));
    }
  }
  return out;
}

double positive_min(const std::vector<double>& v) {
  double m = std::numeric_limits<double>::infinity();
  for (double x : v)
    if (std::isfinite(x) && x > 0.0) m = std::min(m, x);
  return m;
}

double finite_max(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v)
    if (std::isfinite(x)) m = std::max(m, x);
  return m;
}

// One risk range for all panels so they compare at a glance: from just
// below the training risk (but at most a decade under the smallest test
// risk, so the curves that matter keep their resolution) to three times
// the largest test risk. Curves beyond it leave the panel.
Axis risk_axis(const CsvTable& t) {
  Axis a = log_axis(kRiskLabel);
  const double test_lo = positive_min(t.column("test_mse"));
  const double test_hi = finite_max(t.column("test_mse"));
  if (!std::isfinite(test_lo) || !(test_hi > 0.0)) return a;
  const double train_lo = positive_min(t.column("train_mse"));
  a.min = std::max(std::min(train_lo, test_lo), test_lo / 10.0) / 1.5;
  a.max = test_hi * 3.0;
  return a;
}

// Sizes print whole (1500, not 1.5e+03); ridges with three digits.
std::string short_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e7) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

// Labels the x axis at the x values of the panel's series when there are
// few enough distinct ones to read.
void tick_at_data(Panel& p) {
  std::vector<double> xs;
  for (const Series& s : p.series) xs.insert(xs.end(), s.x.begin(), s.x.end());
  // Labels closer than a factor 1.3 would print over each other.
  std::vector<double> distinct;
  for (double x : distinct_sorted(xs)) {
    if (!std::isfinite(x) || x <= 0.0) continue;
    if (distinct.empty() || x >= 1.3 * distinct.back()) distinct.push_back(x);
  }
  if (distinct.size() <= 8) p.x.ticks = distinct;
}

// The training-size axis, labelled at each measured size when there are
// few enough of them to read.
Axis size_axis(const std::vector<double>& sizes) {
  Axis a = log_axis(kSizeLabel);
  const std::vector<double> distinct = distinct_sorted(sizes);
  if (distinct.size() <= 8) a.ticks = distinct;
  return a;
}

Figure risk_figure(const std::string& id,
                   const std::string& title,
                   const std::string& caption) {
  Figure f;
  f.id = id;
  f.title = title;
  f.caption = caption;
  f.columns = 2;
  return f;
}

PlannedFigure missing_sweep(const Representation& r, const std::string& id) {
  PlannedFigure out;
  out.figure.id = id;
  out.missing = "No sweep.csv in " + r.dir +
                ": the risk curves need rmtlens sweep --out " + r.dir + ".";
  return out;
}

// The row minimising `column` among `rows` (finite values only); -1 if
// none.
long argmin(const CsvTable& t,
            const std::vector<size_t>& rows,
            const std::string& column) {
  long best = -1;
  const std::vector<double>& v = t.column(column);
  for (size_t i : rows) {
    if (!std::isfinite(v[i])) continue;
    if (best < 0 || v[i] < v[static_cast<size_t>(best)])
      best = static_cast<long>(i);
  }
  return best;
}

Series marker(const std::string& title,
              SeriesStyle style,
              const CsvTable& t,
              long row) {
  Series s{title, style, {}, {}, {}, {}};
  if (row >= 0) {
    s.x.push_back(t.column("ridge")[static_cast<size_t>(row)]);
    s.y.push_back(t.column("test_mse")[static_cast<size_t>(row)]);
  }
  return s;
}

// GCV's estimate where the trust rule flags it (sweep --loo: gcv_trusted
// is 0): there the spread of the leverages makes GCV's shortcut for LOO
// unreliable and the LOO curve is the one to read (docs/uncertainty.md).
Series untrusted_gcv(const CsvTable& t, const std::vector<size_t>& rows) {
  Series s{"GCV not trusted here (read LOO)",
           marked(line("#d62728", 1.6, 1), Mark::kPoints, 2, 1.4),
           {},
           {},
           {},
           {}};
  if (!t.has("gcv_trusted")) return s;
  for (size_t row : rows) {
    if (t.column("gcv_trusted")[row] != 0.0) continue;
    s.x.push_back(t.column("ridge")[row]);
    s.y.push_back(t.column("gcv")[row]);
  }
  return s;
}

// Where GCV's minimum and the test risk's minimum put the ridge.
std::vector<Series> choice_markers(const CsvTable& t,
                                   const std::vector<size_t>& rows) {
  const SeriesStyle gcv = find_estimator("gcv")->style;
  return {marker("test risk at GCV's choice of λ",
                 marked(line(gcv.color, 1.6, 1), Mark::kPoints, 6, 1.8),
                 t,
                 argmin(t, rows, "gcv")),
          marker("best λ on the test set",
                 marked(line("#000000", 1.4, 1), Mark::kPoints, 8, 1.8),
                 t,
                 argmin(t, rows, "test_mse"))};
}

Series measured_learning_curve(const Representation& r, size_t index) {
  const CsvTable& t = *r.sweep;
  Series s{
      r.label,
      marked(
          line(representation_color(index), 2.0, 1), Mark::kLinePoints, 7, 0.7),
      {},
      {},
      {},
      {}};
  for (double n : distinct_sorted(t.column("n"))) {
    const long row = argmin(t, rows_where(t, "n", n, "ridge"), "gcv");
    if (row < 0) continue;
    s.x.push_back(n);
    s.y.push_back(t.column("test_mse")[static_cast<size_t>(row)]);
  }
  return s;
}

Series gcv_learning_curve(const Representation& r, size_t index) {
  const CsvTable& t = *r.sweep;
  Series s{"", line(representation_color(index), 1.4, 2), {}, {}, {}, {}};
  for (double n : distinct_sorted(t.column("n"))) {
    const long row = argmin(t, rows_where(t, "n", n, "ridge"), "gcv");
    if (row < 0) continue;
    s.x.push_back(n);
    s.y.push_back(t.column("gcv")[static_cast<size_t>(row)]);
  }
  return s;
}

// "label: slope -0.52" from a least-squares fit of log risk on log N.
std::string with_exponent(const Series& s) {
  const PowerLawFit fit = fit_log_log(s.x, s.y);
  if (!fit.ok) return s.title;
  return fmt::format("{}: measured exponent {:.2f}", s.title, fit.exponent);
}

// Distinct colours from light to dark for a sequence of sizes.
std::string size_color(size_t index, size_t count) {
  static const std::vector<std::string> ramp = {
      "#fdae61", "#d7301f", "#980043", "#6a51a3", "#2171b5", "#08306b"};
  if (count <= 1) return ramp.back();
  const size_t at = index * (ramp.size() - 1) / (count - 1);
  return ramp[at];
}

Panel local_law_panel(const Representation& r,
                      const std::vector<double>& sizes) {
  const CsvTable& t = *r.sweep;
  Panel p;
  p.title = r.label;
  p.x = log_axis(kRidgeLabel);
  p.y = log_axis("κ empirical / κ population");
  for (size_t k = 0; k < sizes.size(); ++k) {
    Series s{"N = " + short_number(sizes[k]),
             marked(line(size_color(k, sizes.size()), 1.8, 1),
                    Mark::kLinePoints,
                    7,
                    0.5),
             {},
             {},
             {},
             {}};
    for (size_t i : rows_where(t, "n", sizes[k], "ridge")) {
      s.x.push_back(t.column("ridge")[i]);
      s.y.push_back(t.column("kappa_empirical")[i] /
                    t.column("kappa_population")[i]);
    }
    p.series.push_back(std::move(s));
  }
  p.references.push_back(
      {"local law holds: ratio 1", line("#555555", 1.2, 2), 1.0});
  return p;
}

// One ratio range for every panel, so representations compare at a
// glance, always with room on both sides of the reference line at 1.
void share_ratio_range(Figure& f) {
  double lo = 1.0 / 1.5, hi = 1.5;
  for (const Panel& p : f.panels) {
    for (const Series& s : p.series) {
      for (double v : s.y) {
        if (!std::isfinite(v) || v <= 0.0) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  // A log axis this short has no decade to label: label round ratios.
  std::vector<double> ticks;
  for (double t : {0.01,
                   0.02,
                   0.05,
                   0.1,
                   0.2,
                   0.5,
                   0.7,
                   1.0,
                   1.5,
                   2.0,
                   5.0,
                   10.0,
                   20.0,
                   50.0,
                   100.0}) {
    if (t >= lo / 1.2 && t <= hi * 1.2) ticks.push_back(t);
  }
  for (Panel& p : f.panels) {
    p.y.min = lo / 1.2;
    p.y.max = hi * 1.2;
    p.y.ticks = ticks;
  }
}

bool has_local_law(const Representation& r) {
  return r.sweep && any_finite(*r.sweep, "kappa_empirical") &&
         any_finite(*r.sweep, "kappa_population");
}

std::vector<double> study_sizes(const Study& study) {
  std::vector<double> sizes;
  for (const Representation& r : study.representations) {
    if (!r.sweep) continue;
    const std::vector<double>& n = r.sweep->column("n");
    sizes.insert(sizes.end(), n.begin(), n.end());
  }
  return distinct_sorted(sizes);
}

// One panel (or two side by side) of overlaid representations.
Figure overlay_figure(const std::string& id,
                      const std::string& title,
                      const std::string& caption) {
  Figure f = risk_figure(id, title, caption);
  f.columns = 1;
  f.panel_height = 440;
  return f;
}

Series table_series(const CsvTable& t,
                    const std::string& x,
                    const std::string& y,
                    const Representation& r,
                    size_t index) {
  Series s{r.label, line(representation_color(index), 2.0, 1), {}, {}, {}, {}};
  s.x = t.column(x);
  s.y = t.column(y);
  return s;
}

// At most about kPerDecade points per decade of x (x ascending, > 0):
// spectra of tens of thousands of modes would otherwise make megabytes
// of svg that no eye can tell from this.
Series thinned(Series s) {
  constexpr double kPerDecade = 120.0;
  Series out = s;
  out.x.clear();
  out.y.clear();
  long last_bin = -1;
  for (size_t i = 0; i < s.x.size(); ++i) {
    const long bin =
        s.x[i] > 0.0
            ? static_cast<long>(std::floor(std::log10(s.x[i]) * kPerDecade))
            : -1;
    if (bin == last_bin && i + 1 != s.x.size()) continue;
    last_bin = bin;
    out.x.push_back(s.x[i]);
    out.y.push_back(s.y[i]);
  }
  return out;
}

// An entry of the key with no data: explains a line style.
Series legend_only(const std::string& title, int dash = 2) {
  return {title, line("#444444", 1.5, dash), {}, {}, {}, {}};
}

std::string exponent_text(const nlohmann::json& fit, const char* symbol) {
  const nlohmann::json& e = json_member(fit, "exponent");
  if (!e.is_number()) return "";
  return fmt::format(", {} = {:.2f}", symbol, e.get<double>());
}

// Values below 1e-12 of the largest are round-off, as the power-law fits
// treat them (PowerLawOptions::floor_ratio); on a log axis they would
// only stretch the range by many empty decades.
Series without_numerical_zeros(Series s) {
  double largest = 0.0;
  for (double v : s.y)
    if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
  for (double& v : s.y)
    if (std::abs(v) <= 1e-12 * largest) v = kNaN;
  return s;
}

// The data column `y` of `t` against "index" in the representation's
// colour, titled with `suffix` appended, and its fitted power law
// `fit_column` dashed over the fit's index range (wherever it is finite
// when the range is unknown).
void add_with_fit(Panel& panel,
                  const Representation& r,
                  size_t index,
                  const CsvTable& t,
                  const std::string& y,
                  const std::string& fit_column,
                  const nlohmann::json& fit,
                  const std::string& suffix) {
  Series data =
      thinned(without_numerical_zeros(table_series(t, "index", y, r, index)));
  data.title += suffix;
  panel.series.push_back(data);
  if (!t.has(fit_column)) return;

  const double first = json_number(fit, "first", t.path);
  const double last = json_number(fit, "last", t.path);
  Series power_law{
      "", line(representation_color(index), 1.6, 2), {}, {}, {}, {}};
  const std::vector<double>& k = t.column("index");
  const std::vector<double>& v = t.column(fit_column);
  for (size_t i = 0; i < k.size(); ++i) {
    if (k[i] < first || k[i] > last || !std::isfinite(v[i])) continue;
    power_law.x.push_back(k[i]);
    power_law.y.push_back(v[i]);
  }
  panel.series.push_back(thinned(power_law));
}

}  // namespace

const std::vector<Estimator>& estimators() {
  static const std::vector<Estimator> all = make_estimators();
  return all;
}

const Estimator* find_estimator(const std::string& column) {
  for (const Estimator& e : estimators())
    if (e.column == column) return &e;
  return nullptr;
}

std::string representation_color(size_t index) {
  static const std::vector<std::string> palette = {"#1f77b4",
                                                   "#d62728",
                                                   "#2ca02c",
                                                   "#9467bd",
                                                   "#ff7f0e",
                                                   "#17becf",
                                                   "#8c564b",
                                                   "#e377c2"};
  return palette[index % palette.size()];
}

PlannedFigure risk_over_sizes(const Representation& r, const std::string& id) {
  if (!r.sweep) return missing_sweep(r, id);
  const CsvTable& t = *r.sweep;
  PlannedFigure out{
      risk_figure(
          id,
          "Risk against training size, " + r.label,
          "Each panel fixes one ridge λ and follows the risk as the "
          "training set grows (log-log axes). Black points: test risk "
          "measured on held-out data, with its bootstrap interval (or one "
          "standard error). Coloured curves: what each estimator and "
          "theory predicts from the training data alone. Grey: training "
          "risk, for reference; the gap between grey and black is what "
          "the estimators must predict. Read how closely each coloured "
          "curve follows the black points. A curve that leaves the top "
          "of a panel is more than three times the largest measured "
          "risk; one that leaves the bottom is more than a decade under "
          "the smallest."),
      ""};
  const Axis risk = risk_axis(t);
  for (double ridge : spread(distinct_sorted(t.column("ridge")), kRiskPanels)) {
    Panel p;
    p.title = "λ = " + short_number(ridge);
    p.x = size_axis(t.column("n"));
    p.y = risk;
    p.series = risk_series(t, rows_where(t, "ridge", ridge, "n"), "n");
    if (p.drawable()) out.figure.panels.push_back(std::move(p));
  }
  if (out.figure.panels.empty()) {
    out.missing = t.path + " has no finite positive risks to plot.";
  }
  return out;
}

PlannedFigure risk_over_ridges(const Representation& r, const std::string& id) {
  if (!r.sweep) return missing_sweep(r, id);
  const CsvTable& t = *r.sweep;
  PlannedFigure out{
      risk_figure(
          id,
          "Risk against ridge, " + r.label,
          "Each panel fixes one training size N and sweeps the ridge λ "
          "(log-log axes; λ = 0 cannot be shown). Colours as above. The "
          "open blue circle is the measured test risk at the ridge that "
          "minimises GCV; the open black triangle is the best ridge on "
          "the test set. When the circle sits level with the triangle, "
          "choosing the ridge by GCV costs nothing on the test set. Red "
          "crosses, where present, mark ridges at which GCV is not "
          "trusted: the leverages spread too much for its shortcut to "
          "exact LOO (sweep --loo), so read the LOO curve there."),
      ""};
  const Axis risk = risk_axis(t);
  for (double n : spread(distinct_sorted(t.column("n")), kRiskPanels)) {
    Panel p;
    p.title = "N = " + short_number(n);
    p.x = log_axis(kRidgeLabel);
    p.y = risk;
    const std::vector<size_t> rows = rows_where(t, "n", n, "ridge");
    p.series = risk_series(t, rows, "ridge");
    for (Series& m : choice_markers(t, rows)) p.series.push_back(m);
    Series flagged = untrusted_gcv(t, rows);
    if (!flagged.x.empty()) p.series.push_back(std::move(flagged));
    if (p.drawable()) out.figure.panels.push_back(std::move(p));
  }
  if (out.figure.panels.empty()) {
    out.missing = t.path + " has no finite positive risks to plot.";
  }
  return out;
}

namespace {

// A column of learning_curve.csv against n, in the representation's
// colour with the given dash (1 with points: measured).
Series curve(const Representation& r,
             size_t index,
             const std::string& column,
             int dash,
             const std::string& title) {
  const CsvTable& t = *r.learning;
  Series s{title, line(representation_color(index), 2.0, dash), {}, {}, {}, {}};
  if (dash == 1) s.style = marked(s.style, Mark::kLinePoints, 7, 0.7);
  if (!t.has(column)) return s;
  s.x = t.column("n");
  s.y = t.column(column);
  return s;
}

// The extrapolation's predictions at scaling's fixed ridge, against n.
Series extrapolated(const Representation& r, size_t index) {
  Series s{
      "",
      marked(
          line(representation_color(index), 1.6, 4), Mark::kLinePoints, 6, 1.0),
      {},
      {},
      {},
      {}};
  const double ridge = json_number(r.scaling, "fixed_ridge", r.dir);
  if (!r.extrapolation || !std::isfinite(ridge)) return s;
  const CsvTable& t = *r.extrapolation;
  for (size_t i : rows_where(t, "ridge", ridge, "n")) {
    s.x.push_back(t.column("n")[i]);
    s.y.push_back(t.column("predicted")[i]);
  }
  return s;
}

Panel learning_panel(const std::string& title) {
  Panel p;
  p.title = title;
  p.x = log_axis(kSizeLabel);
  p.y = log_axis(kRiskLabel);
  return p;
}

// Measured, predicted and extrapolated curves from rmtlens scaling.
PlannedFigure predicted_learning_curves(const Study& study) {
  PlannedFigure out{
      risk_figure("learning-curves",
                  "Learning curves",
                  "Test risk against the training size N, log-log axes, one "
                  "colour per representation. Solid with points: measured. "
                  "Dashed: the deterministic equivalent of the population "
                  "spectrum. Dotted: the same built from the fitted power laws "
                  "alone, whose slope is the predicted exponent. Dash-dot with "
                  "open circles (left): extrapolated from the spectrum of the "
                  "smallest sample n0 up to 8 n0. A straight line is a power "
                  "law N^-exponent; the table below gives the measured and "
                  "predicted exponents. Where dashed and dotted lines lie on "
                  "the solid one, the spectrum explains the learning curve."),
      ""};
  Panel fixed = learning_panel("at a fixed ridge λ0 (table below)");
  Panel chosen = learning_panel("at GCV's ridge (theories: their best ridge)");
  for (size_t i = 0; i < study.representations.size(); ++i) {
    const Representation& r = study.representations[i];
    if (!r.learning) continue;
    fixed.series.push_back(curve(r, i, "test_fixed_ridge", 1, r.label));
    fixed.series.push_back(curve(r, i, "de_population_fixed_ridge", 2, ""));
    fixed.series.push_back(curve(r, i, "power_law_fixed_ridge", 3, ""));
    fixed.series.push_back(extrapolated(r, i));
    chosen.series.push_back(curve(r, i, "test_at_gcv_ridge", 1, r.label));
    chosen.series.push_back(curve(r, i, "de_population_best", 2, ""));
    chosen.series.push_back(curve(r, i, "power_law_best", 3, ""));
  }
  fixed.series.push_back(legend_only("dashed: det. equivalent", 2));
  fixed.series.push_back(legend_only("dotted: fitted power laws", 3));
  fixed.series.push_back(legend_only("dash-dot: extrapolated from n0", 4));
  for (Panel* p : {&fixed, &chosen}) {
    tick_at_data(*p);
    if (p->drawable()) out.figure.panels.push_back(std::move(*p));
  }
  if (out.figure.panels.empty()) {
    out.missing = "learning_curve.csv holds no finite positive risks.";
  }
  return out;
}

// Without rmtlens scaling's files: the measured curve from sweep.csv.
PlannedFigure measured_learning_curves(const Study& study) {
  PlannedFigure out{
      risk_figure(
          "learning-curves",
          "Learning curves",
          "Test risk at the ridge GCV chooses, against the training "
          "size N (log-log axes; solid lines with points, one colour per "
          "representation), and GCV's own estimate there (dashed, same "
          "colour). A straight line means a power law N^-exponent; the "
          "key gives the exponent fitted to the measured points. A "
          "steeper line is a representation that gains more from data."),
      ""};
  Panel p;
  p.title = "test risk at GCV's choice of λ";
  p.x = log_axis(kSizeLabel);
  p.y = log_axis(kRiskLabel);
  for (size_t i = 0; i < study.representations.size(); ++i) {
    const Representation& r = study.representations[i];
    if (!r.sweep || distinct_sorted(r.sweep->column("n")).size() < 2) {
      continue;
    }
    Series measured = measured_learning_curve(r, i);
    measured.title = with_exponent(measured);
    p.series.push_back(std::move(measured));
    p.series.push_back(gcv_learning_curve(r, i));
  }
  tick_at_data(p);
  out.figure.columns = 1;
  out.figure.panel_height = 420;
  if (!p.drawable()) {
    out.missing =
        "Learning curves need a sweep over at least two sizes "
        "(rmtlens sweep --sizes A,B,...).";
    return out;
  }
  out.figure.panels.push_back(std::move(p));
  return out;
}

}  // namespace

PlannedFigure learning_curve_figure(const Study& study) {
  for (const Representation& r : study.representations) {
    if (r.learning) return predicted_learning_curves(study);
  }
  return measured_learning_curves(study);
}

PlannedFigure local_law_figure(const Study& study) {
  PlannedFigure out{
      risk_figure(
          "local-law",
          "Local-law diagnostic",
          "The effective ridge κ computed from the training kernel's own "
          "eigenvalues, divided by κ from the population spectrum, "
          "against the ridge (log-log axes; one colour per N). The "
          "local law that makes GCV converge to the risk says this ratio "
          "is 1; where it departs from the dashed line, expect GCV and "
          "the deterministic equivalent to part from the test risk."),
      ""};
  const std::vector<double> sizes = spread(study_sizes(study), kLocalLawSizes);
  for (const Representation& r : study.representations) {
    if (!has_local_law(r)) continue;
    Panel p = local_law_panel(r, sizes);
    if (p.drawable()) out.figure.panels.push_back(std::move(p));
  }
  if (out.figure.panels.empty()) {
    out.missing =
        "The local-law diagnostic needs the columns kappa_empirical and "
        "kappa_population in sweep.csv, written by rmtlens sweep when the "
        "theory layer runs.";
  }
  out.figure.columns = out.figure.panels.size() > 1 ? 2 : 1;
  share_ratio_range(out.figure);
  return out;
}

PlannedFigure spectra_figure(const Study& study) {
  PlannedFigure out{
      overlay_figure(
          "spectra",
          "Eigenvalue spectra",
          "Eigenvalues σ_i of the kernel operator (eigenvalues of K/P on "
          "the P-point population sample) against their rank i, log-log "
          "axes, one colour per representation; dashed: the power law "
          "σ_i ∝ i^-α fitted over the index range in the table below. "
          "A steeper line (larger α) puts more of the kernel's variance "
          "into a few directions. The far tail bends down where the "
          "finite sample stops resolving the spectrum."),
      ""};
  Panel p;
  p.title = "eigenvalue against rank";
  p.x = log_axis("eigenvalue rank i");
  p.y = log_axis("eigenvalue σ_i");
  for (size_t i = 0; i < study.representations.size(); ++i) {
    const Representation& r = study.representations[i];
    if (!r.spectrum) continue;
    add_with_fit(
        p,
        r,
        i,
        *r.spectrum,
        "eigenvalue",
        "power_law_fit",
        json_member(r.spectrum_fits, "eigen_decay"),
        exponent_text(json_member(r.spectrum_fits, "eigen_decay"), "α"));
  }
  if (!p.drawable()) {
    out.missing =
        "Eigenvalue spectra need spectrum.csv, written by rmtlens "
        "spectrum --out DIR/<representation>/spectrum.";
    return out;
  }
  p.series.push_back(legend_only("dashed: fitted power law"));
  out.figure.panels.push_back(std::move(p));
  return out;
}

PlannedFigure alignment_figure(const Study& study) {
  PlannedFigure out{
      overlay_figure(
          "alignment",
          "Label alignment",
          "Left: cumulative alignment A(k), the share of the label energy "
          "carried by the top k eigenvectors (log k axis). A curve that "
          "climbs to 1 early belongs to a representation whose labels "
          "live in its top eigen-directions: it learns from fewer "
          "samples. Right: the energy left beyond k, 1 - A(k), log-log, "
          "with its fitted power law k^-γ dashed; γ sets how fast the "
          "bias falls as N grows."),
      ""};
  Panel cumulative;
  cumulative.title = "cumulative alignment A(k)";
  cumulative.x = log_axis("eigenvector rank k");
  cumulative.y = {"A(k)", false, 0.0, 1.0, {}};
  Panel tail;
  tail.title = "tail energy 1 - A(k)";
  tail.x = log_axis("eigenvector rank k");
  tail.y = log_axis("1 - A(k)");
  for (size_t i = 0; i < study.representations.size(); ++i) {
    const Representation& r = study.representations[i];
    if (!r.alignment) continue;
    cumulative.series.push_back(
        thinned(table_series(*r.alignment, "index", "cumulative", r, i)));
    add_with_fit(tail,
                 r,
                 i,
                 *r.alignment,
                 "tail",
                 "tail_fit",
                 json_member(r.spectrum_fits, "tail_energy"),
                 "");
  }
  if (!cumulative.drawable()) {
    out.missing =
        "Label alignment needs alignment.csv, written by rmtlens "
        "spectrum --out DIR/<representation>/spectrum.";
    return out;
  }
  out.figure.panels.push_back(std::move(cumulative));
  if (tail.drawable()) {
    tail.series.push_back(legend_only("dashed: fitted power law"));
    out.figure.panels.push_back(std::move(tail));
  }
  out.figure.columns = 2;
  return out;
}

}  // namespace rmtlens::cli
