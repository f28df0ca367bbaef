#include "report_plot.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "report_html.hpp"
#include "rmtlens/types.hpp"

extern char** environ;

namespace rmtlens::cli {

namespace {

// Pixel geometry of a figure; gnuplot takes it as screen fractions.
constexpr int kKeyRowHeight = 22;
constexpr int kKeyPadding = 14;
constexpr int kKeySample = 36;     // length of the line sample
constexpr int kKeyGap = 8;         // between sample and text
constexpr int kKeyColumnGap = 28;  // between key columns
// Width of one character of the 11 px sans-serif font, a little above
// DejaVu Sans's average so that an estimate never overlaps.
constexpr double kCharWidth = 6.9;
constexpr int kLeft = 80;
constexpr int kRight = 24;
constexpr int kTop = 40;         // the panel title
constexpr int kBelowPanel = 58;  // tic labels and x label

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Single-quoted gnuplot string: a quote is written twice, and nothing
// else is special in single quotes.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

bool usable(double x, double y, const Panel& panel) {
  if (!std::isfinite(x) || !std::isfinite(y)) return false;
  if (panel.x.log && x <= 0.0) return false;
  if (panel.y.log && y <= 0.0) return false;
  return true;
}

bool has_points(const Series& s, const Panel& panel) {
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (usable(s.x[i], s.y[i], panel)) return true;
  }
  return false;
}

// A datablock of one series; a point that cannot be drawn becomes a
// blank line, which breaks the curve instead of bridging the gap.
std::string datablock(const std::string& name,
                      const Series& s,
                      const Panel& panel) {
  assert(s.x.size() == s.y.size());
  const bool errors = s.style.mark == Mark::kErrorLines;
  std::string out = "$" + name + " << EOD\n";
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!usable(s.x[i], s.y[i], panel)) {
      out += "\n";
      continue;
    }
    out += fmt::format("{:.10g} {:.10g}", s.x[i], s.y[i]);
    if (errors) {
      // A missing end draws no bar there; on a log axis a lower end at or
      // below 0 is raised to just under the point.
      const bool known =
          i < s.lo.size() && std::isfinite(s.lo[i]) && std::isfinite(s.hi[i]);
      double lo = known ? s.lo[i] : s.y[i];
      if (panel.y.log && lo <= 0.0) lo = s.y[i] / 1.5;
      out += fmt::format(" {:.10g} {:.10g}", lo, known ? s.hi[i] : s.y[i]);
    }
    out += "\n";
  }
  return out + "EOD\n";
}

std::string style_spec(const SeriesStyle& s, bool as_function) {
  const std::string color = "lc rgb " + quoted(s.color);
  const std::string line = fmt::format(" lw {:.3g} dt {}", s.width, s.dash);
  const std::string point =
      fmt::format(" pt {} ps {:.3g}", s.point, s.point_size);
  switch (s.mark) {
    case Mark::kLine:
      return "with lines " + color + line;
    case Mark::kPoints:
      return "with points " + color + point;
    case Mark::kLinePoints:
      return "with linespoints " + color + line + point;
    case Mark::kErrorLines:
      // A function has no error column: its key entry uses linespoints.
      return (as_function ? "with linespoints " : "with yerrorlines ") + color +
             line + point;
  }
  return "";
}

struct KeyEntry {
  std::string title;
  SeriesStyle style;
};

// Every distinct title of the figure, in order of first appearance.
std::vector<KeyEntry> key_entries(const Figure& figure) {
  std::vector<KeyEntry> entries;
  const auto add = [&entries](const std::string& title,
                              const SeriesStyle& style) {
    if (title.empty()) return;
    for (const KeyEntry& e : entries)
      if (e.title == title) return;
    entries.push_back({title, style});
  };
  for (const Panel& p : figure.panels) {
    for (const Series& s : p.series) add(s.title, s.style);
    for (const Reference& r : p.references) add(r.title, r.style);
  }
  return entries;
}

