#include "report_html.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "report_figures.hpp"

namespace rmtlens::cli {

namespace {

// Styles of the whole page, inline so the file stands alone.
const char* const kStyle = R"(
body { font-family: system-ui, "DejaVu Sans", Arial, sans-serif;
  max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px;
  color: #1e1e1e; line-height: 1.45; background: #fafafa; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 2.2em; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { margin-top: 1.6em; }
.subtitle { color: #555; margin-top: 0; }
nav ol { columns: 2; color: #555; }
nav a, a { color: #0b5cad; text-decoration: none; }
figure.plot { margin: 20px 0; padding: 14px 16px; background: #fff;
  border: 1px solid #ddd; border-radius: 6px; }
figure.plot svg { display: block; width: 100%; height: auto; }
.figure-title { font-weight: 600; margin-bottom: 6px; }
figcaption { color: #3d3d3d; font-size: 0.93em; margin-top: 10px; }
table { border-collapse: collapse; margin: 12px 0 20px;
  font-variant-numeric: tabular-nums; background: #fff; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e2e2e2;
  text-align: right; }
th { background: #f0f0f0; font-weight: 600; }
th[colspan] { text-align: center; }
td { white-space: nowrap; }
td:first-child { white-space: normal; min-width: 10em; }
table { font-size: 0.94em; }
th:first-child, td:first-child { text-align: left; }
td.best { font-weight: 700; }
.swatch { display: inline-block; width: 20px; height: 4px;
  margin-right: 8px; vertical-align: middle; }
.missing { background: #fff6dc; border-left: 4px solid #e0a800;
  padding: 8px 12px; }
.notes li { color: #7a4b00; }
footer { margin-top: 3em; color: #666; font-size: 0.85em; }
code { background: #eee; padding: 0 3px; border-radius: 3px; }
)";

std::string number(double v) {
  if (std::isnan(v)) return "–";
  return fmt::format("{:.4g}", v);
}

// A fitted exponent: two decimals are all a log-log slope supports.
std::string exponent(double v) {
  if (std::isnan(v)) return "–";
  const double shown = std::abs(v) < 0.005 ? 0.0 : v;
  return fmt::format("{:.2f}", shown);
}

// A relative error or share; beyond 1000% as a multiple, which reads
// better than five digits of percent.
std::string percent(double v) {
  if (std::isnan(v)) return "–";
  if (v >= 100.0) return fmt::format("{:.0f}×", v);
  if (v >= 10.0) return fmt::format("{:.1f}×", v);
  return fmt::format("{:.1f}%", 100.0 * v);
}

std::string cell(const std::string& text, const char* tag = "td") {
  return fmt::format("<{0}>{1}</{0}>", tag, html_escape(text));
}

// A figure id piece from a representation name: [a-z0-9-] only.
std::string slug(const std::string& name, size_t index) {
  std::string out;
  for (char c : name) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c));
    out += keep ? static_cast<char>(std::tolower(c)) : '-';
  }
  return fmt::format("r{}-{}", index, out);
}

// Appends the page's parts in order and numbers its figures.
class PageWriter {
 public:
  explicit PageWriter(const Gnuplot& gnuplot) : gnuplot_(gnuplot) {}

  void heading(int level, const std::string& id, const std::string& text) {
    html_ += fmt::format(
        "<h{0} id=\"{1}\">{2}</h{0}>\n", level, id, html_escape(text));
  }

  void paragraph(const std::string& text) {
    html_ += "<p>" + html_escape(text) + "</p>\n";
  }

  void raw(const std::string& html) { html_ += html; }

  void figure(const PlannedFigure& planned) {
    if (!planned.missing.empty()) {
      missing(planned.figure.id, planned.missing);
      return;
    }
    const Figure& f = planned.figure;
    ++page_.figures;
    html_ += fmt::format(
        "<figure class=\"plot\" id=\"fig-{0}\" data-figure=\"{0}\" "
        "data-panels=\"{3}\">\n"
        "<div class=\"figure-title\">Figure {1}. {2}</div>\n",
        f.id,
        page_.figures,
        html_escape(f.title),
        f.panels.size());
    html_ += render_figure(f, gnuplot_);
    html_ +=
        "<figcaption>" + html_escape(f.caption) + "</figcaption>\n</figure>\n";
  }

  void missing(const std::string& id, const std::string& note) {
    page_.missing.push_back(note);
    html_ += fmt::format(
        "<p class=\"missing\" data-missing=\"{}\">"
        "Not shown: {}</p>\n",
        id,
        html_escape(note));
  }

  ReportPage finish(const std::string& title,
                    const std::string& head,
                    const std::string& foot) {
    page_.html = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<title>{}</title>\n<style>{}</style>\n</head>\n"
        "<body data-figures=\"{}\">\n{}<main>\n{}</main>\n{}</body>\n"
        "</html>\n",
        html_escape(title),
        kStyle,
        page_.figures,
        head,
        html_,
        foot);
    return std::move(page_);
  }

 private:
  const Gnuplot& gnuplot_;
  std::string html_;
  ReportPage page_;
};

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return number(value.get<double>());
  return value.dump();
}

int ridge_count(const Representation& r) {
  if (!r.sweep) return 0;
  return static_cast<int>(std::set<double>(r.sweep->column("ridge").begin(),
                                           r.sweep->column("ridge").end())
                              .size());
}

std::string size_list(const Representation& r) {
  if (!r.sweep) return "–";
  const std::set<double> sizes(r.sweep->column("n").begin(),
                               r.sweep->column("n").end());
  std::string out;
  for (double n : sizes) out += (out.empty() ? "" : ", ") + number(n);
  return out;
}

// A representation's folder as study.json names it, relative to DIR.
std::string folder(const Study& study, const Representation& r) {
  if (!study.from_study_json) return r.dir;
  return std::filesystem::path(r.dir).lexically_relative(study.dir).string();
}

// One row per representation: what it is and how big the problem was.
std::string overview_table(const Study& study) {
  std::string html =
      "<table>\n<tr><th>representation</th><th>folder</th>"
      "<th>training pool</th><th>test points</th><th>outputs</th>"
      "<th>sizes N</th><th>ridges</th></tr>\n";
  for (const Representation& r : study.representations) {
    const nlohmann::json& s = r.summary;
    const auto field = [&s](const char* key) {
      return s.is_object() && s.contains(key) ? json_text(s[key])
                                              : std::string("–");
    };
    html += "<tr>" + cell(r.label) + cell(folder(study, r)) +
            cell(field("pool_size")) + cell(field("test_size")) +
            cell(field("outputs")) + cell(size_list(r)) +
            cell(std::to_string(ridge_count(r))) + "</tr>\n";
  }
  return html + "</table>\n";
}

std::string notes_list(const Study& study) {
  std::string items;
  for (const Representation& r : study.representations) {
    if (!r.summary.is_object() || !r.summary.contains("notes")) continue;
    for (const nlohmann::json& note : r.summary["notes"]) {
      items += "<li>" + html_escape(r.label + ": " + note.get<std::string>()) +
               "</li>\n";
    }
  }
  if (items.empty()) return "";
  return "<p>Notes the runs left (numerical outcomes worth knowing):</p>\n"
         "<ul class=\"notes\">\n" +
         items + "</ul>\n";
}

// Whether the trust rule flagged GCV at (n, ridge), from summary.json's
// uncertainty.gcv_rule (present since sweep writes intervals): "yes",
// "no: read LOO", or "not assessed" (a sweep without --loo).
std::string gcv_verdict(const nlohmann::json& rule,
                        double n,
                        double ridge,
                        const std::string& file) {
  if (!rule.is_object() || json_number(rule, "assessed_rows", file) <= 0) {
    return "not assessed";
  }
  for (const nlohmann::json& f : json_member(rule, "flagged")) {
    if (json_number(f, "n", file) == n &&
        json_number(f, "ridge", file) == ridge) {
      return "no: read LOO";
    }
  }
  return "yes";
}

// One sentence on the trust rule's verdicts over the whole grid.
std::string gcv_rule_note(const nlohmann::json& rule, const std::string& file) {
  if (!rule.is_object()) return "";
  const double assessed = json_number(rule, "assessed_rows", file);
  if (!(assessed > 0)) {
    return "<p>GCV's trust rule needs the leverages: run sweep with --loo "
           "to have each (N, λ) assessed.</p>\n";
  }
  return "<p>GCV's trust rule (leverage-slack spread above " +
         number(json_number(rule, "max_slack_cv", file)) +
         ") flags " + number(json_number(rule, "flagged_rows", file)) +
         " of " + number(assessed) +
         " (N, λ) points; at those, exact LOO is the estimate to read.</p>\n";
}

// Per size: the ridge GCV picks, what it costs on the test set against
// the best ridge of the grid, and whether GCV is trusted there.
std::string choice_table(const Representation& r) {
  if (!r.summary.is_object() || !r.summary.contains("sizes")) return "";
  const std::string file = r.dir + "/summary.json";
  const nlohmann::json& rule =
      json_member(json_member(r.summary, "uncertainty"), "gcv_rule");
  std::string html =
      "<table>\n<tr><th>N</th><th>GCV's λ</th><th>test risk there</th>"
      "<th>best λ on test</th><th>best test risk</th>"
      "<th>excess risk of GCV's choice</th>"
      "<th>GCV trusted at its λ</th></tr>\n";
  for (const nlohmann::json& s : r.summary["sizes"]) {
    const double n = json_number(s, "n", file);
    const double ridge = json_number(s, "gcv_ridge", file);
    const double at_gcv = json_number(s, "test_mse_at_gcv_ridge", file);
    const double best = json_number(s, "best_test_mse", file);
    html += "<tr>" + cell(number(n)) + cell(number(ridge)) +
            cell(number(at_gcv)) +
            cell(number(json_number(s, "best_ridge", file))) +
            cell(number(best)) + cell(percent(at_gcv / best - 1.0)) +
            cell(gcv_verdict(rule, n, ridge, file)) + "</tr>\n";
  }
  return html + "</table>\n" + gcv_rule_note(rule, file);
}

void risk_section(const Study& study, PageWriter& page) {
  page.heading(2, "risk", "Predicted against measured test risk");
  page.paragraph(
      "The key figures of the method. Measured test risk (black) against "
      "what GCV, exact leave-one-out and the theories predict from the "
      "training data alone, over the training size and over the ridge.");
  for (size_t i = 0; i < study.representations.size(); ++i) {
    const Representation& r = study.representations[i];
    const std::string id = slug(r.name, i);
    if (study.representations.size() > 1) {
      page.heading(3, "risk-" + id, r.label);
    }
    page.figure(risk_over_sizes(r, "risk-n-" + id));
    page.figure(risk_over_ridges(r, "risk-ridge-" + id));
    page.raw(choice_table(r));
  }
}

std::string swatch(const std::string& column) {
  const Estimator* e = find_estimator(column);
  if (!e) return "";
  return "<span class=\"swatch\" style=\"background:" + e->style.color +
         "\"></span>";
}

// Estimators named in any summary's error table, in the report's order.
std::vector<std::string> compared_estimators(const Study& study) {
  std::vector<std::string> names;
  const auto add = [&names](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end())
      names.push_back(n);
  };
  for (const Estimator& e : estimators()) {
    for (const Representation& r : study.representations) {
      const nlohmann::json& s = r.summary;
      if (s.is_object() && s.contains("relative_error_vs_test") &&
          s["relative_error_vs_test"].contains(e.column)) {
        add(e.column);
      }
    }
  }
  for (const Representation& r : study.representations) {
    if (!r.summary.is_object() || !r.summary.contains("relative_error_vs_test"))
      continue;
    for (const auto& item : r.summary["relative_error_vs_test"].items())
      add(item.key());
  }
  return names;
}

double median_error(const Representation& r, const std::string& name) {
  const nlohmann::json& s = r.summary;
  if (!s.is_object() || !s.contains("relative_error_vs_test") ||
      !s["relative_error_vs_test"].contains(name)) {
    return std::nan("");
  }
  return json_number(
      s["relative_error_vs_test"][name], "median", r.dir + "/summary.json");
}

// The share of grid points where the estimate falls inside the test
// risk's bootstrap interval (summary "uncertainty"); NaN when absent.
double inside_interval(const Representation& r, const std::string& name) {
  const nlohmann::json& entry =
      json_member(json_member(json_member(r.summary, "uncertainty"),
                              "comparison_with_test"),
                  name);
  return json_number(entry, "inside_fraction", r.dir + "/summary.json");
}

bool any_intervals(const Study& study) {
  for (const Representation& r : study.representations) {
    if (json_member(r.summary, "uncertainty").is_object()) return true;
  }
  return false;
}

std::string theory_row(const Study& study,
                       const std::string& name,
                       bool intervals) {
  const Estimator* e = find_estimator(name);
  std::string html =
      "<tr><td>" + swatch(name) + html_escape(e ? e->name : name) + "</td>";
  for (const Representation& r : study.representations) {
    double lowest = std::numeric_limits<double>::infinity();
    for (const std::string& other : compared_estimators(study)) {
      const double m = median_error(r, other);
      if (std::isfinite(m)) lowest = std::min(lowest, m);
    }
    const std::string file = r.dir + "/summary.json";
    const nlohmann::json& entry =
        json_member(json_member(r.summary, "relative_error_vs_test"), name);
    const double median = json_number(entry, "median", file);
    html += median == lowest ? "<td class=\"best\">" + percent(median) + "</td>"
                             : cell(percent(median));
    html += cell(percent(json_number(entry, "p90", file))) +
            cell(percent(json_number(entry, "max", file)));
    if (intervals) html += cell(percent(inside_interval(r, name)));
  }
  return html + "</tr>\n";
}

// summary.json's "ordering" (sweep --compare-to): whether each theory
// ranks this representation against another as the test risk does.
std::string ordering_table(const Representation& r) {
  const nlohmann::json& ordering = json_member(r.summary, "ordering");
  if (!ordering.is_object()) return "";
  const std::string file = r.dir + "/summary.json";
  std::string rows;
  for (const auto& [name, entry] : ordering.items()) {
    if (!entry.is_object()) continue;
    const Estimator* e = find_estimator(name);
    const nlohmann::json& right = json_member(entry, "orders_correctly");
    rows +=
        "<tr><td>" + swatch(name) + html_escape(e ? e->name : name) + "</td>" +
        cell(number(json_number(entry, "points", file))) +
        cell(percent(json_number(entry, "agreement", file))) +
        cell(right.is_boolean() ? (right.get<bool>() ? "yes" : "no") : "–") +
        "</tr>\n";
  }
  if (rows.empty()) return "";
  const nlohmann::json& other = json_member(ordering, "other");
  return "<p>Does each estimator rank " + html_escape(r.label) + " against " +
         html_escape(other.is_string() ? other.get<std::string>()
                                       : std::string("the other run")) +
         " as the test risk does? Agreement is the share of grid points "
         "where the sign of the difference matches.</p>\n"
         "<table>\n<tr><th>estimator</th><th>grid points</th>"
         "<th>agreement</th><th>same overall order</th></tr>\n" +
         rows + "</table>\n";
}

void theory_section(const Study& study, PageWriter& page) {
  page.heading(2, "theories", "Comparison of theories");
  const std::vector<std::string> names = compared_estimators(study);
  if (names.empty()) {
    page.missing("theory-table",
                 "The comparison table needs relative_error_vs_test in "
                 "summary.json, written by rmtlens sweep.");
    return;
  }
  const bool intervals = any_intervals(study);
  page.paragraph(
      "Relative error |estimate − test| / test over the whole (N, λ) grid "
      "of each representation: median, 90th percentile and maximum. "
      "Bold marks the smallest median per representation. An estimator "
      "worth trusting has small numbers in all three columns; errors "
      "above 1000% are shown as multiples (185× = 18 500%)." +
      std::string(intervals
                      ? " 'In interval' is the share of grid points where "
                        "the estimate lies inside the test risk's "
                        "bootstrap interval: there it is as good as the "
                        "test set can tell."
                      : ""));
  std::string html = "<table>\n<tr><th rowspan=\"2\">estimator</th>";
  for (const Representation& r : study.representations) {
    html += fmt::format(
        "<th colspan=\"{}\">{}</th>", intervals ? 4 : 3, html_escape(r.label));
  }
  html += "</tr>\n<tr>";
  for (size_t i = 0; i < study.representations.size(); ++i) {
    html += "<th>median</th><th>90th pct</th><th>max</th>";
    if (intervals) html += "<th>in interval</th>";
  }
  html += "</tr>\n";
  for (const std::string& name : names) {
    html += theory_row(study, name, intervals);
  }
  page.raw(html + "</table>\n");
  for (const Representation& r : study.representations) {
    page.raw(ordering_table(r));
  }
}

std::string fit_exponent(const nlohmann::json& fit, const std::string& file) {
  return exponent(json_number(fit, "exponent", file));
}

std::string fit_range(const nlohmann::json& fit, const std::string& file) {
  const double first = json_number(fit, "first", file);
  const double last = json_number(fit, "last", file);
  if (!(first > 0.0 && last > 0.0)) return "–";
  return number(first) + "–" + number(last);
}

// Per representation: the fitted exponents of its spectrum.
std::string spectral_fit_table(const Study& study) {
  std::string rows;
  for (const Representation& r : study.representations) {
    const nlohmann::json& k = r.spectrum_fits;
    if (!k.is_object()) continue;
    const std::string file = r.dir + " spectrum summary";
    const nlohmann::json& decay = json_member(k, "eigen_decay");
    const nlohmann::json& tail = json_member(k, "tail_energy");
    rows += "<tr>" + cell(r.label) + cell(fit_exponent(decay, file)) +
            cell(fit_range(decay, file)) +
            cell(number(json_number(decay, "r_squared", file))) +
            cell(fit_exponent(tail, file)) + cell(fit_range(tail, file)) +
            cell(number(json_number(tail, "r_squared", file))) +
            cell(number(json_number(k, "alignment_top10", file))) +
            cell(number(json_number(k, "effective_rank", file))) + "</tr>\n";
  }
  if (rows.empty()) return "";
  return "<table>\n<tr><th>representation</th><th>decay α</th>"
         "<th>fit range i</th><th>R²</th><th>tail γ</th>"
         "<th>fit range k</th><th>R²</th><th>A(10)</th>"
         "<th>effective rank</th></tr>\n" +
         rows + "</table>\n";
}

std::string scaling_exponent(const Representation& r, const char* key) {
  return exponent(json_number(json_member(r.scaling, key), "exponent", r.dir));
}

// Per representation: measured against predicted learning-curve
// exponents, and how well the extrapolation from n0 did.
std::string exponent_table(const Study& study) {
  std::string rows;
  for (const Representation& r : study.representations) {
    if (!r.scaling.is_object()) continue;
    const nlohmann::json& e = json_member(r.scaling, "extrapolation");
    const nlohmann::json& error = json_member(e, "relative_error_vs_test");
    rows +=
        "<tr>" + cell(r.label) +
        cell(number(json_number(r.scaling, "fixed_ridge", r.dir))) +
        cell(scaling_exponent(r, "measured_exponent_fixed_ridge")) +
        cell(scaling_exponent(r, "de_population_exponent_fixed_ridge")) +
        cell(scaling_exponent(r, "power_law_exponent_fixed_ridge")) +
        cell(scaling_exponent(r, "measured_exponent_gcv_ridge")) +
        cell(scaling_exponent(r, "power_law_exponent_best_ridge")) +
        cell(exponent(json_number(r.scaling, "closed_form_exponent", r.dir))) +
        cell(number(json_number(e, "n0", r.dir))) +
        cell(percent(json_number(error, "median", r.dir))) + "</tr>\n";
  }
  if (rows.empty()) return "";
  return "<table>\n<tr><th rowspan=\"2\">representation</th>"
         "<th colspan=\"4\">fixed ridge</th><th colspan=\"2\">chosen "
         "ridge</th><th rowspan=\"2\">min(γ, 2α)</th>"
         "<th colspan=\"2\">extrapolation</th></tr>\n"
         "<tr><th>λ0</th><th>measured</th><th>det. equivalent</th>"
         "<th>power laws</th><th>measured (GCV)</th><th>power laws "
         "(best)</th><th>from n0</th><th>median error</th></tr>\n" +
         rows + "</table>\n";
}

void spectral_sections(const Study& study, PageWriter& page) {
  page.heading(2, "spectra", "Eigenvalue spectra");
  page.figure(spectra_figure(study));
  page.raw(spectral_fit_table(study));

  page.heading(2, "alignment", "Label alignment");
  page.figure(alignment_figure(study));

  page.heading(2, "learning", "Learning curves");
  page.figure(learning_curve_figure(study));
  const std::string exponents = exponent_table(study);
  if (exponents.empty()) {
    page.missing("exponents",
                 "Predicted exponents and the extrapolation need "
                 "learning_curve.csv and the scaling summary, written by "
                 "rmtlens scaling.");
  } else {
    page.paragraph(
        "Learning-curve exponents (risk ∝ N^-exponent), fitted on log "
        "risk against log N. Predicted columns come from the spectrum "
        "alone; close agreement with the measured ones means the "
        "spectrum explains the scaling.");
    page.raw(exponents);
  }
}

// Per representation: how far the empirical effective ridge is from the
// population's over the grid.
std::string local_law_table(const Study& study) {
  std::string rows;
  for (const Representation& r : study.representations) {
    const nlohmann::json& gap =
        json_member(json_member(r.summary, "local_law"), "kappa_relative_gap");
    if (!gap.is_object()) continue;
    const std::string file = r.dir + "/summary.json";
    rows += "<tr>" + cell(r.label) +
            cell(number(json_number(gap, "rows", file))) +
            cell(percent(json_number(gap, "median", file))) +
            cell(percent(json_number(gap, "p90", file))) +
            cell(percent(json_number(gap, "max", file))) + "</tr>\n";
  }
  if (rows.empty()) return "";
  return "<p>Relative gap |κ empirical − κ population| / κ population "
         "over the (N, λ) grid:</p>\n<table>\n<tr><th>representation</th>"
         "<th>grid points</th><th>median</th><th>90th pct</th><th>max</th>"
         "</tr>\n" +
         rows + "</table>\n";
}

std::string page_head(const Study& study) {
  std::string html = "<header>\n<h1>" + html_escape(study.title) + "</h1>\n";
  html +=
      "<p class=\"subtitle\">Kernel ridge regression risk over training "
      "sizes and ridges: GCV, exact leave-one-out and random-matrix "
      "theories against the measured test risk. Written by rmtlens " +
      html_escape(RMTLENS_VERSION) + " from <code>" + html_escape(study.dir) +
      "</code>.</p>\n</header>\n";
  html +=
      "<nav><ol><li><a href=\"#overview\">Overview</a></li>"
      "<li><a href=\"#risk\">Predicted against measured risk</a></li>"
      "<li><a href=\"#spectra\">Eigenvalue spectra</a></li>"
      "<li><a href=\"#alignment\">Label alignment</a></li>"
      "<li><a href=\"#learning\">Learning curves</a></li>"
      "<li><a href=\"#theories\">Comparison of theories</a></li>"
      "<li><a href=\"#local-law\">Local-law diagnostic</a></li></ol>"
      "</nav>\n";
  return html;
}

std::string footer(const Study& study) {
  std::string build;
  for (const Representation& r : study.representations) {
    if (r.summary.is_object() && r.summary.contains("build") &&
        r.summary["build"].is_object()) {
      for (const auto& item : r.summary["build"].items()) {
        build += (build.empty() ? "" : "; ") + item.key() + " " +
                 json_text(item.value());
      }
      break;
    }
  }
  return "<footer>Risk is the mean squared error summed over the outputs "
         "(centred one-hot targets for classes). Ridges λ enter as "
         "K + Nλ I. Built with: " +
         html_escape(build.empty() ? "–" : build) + "</footer>\n";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

ReportPage report_page(const Study& study, const Gnuplot& gnuplot) {
  PageWriter page(gnuplot);
  page.heading(2, "overview", "Overview");
  page.raw(overview_table(study));
  page.raw(notes_list(study));

  risk_section(study, page);
  spectral_sections(study, page);
  theory_section(study, page);

  page.heading(2, "local-law", "Local-law diagnostic");
  page.figure(local_law_figure(study));
  page.raw(local_law_table(study));

  return page.finish(study.title, page_head(study), footer(study));
}

}  // namespace rmtlens::cli
