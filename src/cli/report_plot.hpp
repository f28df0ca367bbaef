// Figures of `rmtlens report`: a small description of panels and series,
// drawn by gnuplot's svg terminal into vector graphics that the report
// inlines. gnuplot (Debian's gnuplot-nox) is a well-kept plotting program;
// the report never draws a curve itself.
//
//   Figure f{.id = "risk-vs-n", .columns = 2};
//   f.panels.push_back(panel);           // axes and series
//   Gnuplot gnuplot = Gnuplot::locate(); // throws if gnuplot is missing
//   std::string svg = render_figure(f, gnuplot);
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace rmtlens::cli {

// How a series is drawn. Colours are "#rrggbb"; dash is gnuplot's
// dashtype (1 solid, 2 dashed, 3 dotted, 4 dash-dot); point is gnuplot's
// point type (7 filled circle, 6 open circle, 5 filled square, 9 filled
// triangle).
enum class Mark { kLine, kLinePoints, kPoints, kErrorLines };
struct SeriesStyle {
  std::string color = "#000000";
  Mark mark = Mark::kLine;
  double width = 1.5;  // line width, gnuplot units (1 = 1 px in svg)
  int dash = 1;
  int point = 7;
  double point_size = 0.6;
};

// One curve. x, y (and lo, hi: the error bar's ends, for kErrorLines)
// have equal lengths; points
// that are not finite, or not positive on a log axis, are left out and
// break the line there. An empty title keeps the series out of the key.
struct Series {
  std::string title;
  SeriesStyle style;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> lo;
  std::vector<double> hi;
};

// A horizontal reference line y = value across the panel.
struct Reference {
  std::string title;
  SeriesStyle style;
  double value = 0.0;
};

// min/max NaN: gnuplot chooses the range from the data. ticks: where to
// put labelled tics (empty: gnuplot's choice); a log axis spanning less
// than a decade would otherwise show one label or none.
struct Axis {
  std::string label;
  bool log = false;
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> ticks;
};

struct Panel {
  std::string title;
  Axis x;
  Axis y;
  std::vector<Series> series;
  std::vector<Reference> references;

  // True when at least one series has a point that can be drawn.
  bool drawable() const;
};

// Panels laid out row by row, `columns` to a row, with one shared key
// below them listing every distinct series title once (the same title
// must mean the same style in every panel of a figure).
struct Figure {
  std::string id;  // unique in the report: [a-z0-9-]
  std::string title;
  std::string caption;
  int columns = 2;         // >= 1
  int width = 960;         // px of the svg viewBox
  int panel_height = 320;  // px per row of panels
  std::vector<Panel> panels;
};

// The gnuplot executable found on PATH. The work directory for scripts
// is a fresh temporary directory, removed with this object.
class Gnuplot {
 public:
  // Throws InputError with one line saying how to install gnuplot when
  // no executable "gnuplot" is on PATH.
  static Gnuplot locate();
  ~Gnuplot();
  Gnuplot(Gnuplot&& other) noexcept;
  Gnuplot(const Gnuplot&) = delete;
  Gnuplot& operator=(const Gnuplot&) = delete;
  Gnuplot& operator=(Gnuplot&&) = delete;

  // Runs `script` and returns what it wrote to stdout. Throws
  // std::runtime_error with gnuplot's first error line if it fails: the
  // script is ours, so a failure is our bug, not the caller's.
  std::string run(const std::string& script) const;

 private:
  Gnuplot(std::string executable, std::string work_dir);
  std::string executable_;
  std::string work_dir_;
};

// The gnuplot script that draws `figure` to svg on stdout. Panels with
// nothing drawable must have been removed (asserted).
std::string figure_script(const Figure& figure);

// Draws `figure` and returns svg markup ready to inline into HTML: the
// XML prolog dropped, the title set to the figure's, and every id made
// unique to the figure so several plots can share one page.
std::string render_figure(const Figure& figure, const Gnuplot& gnuplot);

}  // namespace rmtlens::cli