// UTF-8 code points: what the text's width depends on.
int glyphs(const std::string& text) {
  int count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

int entry_width(const KeyEntry& e) {
  return kKeySample + kKeyGap +
         static_cast<int>(std::ceil(glyphs(e.title) * kCharWidth));
}

// Where the key's entries go: row by row, as many columns as fit the
// figure's width. gnuplot's own key layout overestimates text width in
// svg and would spill a long key off the side, so the report places each
// entry itself.
struct KeyLayout {
  int columns = 1;
  std::vector<int> column_width;  // px, per column
  int rows() const;
  int total_width() const;
  size_t entries = 0;
};

int KeyLayout::rows() const {
  return static_cast<int>((entries + columns - 1) / columns);
}

int KeyLayout::total_width() const {
  int w = 0;
  for (int c : column_width) w += c;
  return w + kKeyColumnGap * (columns - 1);
}

KeyLayout key_layout(const std::vector<KeyEntry>& key, int width) {
  KeyLayout layout;
  layout.entries = key.size();
  for (int columns = std::min<int>(4, key.size()); columns >= 1; --columns) {
    layout.columns = columns;
    layout.column_width.assign(columns, 0);
    for (size_t i = 0; i < key.size(); ++i) {
      int& w = layout.column_width[i % columns];
      w = std::max(w, entry_width(key[i]));
    }
    if (layout.total_width() <= width - 40) break;
  }
  return layout;
}

int key_height(const Figure& figure) {
  const std::vector<KeyEntry> key = key_entries(figure);
  if (key.empty()) return 0;
  return key_layout(key, figure.width).rows() * kKeyRowHeight + kKeyPadding;
}

int panel_rows(const Figure& figure) {
  const int n = static_cast<int>(figure.panels.size());
  return (n + figure.columns - 1) / figure.columns;
}

int figure_height(const Figure& figure) {
  return panel_rows(figure) * figure.panel_height + key_height(figure);
}

std::string terminal(const Figure& figure) {
  return fmt::format(
      "set terminal svg size {},{} dynamic noenhanced "
      "font 'Sans,11' background '#ffffff'\n"
      "set encoding utf8\n"
      "set multiplot\n",
      figure.width,
      figure_height(figure));
}

// Panel `index` gets cell (row, column) of the grid above the key strip;
// its plot area is the cell less room for titles, tics and labels.
std::string panel_margins(const Figure& figure, int index) {
  const double w = figure.width;
  const double h = figure_height(figure);
  const double cell = w / figure.columns;
  const int row = index / figure.columns;
  const int column = index % figure.columns;
  const double left = column * cell + kLeft;
  const double right = (column + 1) * cell - kRight;
  const double top = row * figure.panel_height + kTop;
  const double bottom = (row + 1) * figure.panel_height - kBelowPanel;
  return fmt::format(
      "set lmargin at screen {:.4f}; set rmargin at screen {:.4f}\n"
      "set tmargin at screen {:.4f}; set bmargin at screen {:.4f}\n",
      left / w,
      right / w,
      1.0 - top / h,
      1.0 - bottom / h);
}

// Light grid, open box, plain-number tic labels: a look shared by every
// panel of the report.
std::string common_style() {
  return "unset key\n"
         "set grid back lc rgb '#e4e4e4' lw 1\n"
         "set border 3 lc rgb '#444444'\n"
         "set tics nomirror out scale 0.6\n"
         "set mxtics default\nset mytics default\n"
         "set offsets graph 0.04, graph 0.04, 0, 0\n";
}

std::string axis_settings(const Axis& axis, const char* name) {
  std::string out;
  out += fmt::format("set {}label {}\n", name, quoted(axis.label));
  out += axis.log ? fmt::format("set logscale {}\n", name)
                  : fmt::format("unset logscale {}\n", name);
  out += fmt::format("set format {} '%g'\n", name);
  // x fits the data snugly (a log axis would otherwise round out to
  // whole decades); y keeps gnuplot's tic-aligned range.
  if (std::string(name) == "x") out += "set autoscale xfix\n";
  const std::string lo = std::isfinite(axis.min)
                             ? fmt::format("{:.10g}", axis.min)
                             : std::string("*");
  const std::string hi = std::isfinite(axis.max)
                             ? fmt::format("{:.10g}", axis.max)
                             : std::string("*");
  out += fmt::format("set {}range [{}:{}]\n", name, lo, hi);
  if (axis.ticks.empty())
    return out + fmt::format("set {}tics autofreq\n", name);
  std::string list;
  for (double t : axis.ticks) {
    list += (list.empty() ? "" : ", ") + fmt::format("{:.10g}", t);
  }
  return out + fmt::format("set {}tics ({})\n", name, list);
}

// One key entry with its sample's left end at pixel (x, y) of the key
// plot (origin bottom left): the title as a label, and the plot items
// that draw the sample with the series' own style, so that dashes and
// points look exactly as in the panels.
std::string key_entry(const KeyEntry& e,
                      int number,
                      double x,
                      double y,
                      std::vector<std::string>& items) {
  std::string out = fmt::format(
      "$k{0} << EOD\n{1:.2f} {2:.2f}\n{3:.2f} {2:.2f}\nEOD\n"
      "$k{0}p << EOD\n{4:.2f} {2:.2f}\nEOD\n",
      number,
      x,
      y,
      x + kKeySample,
      x + kKeySample / 2.0);
  out += fmt::format("set label {} {} at first {:.2f},{:.2f} left\n",
                     number,
                     quoted(e.title),
                     x + kKeySample + kKeyGap,
                     y);
  SeriesStyle line = e.style;
  line.mark = Mark::kLine;
  SeriesStyle point = e.style;
  point.mark = Mark::kPoints;
  if (e.style.mark != Mark::kPoints) {
    items.push_back(fmt::format("$k{} ", number) + style_spec(line, false) +
                    " notitle");
  }
  if (e.style.mark != Mark::kLine) {
    items.push_back(fmt::format("$k{}p ", number) + style_spec(point, false) +
                    " notitle");
  }
  return out;
}

// The shared key: a last plot over the whole canvas in pixel units, its
// entries placed row by row in the strip below the panels.
std::string key_strip(const Figure& figure, const std::vector<KeyEntry>& key) {
  if (key.empty()) return "";
  const double w = figure.width;
  const double h = figure_height(figure);
  const KeyLayout layout = key_layout(key, figure.width);
  const double top = key_height(figure) - kKeyPadding / 2.0;
  std::string out;
  std::vector<std::string> items;
  for (size_t i = 0; i < key.size(); ++i) {
    const int column = static_cast<int>(i) % layout.columns;
    const int row = static_cast<int>(i) / layout.columns;
    double x = (w - layout.total_width()) / 2.0;
    for (int c = 0; c < column; ++c) {
      x += layout.column_width[c] + kKeyColumnGap;
    }
    const double y = top - (row + 0.5) * kKeyRowHeight;
    out += key_entry(key[i], static_cast<int>(i) + 1, x, y, items);
  }
  out += fmt::format(
      "set lmargin at screen 0; set rmargin at screen 1\n"
      "set tmargin at screen 1; set bmargin at screen 0\n"
      "unset border; unset tics; unset grid; unset title\n"
      "unset xlabel; unset ylabel; unset logscale; set offsets 0, 0, 0, 0\n"
      "set xrange [0:{}]; set yrange [0:{}]\n",
      figure.width,
      h);
  out += "plot ";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", \\\n     " : "") + items[i];
  }
  return out + "\n";
}

