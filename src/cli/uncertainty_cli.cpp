#include "uncertainty_cli.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "rmtlens/theory.hpp"

namespace rmtlens::cli {

namespace {

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json interval_json(const Interval& i) {
  return nlohmann::json::array({number_or_null(i.lo), number_or_null(i.hi)});
}

nlohmann::json method_json(const SweepResult& r) {
  const BootstrapOptions& b = r.bootstrap;
  return {{"interval",
           b.resamples > 0 ? "percentile bootstrap over test points"
                           : "normal: test -/+ z standard error"},
          {"level", b.level},
          {"resamples", b.resamples},
          {"seed", b.seed},
          {"test_points", r.test_size},
          {"test_mse_se", "sample sd of per-point squared errors / sqrt(M)"},
          {"test_error_se", "sqrt(p (1 - p) / (M - 1))"}};
}

// Per estimator column: how it compares with the test risk where the test
// risk is resolved.
nlohmann::json comparison_json(const SweepResult& r,
                               const ResolutionRule& rule) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, estimate] : theory_columns()) {
    const ErrorSummary s = summarize_relative_error(r, estimate, rule);
    if (s.count + s.unresolved == 0) continue;
    out[name] = {
        {"resolved_rows", s.count},
        {"unresolved_rows", s.unresolved},
        {"inside_test_interval", s.inside},
        {"inside_fraction",
         number_or_null(s.count > 0 ? static_cast<double>(s.inside) / s.count
                                    : kNaN)},
        {"relative_error",
         {{"median", number_or_null(s.median)},
          {"p90", number_or_null(s.p90)},
          {"max", number_or_null(s.max)}}}};
  }
  return out;
}

const SweepRow* row_at(const SweepResult& r, std::int64_t n, double ridge) {
  for (const SweepRow& row : r.rows) {
    if (row.n == n && row.ridge == ridge) return &row;
  }
  return nullptr;
}

// The test risk at GCV's ridge with its interval, and whether the gap to
// the best ridge's test risk exceeds their combined uncertainty.
nlohmann::json size_json(const SweepResult& r,
                         const RidgeChoice& c,
                         const ResolutionRule& rule) {
  const SweepRow* at = row_at(r, c.n, c.gcv_ridge);
  const SweepRow* best = row_at(r, c.n, c.best_ridge);
  nlohmann::json j = {{"n", c.n}, {"gcv_ridge", number_or_null(c.gcv_ridge)}};
  if (at == nullptr) return j;

  const double level = r.bootstrap.level;
  const Interval mse = test_mse_interval(*at, level);
  j["test_mse"] = number_or_null(at->test_mse);
  j["test_mse_se"] = number_or_null(at->test_mse_se);
  j["test_mse_interval"] = interval_json(mse);
  j["test_mse_resolved"] = rule.resolved(at->test_mse, mse);
  j["gcv_inside_interval"] = mse.contains(at->gcv);
  if (std::isfinite(at->loo)) j["loo_inside_interval"] = mse.contains(at->loo);
  if (std::isfinite(at->test_error)) {
    j["test_error"] = at->test_error;
    j["test_error_se"] = number_or_null(at->test_error_se);
    j["test_error_interval"] = interval_json(test_error_interval(*at, level));
  }
  if (best != nullptr) {
    const RiskDifference d = compare_risks(at->test_mse,
                                           at->test_mse_se,
                                           best->test_mse,
                                           best->test_mse_se,
                                           level);
    j["excess_over_best_test_mse"] = number_or_null(d.difference);
    j["excess_exceeds_uncertainty"] = d.resolved;
  }
  return j;
}

nlohmann::json flagged_row_json(const SweepRow& row) {
  return {{"n", row.n},
          {"ridge", row.ridge},
          {"df_fraction", number_or_null(row.df_fraction)},
          {"slack_cv", number_or_null(row.slack_cv)},
          {"leverage_cv", number_or_null(row.leverage_cv)},
          {"leverage_max", number_or_null(row.leverage_max)},
          {"gcv_loo_ratio", number_or_null(row.gcv_loo_ratio)},
          {"use", std::isfinite(row.loo) ? "loo" : "none"}};
}

nlohmann::json gcv_rule_json(const SweepResult& r) {
  std::int64_t assessed = 0;
  nlohmann::json flagged = nlohmann::json::array();
  for (const SweepRow& row : r.rows) {
    if (std::isnan(row.gcv_trusted)) continue;
    ++assessed;
    if (row.gcv_trusted == 0.0) flagged.push_back(flagged_row_json(row));
  }
  return {{"statement",
           fmt::format("GCV is not trusted at (N, lambda) where the spread "
                       "of the slacks 1 - h_n, sd / mean, exceeds {}; exact "
                       "LOO is the estimator to read there. Needs the "
                       "leverages, so only rows with --loo are assessed.",
                       r.gcv_rule.max_slack_cv)},
          {"max_slack_cv", r.gcv_rule.max_slack_cv},
          {"assessed_rows", assessed},
          {"flagged_rows", flagged.size()},
          {"flagged", flagged}};
}

