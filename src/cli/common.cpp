#include "common.hpp"

#include <cblas.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "rmtlens/atomic_file.hpp"
#include "rmtlens/types.hpp"
#include "uncertainty_cli.hpp"

extern "C" char* openblas_get_config();

namespace rmtlens::cli {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

double parse_number(const std::string& text, const std::string& flag) {
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw InputError(flag + ": '" + text + "' is not a number");
}

// "log:MIN:MAX:COUNT": COUNT points evenly spaced in log between MIN and
// MAX inclusive.
std::vector<double> parse_log_spec(const std::string& item,
                                   const std::string& flag) {
  const std::vector<std::string> parts = split(item, ':');
  if (parts.size() != 4) {
    throw InputError(flag + ": '" + item + "' must read log:MIN:MAX:COUNT");
  }
  const double lo = parse_number(parts[1], flag);
  const double hi = parse_number(parts[2], flag);
  const double count = parse_number(parts[3], flag);
  if (!(lo > 0.0) || !(hi >= lo) || count < 1 || count != std::floor(count)) {
    throw InputError(flag + ": '" + item +
                     "' needs 0 < MIN <= MAX and a "
                     "whole COUNT >= 1");
  }
  std::vector<double> values;
  const int k = static_cast<int>(count);
  for (int i = 0; i < k; ++i) {
    const double t = k == 1 ? 0.0 : static_cast<double>(i) / (k - 1);
    const double exponent =
        std::log10(lo) + t * (std::log10(hi) - std::log10(lo));
    values.push_back(std::pow(10.0, exponent));
  }
  values.front() = lo;
  values.back() = hi;
  return values;
}

std::vector<double> parse_grid(const std::string& text,
                               const std::string& flag) {
  std::vector<double> values;
  for (const std::string& item : split(text, ',')) {
    if (item.rfind("log:", 0) == 0) {
      const std::vector<double> spec = parse_log_spec(item, flag);
      values.insert(values.end(), spec.begin(), spec.end());
    } else if (!item.empty()) {
      values.push_back(parse_number(item, flag));
    }
  }
  if (values.empty()) throw InputError(flag + ": the grid is empty");
  return values;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.17g}", v);
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json error_json(const ErrorSummary& s) {
  return {{"rows", s.count},
          {"unresolved_rows", s.unresolved},
          {"inside_test_interval", s.inside},
          {"median", number_or_null(s.median)},
          {"p90", number_or_null(s.p90)},
          {"max", number_or_null(s.max)}};
}

bool any_finite(const SweepResult& r, double SweepRow::*field) {
  for (const SweepRow& row : r.rows)
    if (std::isfinite(row.*field)) return true;
  return false;
}

struct Column {
  const char* name;
  double SweepRow::*field;
  bool always;
};

// The sweep.csv columns in order; optional ones appear when computed.
const std::vector<Column>& csv_columns() {
  static const std::vector<Column> columns = {
      {"train_mse", &SweepRow::train_mse, true},
      {"gcv", &SweepRow::gcv, true},
      {"loo", &SweepRow::loo, false},
      {"test_mse", &SweepRow::test_mse, true},
      {"test_mse_se", &SweepRow::test_mse_se, true},
      {"test_mse_lo", &SweepRow::test_mse_lo, false},
      {"test_mse_hi", &SweepRow::test_mse_hi, false},
      {"test_error", &SweepRow::test_error, true},
      {"test_error_se", &SweepRow::test_error_se, true},
      {"test_error_lo", &SweepRow::test_error_lo, false},
      {"test_error_hi", &SweepRow::test_error_hi, false},
      {"df", &SweepRow::df, true},
      {"df_fraction", &SweepRow::df_fraction, true},
      {"leverage_cv", &SweepRow::leverage_cv, false},
      {"leverage_max", &SweepRow::leverage_max, false},
      {"slack_cv", &SweepRow::slack_cv, false},
      {"gcv_loo_ratio", &SweepRow::gcv_loo_ratio, false},
      {"gcv_trusted", &SweepRow::gcv_trusted, false},
      {"de_population", &SweepRow::de_population, false},
      {"de_plugin", &SweepRow::de_plugin, false},
      {"isotropic", &SweepRow::isotropic, false},
      {"classical_bound", &SweepRow::classical_bound, false},
      {"kappa_empirical", &SweepRow::kappa_empirical, false},
      {"kappa_population", &SweepRow::kappa_population, false},
  };
  return columns;
}

// Test classification error at GCV's ridge and the best over the grid.
struct ClassificationChoice {
  double at_gcv_ridge = kNaN;
  double best = kNaN;
};

ClassificationChoice classification_at(const SweepResult& r,
                                       const RidgeChoice& c) {
  ClassificationChoice e;
  for (const SweepRow& row : r.rows) {
    if (row.n != c.n || std::isnan(row.test_error)) continue;
    if (row.ridge == c.gcv_ridge) e.at_gcv_ridge = row.test_error;
    if (std::isnan(e.best) || row.test_error < e.best) e.best = row.test_error;
  }
  return e;
}

}  // namespace