// The plot command of one panel; titles live in the key strip only.
std::string plot_command(const Panel& panel, int index) {
  std::vector<std::string> items;
  for (size_t s = 0; s < panel.series.size(); ++s) {
    const Series& series = panel.series[s];
    if (!has_points(series, panel)) continue;
    const bool errors = series.style.mark == Mark::kErrorLines;
    items.push_back(
        fmt::format("$p{}s{} using 1:2{} ", index, s, errors ? ":3:4" : "") +
        style_spec(series.style, false) + " notitle");
  }
  for (const Reference& r : panel.references) {
    items.push_back(fmt::format("{:.10g} ", r.value) +
                    style_spec(r.style, true) + " notitle");
  }
  std::string out = "plot ";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", \\\n     " : "") + items[i];
  }
  return out + "\n";
}

std::string panel_script(const Figure& figure, int index) {
  const Panel& panel = figure.panels[static_cast<size_t>(index)];
  assert(panel.drawable());
  std::string out = panel_margins(figure, index);
  out += fmt::format("set title {} font ',12'\n", quoted(panel.title));
  out += axis_settings(panel.x, "x");
  out += axis_settings(panel.y, "y");
  return out + plot_command(panel, index);
}

void replace_all(std::string& text,
                 const std::string& from,
                 const std::string& to) {
  size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
}