double number_at(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : kNaN;
}

// Representation a against b on one quantity at GCV's ridge.
nlohmann::json difference_json(const nlohmann::json& a,
                               const nlohmann::json& b,
                               const std::string& quantity,
                               double level) {
  const std::string se = quantity + "_se";
  const RiskDifference d = compare_risks(number_at(a, quantity.c_str()),
                                         number_at(a, se.c_str()),
                                         number_at(b, quantity.c_str()),
                                         number_at(b, se.c_str()),
                                         level);
  return {{"difference", number_or_null(d.difference)},
          {"combined_se", number_or_null(d.combined_se)},
          {"exceeds_uncertainty", d.resolved}};
}

// The last entry of summary.uncertainty.sizes (the largest N).
const nlohmann::json* largest_size(const nlohmann::json& summary) {
  if (!summary.contains("uncertainty")) return nullptr;
  const nlohmann::json& sizes = summary["uncertainty"]["sizes"];
  return sizes.empty() ? nullptr : &sizes.back();
}

}  // namespace

nlohmann::json compare_representations(
    const std::vector<std::pair<std::string, nlohmann::json>>& summaries,
    double level) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < summaries.size(); ++i) {
    for (size_t k = i + 1; k < summaries.size(); ++k) {
      const nlohmann::json* a = largest_size(summaries[i].second);
      const nlohmann::json* b = largest_size(summaries[k].second);
      if (a == nullptr || b == nullptr) continue;
      out.push_back(
          {{"a", summaries[i].first},
           {"b", summaries[k].first},
           {"n_a", (*a)["n"]},
           {"n_b", (*b)["n"]},
           {"test_mse", difference_json(*a, *b, "test_mse", level)},
           {"test_error", difference_json(*a, *b, "test_error", level)}});
    }
  }
  return out;
}

void add_uncertainty_flags(CLI::App* c,
                           BootstrapOptions* bootstrap,
                           GcvTrustRule* gcv_rule) {
  c->add_option("--bootstrap",
                bootstrap->resamples,
                "resamples of the test points for the interval of each "
                "test risk (0: off, else >= 100)")
      ->capture_default_str();
  c->add_option("--bootstrap-seed", bootstrap->seed, "seed of the resampling")
      ->capture_default_str();
  c->add_option(
       "--confidence", bootstrap->level, "coverage of the test-risk intervals")
      ->capture_default_str();
  c->add_option("--gcv-max-slack-cv",
                gcv_rule->max_slack_cv,
                "GCV is flagged where sd/mean of the slacks 1 - h_n exceeds "
                "this (with --loo; see docs/uncertainty.md)")
      ->capture_default_str();
}

std::string resolution_statement(const ResolutionRule& rule) {
  return fmt::format(
      "a row's test risk is resolved when the half-width of its interval is "
      "at most {:g}% of it; relative errors are summarised over resolved "
      "rows only",
      100 * rule.max_relative_half_width);
}

nlohmann::json uncertainty_summary(const SweepResult& result,
                                   const ResolutionRule& rule) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const RidgeChoice& c : choose_ridges(result)) {
    sizes.push_back(size_json(result, c, rule));
  }
  return {{"method", method_json(result)},
          {"resolution_rule",
           {{"max_relative_half_width", rule.max_relative_half_width},
            {"statement", resolution_statement(rule)}}},
          {"comparison_with_test", comparison_json(result, rule)},
          {"sizes", sizes},
          {"gcv_rule", gcv_rule_json(result)}};
}

void print_uncertainty_table(const SweepResult& result,
                             const ResolutionRule& rule) {
  std::printf("%8s %10s %12s %25s %9s %9s %12s\n",
              "N",
              "gcv ridge",
              "test@gcv",
              "interval",
              "resolved",
              "gcv in",
              "gcv flagged");
  for (const RidgeChoice& c : choose_ridges(result)) {
    const SweepRow* at = row_at(result, c.n, c.gcv_ridge);
    if (at == nullptr) continue;
    const Interval i = test_mse_interval(*at, result.bootstrap.level);
    int flagged = 0;
    for (const SweepRow& row : result.rows) {
      flagged += row.n == c.n && row.gcv_trusted == 0.0;
    }
    std::printf("%8lld %10.3g %12.5g   [%10.5g, %10.5g] %9s %9s %12d\n",
                static_cast<long long>(c.n),
                c.gcv_ridge,
                at->test_mse,
                i.lo,
                i.hi,
                rule.resolved(at->test_mse, i) ? "yes" : "no",
                i.contains(at->gcv) ? "yes" : "no",
                flagged);
  }
  std::printf(
      "interval: %g%% %s; %s.\n",
      100 * result.bootstrap.level,
      result.bootstrap.resamples > 0 ? "percentile bootstrap" : "normal",
      resolution_statement(rule).c_str());
  std::fflush(stdout);
}

}  // namespace rmtlens::cli