std::vector<std::int64_t> parse_size_grid(const std::string& text) {
  std::vector<std::int64_t> sizes;
  for (double v : parse_grid(text, "--sizes")) {
    if (!(v >= 1.0)) {
      throw InputError("--sizes: " + format_value(v) + " is not >= 1");
    }
    sizes.push_back(static_cast<std::int64_t>(std::llround(v)));
  }
  return sizes;
}

std::vector<double> parse_ridge_grid(const std::string& text) {
  return parse_grid(text, "--ridges");
}

void configure_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("rmtlens");
  logger->set_pattern("%^[%l]%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity >= 2   ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
}

ProgressBar::ProgressBar(std::string task)
    : task_(std::move(task)), terminal_(isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() {
  if (terminal_ && !last_step_.empty()) std::fputc('\n', stderr);
}

void ProgressBar::update(const std::string& step, double fraction) {
  const auto now = std::chrono::steady_clock::now();
  if (!terminal_) {
    // Logs (CI, files) get each step once, not a redrawn bar.
    if (step != last_step_) {
      std::fprintf(stderr, "%s: %s\n", task_.c_str(), step.c_str());
    }
    last_step_ = step;
    return;
  }
  const bool changed = step != last_step_;
  if (!changed && now - last_draw_ < std::chrono::milliseconds(200)) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  std::fprintf(stderr,
               "\r%s [%s%s] %3d%% %-40s",
               task_.c_str(),
               std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(),
               static_cast<int>(fraction * 100),
               step.c_str());
  std::fflush(stderr);
  last_step_ = step;
  last_draw_ = now;
}

Progress ProgressBar::callback() {
  return [this](const std::string& step, double fraction) {
    update(step, fraction);
  };
}

nlohmann::json build_info() {
  return {{"rmtlens", RMTLENS_VERSION},
          {"eigen",
           fmt::format("{}.{}.{}",
                       EIGEN_WORLD_VERSION,
                       EIGEN_MAJOR_VERSION,
                       EIGEN_MINOR_VERSION)},
          {"openblas", openblas_get_config()},
          {"openblas_threads", openblas_get_num_threads()},
          {"compiler", __VERSION__}};
}

void write_sweep_csv(const std::string& path, const SweepResult& result) {
  std::vector<Column> columns;
  for (const Column& c : csv_columns()) {
    if (c.always || any_finite(result, c.field)) columns.push_back(c);
  }
  write_atomically(path, [&](std::ostream& out) {
    out << "n,ridge";
    for (const Column& c : columns) out << ',' << c.name;
    out << '\n';
    for (const SweepRow& row : result.rows) {
      out << row.n << ',' << format_value(row.ridge);
      for (const Column& c : columns) out << ',' << format_value(row.*c.field);
      out << '\n';
    }
  });
}

nlohmann::json sweep_summary(const SweepResult& result) {
  nlohmann::json sizes = nlohmann::json::array();
  const std::vector<RidgeChoice> choices = choose_ridges(result);
  for (size_t k = 0; k < result.sizes.size(); ++k) {
    const SizeResult& s = result.sizes[k];
    const RidgeChoice& c = choices[k];
    const ClassificationChoice e = classification_at(result, c);
    sizes.push_back(
        {{"n", s.n},
         {"largest_eigenvalue", s.eigenvalues.size() ? s.eigenvalues[0] : 0.0},
         {"most_negative_eigenvalue", s.most_negative_eigenvalue},
         {"gcv_ridge", number_or_null(c.gcv_ridge)},
         {"test_mse_at_gcv_ridge", number_or_null(c.test_at_gcv_ridge)},
         {"best_ridge", number_or_null(c.best_ridge)},
         {"best_test_mse", number_or_null(c.best_test)},
         {"gcv_ridge_at_grid_edge", c.at_grid_edge},
         {"test_error_at_gcv_ridge", number_or_null(e.at_gcv_ridge)},
         {"best_test_error", number_or_null(e.best)},
         {"decompose_seconds", s.decompose_seconds},
         {"evaluate_seconds", s.evaluate_seconds}});
  }
  nlohmann::json estimators = {
      {"gcv",
       error_json(summarize_relative_error(
           result, [](const SweepRow& r) { return r.gcv; }))}};
  if (any_finite(result, &SweepRow::loo)) {
    estimators["loo"] = error_json(summarize_relative_error(
        result, [](const SweepRow& r) { return r.loo; }));
  }
  return {{"route", result.route},
          {"pool_size", result.pool_size},
          {"test_size", result.test_size},
          {"outputs", result.outputs},
          {"classification", result.classification},
          {"sizes", sizes},
          {"relative_error_vs_test", estimators},
          {"uncertainty", uncertainty_summary(result)},
          {"notes", result.notes},
          {"sweep_seconds", result.seconds}};
}

void write_json(const std::string& path, const nlohmann::json& value) {
  write_atomically(path,
                   [&](std::ostream& out) { out << value.dump(2) << '\n'; });
}

void print_sweep_table(const std::string& title, const SweepResult& result) {
  const std::vector<RidgeChoice> choices = choose_ridges(result);
  const bool loo = any_finite(result, &SweepRow::loo);
  std::printf("%s\n", title.c_str());
  std::printf("%8s %10s %12s %12s %12s %12s %10s\n",
              "N",
              "gcv ridge",
              "test@gcv",
              "best test",
              "med |gcv|",
              loo ? "med |loo|" : "",
              result.classification ? "err@gcv" : "");
  for (const RidgeChoice& c : choices) {
    SweepResult one;
    double error_at_gcv = kNaN;
    for (const SweepRow& row : result.rows) {
      if (row.n != c.n) continue;
      one.rows.push_back(row);
      if (row.ridge == c.gcv_ridge) error_at_gcv = row.test_error;
    }
    const auto gcv =
        summarize_relative_error(one, [](const SweepRow& r) { return r.gcv; });
    const auto l =
        summarize_relative_error(one, [](const SweepRow& r) { return r.loo; });
    std::printf("%8lld %10.3g %12.5g %12.5g %11.1f%% ",
                static_cast<long long>(c.n),
                c.gcv_ridge,
                c.test_at_gcv_ridge,
                c.best_test,
                100 * gcv.median);
    if (loo) {
      std::printf("%11.1f%% ", 100 * l.median);
    } else {
      std::printf("%12s ", "");
    }
    if (result.classification) std::printf("%9.2f%%", 100 * error_at_gcv);
    std::printf("\n");
  }
  std::fflush(stdout);
}

}  // namespace rmtlens::cli