// gnuplot names its definitions (gnuplot_canvas, gpPt0, ...) the same in
// every file; inlined side by side they would collide, so each figure's
// ids and the references to them get the figure's id as a prefix.
void prefix_ids(std::string& svg, const std::string& prefix) {
  for (const char* quote : {"'", "\""}) {
    const std::string q = quote;
    replace_all(svg, "id=" + q, "id=" + q + prefix + "-");
    replace_all(svg, "href=" + q + "#", "href=" + q + "#" + prefix + "-");
  }
  replace_all(svg, "url(#", "url(#" + prefix + "-");
}

std::string environment_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

}  // namespace

bool Panel::drawable() const {
  for (const Series& s : series)
    if (has_points(s, *this)) return true;
  return false;
}

Gnuplot::Gnuplot(std::string executable, std::string work_dir)
    : executable_(std::move(executable)), work_dir_(std::move(work_dir)) {}

Gnuplot::Gnuplot(Gnuplot&& other) noexcept
    : executable_(std::move(other.executable_)),
      work_dir_(std::move(other.work_dir_)) {
  other.work_dir_.clear();
}

Gnuplot::~Gnuplot() {
  if (work_dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

Gnuplot Gnuplot::locate() {
  std::string found;
  std::stringstream path(environment_or("PATH", ""));
  std::string dir;
  while (found.empty() && std::getline(path, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/gnuplot";
    if (access(candidate.c_str(), X_OK) == 0) found = candidate;
  }
  if (found.empty()) {
    throw InputError(
        "report: gnuplot not found on PATH; install Debian's gnuplot-nox "
        "(scripts/setup does)");
  }

  std::string pattern =
      environment_or("TMPDIR", "/tmp") + "/rmtlens-report-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw InputError("report: cannot create a temporary directory under " +
                     environment_or("TMPDIR", "/tmp"));
  }
  return Gnuplot(found, pattern);
}

std::string Gnuplot::run(const std::string& script) const {
  const std::string script_path = work_dir_ + "/figure.gp";
  const std::string out_path = work_dir_ + "/figure.svg";
  const std::string err_path = work_dir_ + "/gnuplot.err";
  std::ofstream(script_path, std::ios::binary) << script;

  // stdout to the svg file and stderr to a log: nothing reaches the
  // terminal, and the first error line can be quoted.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(
      &actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv = {const_cast<char*>(executable_.c_str()),
                             const_cast<char*>(script_path.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(
      &pid, executable_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw InputError("report: cannot run " + executable_);
  }

  int status = 0;
  waitpid(pid, &status, 0);
  const std::string log = read_file(err_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("gnuplot failed on a report figure: " + log);
  }
  if (!log.empty()) spdlog::debug("gnuplot: {}", log);
  return read_file(out_path);
}

std::string figure_script(const Figure& figure) {
  assert(figure.columns >= 1 && !figure.panels.empty());
  std::string out = terminal(figure);
  out += common_style();
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    const Panel& panel = figure.panels[p];
    for (size_t s = 0; s < panel.series.size(); ++s) {
      out += datablock(fmt::format("p{}s{}", p, s), panel.series[s], panel);
    }
  }
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    out += panel_script(figure, static_cast<int>(p));
  }
  out += key_strip(figure, key_entries(figure));
  return out + "unset multiplot\n";
}

std::string render_figure(const Figure& figure, const Gnuplot& gnuplot) {
  std::string svg = gnuplot.run(figure_script(figure));
  const size_t start = svg.find("<svg");
  if (start == std::string::npos) {
    throw std::runtime_error("gnuplot wrote no svg for figure " + figure.id);
  }
  svg.erase(0, start);

  prefix_ids(svg, figure.id);
  replace_all(svg,
              "<title>Gnuplot</title>",
              "<title>" + html_escape(figure.title) + "</title>");
  replace_all(svg,
              "<svg ",
              "<svg class=\"plot\" role=\"img\" aria-label=\"" +
                  html_escape(figure.title) + "\" ");
  return svg;
}

}  // namespace rmtlens::cli
