#include "theory_cli.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common.hpp"
#include "report_data.hpp"
#include "uncertainty_cli.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/validate.hpp"

namespace rmtlens::cli {
namespace {

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json error_entry(const ErrorSummary& s) {
  return {{"rows", s.count},
          {"median", number_or_null(s.median)},
          {"p90", number_or_null(s.p90)},
          {"max", number_or_null(s.max)}};
}

// R^2 = max k(x, x) over the pool and max |y|, for the classical bound.
TheoryOptions bound_options(const Problem& problem) {
  TheoryOptions o;
  if (problem.primal) {
    const double p = static_cast<double>(problem.features.cols());
    o.bound.max_kernel_diagonal =
        problem.features.rowwise().squaredNorm().maxCoeff() / p;
  } else {
    o.bound.max_kernel_diagonal =
        std::max(problem.pool_kernel.diagonal().maxCoeff(), 0.0);
  }
  o.bound.max_abs_target = problem.train.y.cwiseAbs().maxCoeff();
  o.bound.outputs = problem.train.outputs();
  return o;
}

}  // namespace

Targets load_population_targets(const TheoryFlags& f,
                                const InputFlags& inputs,
                                const Targets& train,
                                std::int64_t rows) {
  if (f.population_labels.empty()) {
    throw InputError("--population-kernel needs --population-labels");
  }
  // Classes come from the population's labels; they must be the pool's.
  Targets population, unused;
  load_targets(f.population_labels, inputs.labels, &population, &unused);
  if (population.size() != rows || population.outputs() != train.outputs() ||
      population.class_values != train.class_values) {
    throw InputError(f.population_labels + ": " +
                     std::to_string(population.size()) + " rows and " +
                     std::to_string(population.outputs()) + " outputs; need " +
                     std::to_string(rows) +
                     " rows and the outputs (classes) of --labels");
  }
  return population;
}

namespace {

// A separate population kernel and its labels, checked like the pool's.
PopulationSpectrum load_population_kernel(const TheoryFlags& f,
                                          const InputFlags& inputs,
                                          const Problem& problem) {
  Matrix kernel = read_npy_matrix(f.population_kernel);
  require_finite(kernel, f.population_kernel);
  if (kernel.rows() != kernel.cols()) {
    throw InputError(f.population_kernel + ": shape " +
                     std::to_string(kernel.rows()) + " x " +
                     std::to_string(kernel.cols()) + " (must be square)");
  }
  const double asymmetry = relative_asymmetry(kernel);
  if (asymmetry > kAsymmetryTolerance) {
    throw InputError(f.population_kernel + ": relative asymmetry " +
                     fmt::format("{:.3g}", asymmetry) + " exceeds " +
                     fmt::format("{:.0e}", kAsymmetryTolerance));
  }
  const Targets population =
      load_population_targets(f, inputs, problem.train, kernel.rows());
  return population_from_kernel(std::move(kernel), population.y);
}

std::vector<Index> leading_rows(const SweepOptions& options,
                                std::int64_t pool,
                                std::int64_t count) {
  std::vector<std::int64_t> order(static_cast<size_t>(pool));
  if (options.shuffle) {
    order = seeded_permutation(pool, options.seed);
  } else {
    std::iota(order.begin(), order.end(), 0);
  }
  return {order.begin(), order.begin() + count};
}

// The first P points of the sweep's permutation, decomposed now.
PopulationSpectrum population_block(const Problem& problem,
                                    const SweepOptions& options,
                                    std::int64_t size) {
  const std::vector<Index> rows =
      leading_rows(options, problem.pool_size(), size);
  const Matrix y = problem.train.y(rows, Eigen::all);
  if (problem.primal) {
    return population_from_features(problem.features(rows, Eigen::all), y);
  }
  require_memory(8 * size * size,
                 "the population spectrum (--population-size " +
                     std::to_string(size) + ")");
  return population_from_kernel(problem.pool_kernel(rows, rows), y);
}

nlohmann::json describe_population(const PopulationSpectrum& p) {
  const IsotropicModel iso = isotropic_model(p);
  return {{"entries", p.entries()},
          {"rank", p.rank()},
          {"trace", p.trace()},
          {"effective_rank", iso.effective_rank},
          {"signal_energy", p.signal_energy()},
          {"residual_energy", p.residual}};
}

// Rows (n, ridge, test_mse and the estimator columns) of a sweep.csv.
SweepResult read_sweep_rows(const std::string& path) {
  const CsvTable t = read_csv_table(path, {"n", "ridge", "test_mse"});
  SweepResult r;
  r.rows.resize(t.rows());
  const auto fill = [&](const char* name, double SweepRow::*field) {
    if (!t.has(name)) return;
    const std::vector<double>& c = t.column(name);
    for (size_t i = 0; i < c.size(); ++i) r.rows[i].*field = c[i];
  };
  const std::vector<double>& n = t.column("n");
  for (size_t i = 0; i < n.size(); ++i) {
    r.rows[i].n = static_cast<std::int64_t>(std::llround(n[i]));
  }
  fill("ridge", &SweepRow::ridge);
  fill("test_mse", &SweepRow::test_mse);
  fill("gcv", &SweepRow::gcv);
  fill("loo", &SweepRow::loo);
  fill("de_population", &SweepRow::de_population);
  fill("de_plugin", &SweepRow::de_plugin);
  fill("isotropic", &SweepRow::isotropic);
  fill("classical_bound", &SweepRow::classical_bound);
  return r;
}

nlohmann::json ordering_table(const SweepResult& mine,
                              const std::string& other_csv) {
  const SweepResult other = read_sweep_rows(other_csv);
  nlohmann::json table = {{"other", other_csv}};
  for (const auto& [name, estimate] : theory_columns()) {
    const OrderingCheck c = check_ordering(mine, other, estimate);
    if (c.points == 0) continue;
    table[name] = {{"points", c.points},
                   {"agreement", number_or_null(c.agreement)},
                   {"orders_correctly", c.orders_correctly}};
  }
  return table;
}

}  // namespace

void add_theory_flags(CLI::App* c, TheoryFlags* f) {
  c->add_option("--population-size",
                f->population_size,
                "P: points of the pool (first P of the permutation) whose "
                "spectrum stands for the population; 0 = the whole pool")
      ->capture_default_str();
  c->add_option("--population-kernel",
                f->population_kernel,
                "a separate P x P kernel .npy for the population spectrum");
  c->add_option("--population-labels",
                f->population_labels,
                "labels of the --population-kernel points");
  c->add_option("--compare-to",
                f->compare_to,
                "another representation's sweep.csv: report whether each "
                "theory orders the two as the test risk does");
  c->add_flag("--no-theory",
              f->no_theory,
              "skip the deterministic-equivalent and theory columns");
}

void choose_pool_population(const TheoryFlags& f,
                            std::int64_t pool,
                            const SweepOptions& options,
                            PopulationPlan& plan) {
  plan.size = f.population_size == 0 ? pool : f.population_size;
  if (plan.size < 1 || plan.size > pool) {
    throw InputError("--population-size = " + std::to_string(plan.size) +
                     " (must be in [1, " + std::to_string(pool) + "])");
  }
  plan.description = {{"source", "pool"}, {"size", plan.size}};
  plan.reuse_size =
      std::find(options.sizes.begin(), options.sizes.end(), plan.size) !=
      options.sizes.end();
}

PopulationPlan plan_population(const TheoryFlags& f,
                               const InputFlags& inputs,
                               const Problem& problem,
                               const SweepOptions& options) {
  PopulationPlan plan;
  plan.enabled = !f.no_theory;
  if (!plan.enabled) return plan;
  plan.options = bound_options(problem);
  if (!f.population_kernel.empty()) {
    plan.spectrum = load_population_kernel(f, inputs, problem);
    plan.size = plan.spectrum.sample_size;
    plan.description = {{"source", f.population_kernel},
                        {"labels", f.population_labels},
                        {"size", plan.size}};
    return plan;
  }

  choose_pool_population(f, problem.pool_size(), options, plan);
  if (!plan.reuse_size) {
    spdlog::info("population spectrum: decomposing {} points", plan.size);
    plan.spectrum = population_block(problem, options, plan.size);
  }
  return plan;
}

void apply_theory(SweepResult& result, PopulationPlan& plan) {
  if (!plan.enabled) return;
  if (plan.reuse_size) {
    for (const SizeResult& s : result.sizes) {
      if (s.n == plan.size) plan.spectrum = plugin_spectrum(s);
    }
  }
  add_theory_columns(result, plan.spectrum, plan.options);
  plan.description.update(describe_population(plan.spectrum));
}

void add_theory_summary(nlohmann::json& summary,
                        const SweepResult& result,
                        const PopulationPlan& plan,
                        const TheoryFlags& flags) {
  if (!plan.enabled) return;
  nlohmann::json& table = summary["relative_error_vs_test"];
  for (const auto& [name, estimate] : theory_columns()) {
    if (name == "gcv" || name == "loo") continue;
    table[name] = error_entry(summarize_relative_error(result, estimate));
  }
  summary["local_law"] = {
      {"kappa_relative_gap", error_entry(summarize_kappa_gap(result))},
      {"definition",
       "|kappa_empirical - kappa_population| / kappa_population, "
       "kappa_empirical = 1 / ((1/N) tr (K/N + lambda I)^-1)"}};
  summary["population"] = plan.description;
  summary["classical_bound_constants"] = {
      {"max_kernel_diagonal", plan.options.bound.max_kernel_diagonal},
      {"max_abs_target", plan.options.bound.max_abs_target},
      {"outputs", plan.options.bound.outputs},
      {"delta", plan.options.bound.delta}};
  if (!flags.compare_to.empty()) {
    summary["ordering"] = ordering_table(result, flags.compare_to);
  }
}

void write_sweep_outputs(const SweepResult& result,
                         const PopulationPlan& plan,
                         const nlohmann::json& inputs,
                         const TheoryFlags& theory,
                         const SweepOptions& options,
                         const std::string& out,
                         const nlohmann::json& distributed) {
  nlohmann::json summary = sweep_summary(result);
  summary["inputs"] = inputs;
  summary["options"] = {{"sizes", options.sizes},
                        {"ridges", options.ridges},
                        {"loo", options.loo},
                        {"shuffle", options.shuffle},
                        {"seed", options.seed}};
  summary["build"] = build_info();
  if (!distributed.is_null()) summary["distributed"] = distributed;
  add_theory_summary(summary, result, plan, theory);
  write_sweep_csv(out + "/sweep.csv", result);
  write_json(out + "/summary.json", summary);

  print_sweep_table("sweep: GCV" + std::string(options.loo ? " and LOO" : "") +
                        " against the test risk (relative errors are "
                        "medians over ridges)",
                    result);
  print_uncertainty_table(result);
  std::printf(
      "wrote %s/sweep.csv and %s/summary.json\n", out.c_str(), out.c_str());
}

nlohmann::json fit_json(const PowerLawFit& fit) {
  return {{"ok", fit.ok},
          {"exponent", number_or_null(fit.exponent)},
          {"log_scale", number_or_null(fit.log_scale)},
          {"r_squared", number_or_null(fit.r_squared)},
          {"first", fit.range.first},
          {"last", fit.range.last},
          {"points", fit.points},
          {"message", fit.message}};
}

void parse_fit_range(const std::string& text,
                     const std::string& flag,
                     PowerLawOptions* options) {
  if (text.empty()) return;
  const size_t colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    size_t used_first = 0, used_last = 0;
    const std::string first = text.substr(0, colon);
    const std::string last = text.substr(colon + 1);
    options->first_index = std::stoll(first, &used_first);
    options->last_index = std::stoll(last, &used_last);
    if (used_first != first.size() || used_last != last.size()) {
      throw std::invalid_argument(text);
    }
  } catch (const std::exception&) {
    throw InputError(flag + ": '" + text + "' must read FIRST:LAST");
  }
  if (options->first_index < 1 || options->last_index <= options->first_index) {
    throw InputError(flag + ": '" + text + "' needs 1 <= FIRST < LAST");
  }
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.17g}", value);
}

}  // namespace rmtlens::cli
