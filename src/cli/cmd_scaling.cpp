// rmtlens scaling: the learning curve from the sweep, measured exponents
// at a fixed ridge and at GCV's ridge, exponents predicted from fitted
// power laws, and extrapolation from the spectrum of n0 samples.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "inputs.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/power_law.hpp"
#include "rmtlens/scaling.hpp"
#include "rmtlens/sweep.hpp"
#include "theory_cli.hpp"

namespace rmtlens::cli {
namespace {

struct ScalingFlags {
  InputFlags inputs;
  TheoryFlags theory;
  std::string sizes;
  std::string ridges = "log:1e-6:1:13";
  double fixed_ridge = -1.0;  // < 0: the smallest positive ridge
  std::int64_t n0 = 0;        // 0: the smallest size
  std::string decay_range;
  std::string tail_range;
  std::uint64_t seed = 0;
  bool no_shuffle = false;
  std::string out;
  int verbosity = 0;
};

// The measured and predicted curves, one entry per size.
struct Curves {
  std::vector<double> n;
  std::vector<double> test_fixed, gcv_fixed, de_fixed;
  std::vector<double> gcv_ridge, test_at_gcv_ridge, de_best;
};

double row_value(const SweepResult& r,
                 std::int64_t n,
                 double ridge,
                 double SweepRow::*field) {
  for (const SweepRow& row : r.rows) {
    if (row.n == n && row.ridge == ridge) return row.*field;
  }
  return kNaN;
}

double best_over_ridges(const SweepResult& r,
                        std::int64_t n,
                        double SweepRow::*field) {
  double best = kNaN;
  for (const SweepRow& row : r.rows) {
    const double v = row.*field;
    if (row.n == n && std::isfinite(v) && !(v >= best)) best = v;
  }
  return best;
}

// The smallest positive ridge of the grid (0 if there is none): at 0 the
// curve of a rank-deficient kernel has an interpolation peak at N = rank.
double default_fixed_ridge(const std::vector<double>& ridges) {
  double best = 0.0;
  for (double r : ridges) {
    if (r > 0.0 && (best == 0.0 || r < best)) best = r;
  }
  return best;
}

Curves measured_curves(const SweepResult& r, double fixed) {
  Curves c;
  for (const RidgeChoice& choice : choose_ridges(r)) {
    c.n.push_back(static_cast<double>(choice.n));
    c.test_fixed.push_back(row_value(r, choice.n, fixed, &SweepRow::test_mse));
    c.gcv_fixed.push_back(row_value(r, choice.n, fixed, &SweepRow::gcv));
    c.de_fixed.push_back(
        row_value(r, choice.n, fixed, &SweepRow::de_population));
    c.gcv_ridge.push_back(choice.gcv_ridge);
    c.test_at_gcv_ridge.push_back(choice.test_at_gcv_ridge);
    c.de_best.push_back(
        best_over_ridges(r, choice.n, &SweepRow::de_population));
  }
  return c;
}

// The power-law population that the fits on `population` describe.
PopulationSpectrum fitted_model(const PopulationSpectrum& population,
                                const PowerLawFit& decay,
                                const PowerLawFit& tail) {
  PowerLawModel m;
  m.alpha = decay.exponent;
  m.sigma_scale = std::exp(decay.log_scale);
  m.gamma = tail.exponent;
  m.signal = population.signal_energy();
  m.noise = population.residual;
  return power_law_population(m);
}

std::vector<double> extrapolation_grid(const Curves& c,
                                       double n0,
                                       double factor) {
  std::vector<double> sizes;
  for (double f = 1.0; f <= factor; f *= 2.0) sizes.push_back(f * n0);
  for (double n : c.n) {
    if (n >= n0 && n <= factor * n0) sizes.push_back(n);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

void write_learning_curve(const std::string& path,
                          const Curves& c,
                          const PredictedCurve& model) {
  write_atomically(path, [&](std::ostream& out) {
    out << "n,test_fixed_ridge,gcv_fixed_ridge,gcv_ridge,test_at_gcv_ridge,"
           "de_population_fixed_ridge,de_population_best,"
           "power_law_fixed_ridge,power_law_best\n";
    for (size_t i = 0; i < c.n.size(); ++i) {
      const bool has_model = i < model.risk_fixed.size();
      out << csv_number(c.n[i]) << ',' << csv_number(c.test_fixed[i]) << ','
          << csv_number(c.gcv_fixed[i]) << ',' << csv_number(c.gcv_ridge[i])
          << ',' << csv_number(c.test_at_gcv_ridge[i]) << ','
          << csv_number(c.de_fixed[i]) << ',' << csv_number(c.de_best[i]) << ','
          << csv_number(has_model ? model.risk_fixed[i] : kNaN) << ','
          << csv_number(has_model ? model.risk_best[i] : kNaN) << '\n';
    }
  });
}

void write_extrapolation(const std::string& path, const Extrapolation& e) {
  write_atomically(path, [&](std::ostream& out) {
    out << "n,ridge,predicted,measured,relative_error\n";
    for (const ExtrapolationPoint& p : e.points) {
      out << csv_number(p.n) << ',' << csv_number(p.ridge) << ','
          << csv_number(p.predicted) << ',' << csv_number(p.measured) << ','
          << csv_number(p.relative_error) << '\n';
    }
  });
}

nlohmann::json error_json(const ErrorSummary& s) {
  const auto v = [](double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
  };
  return {{"rows", s.count},
          {"median", v(s.median)},
          {"p90", v(s.p90)},
          {"max", v(s.max)}};
}

nlohmann::json extrapolation_json(const Extrapolation& e) {
  return {{"n0", e.n0},
          {"ok", e.ok},
          {"eigen_decay", fit_json(e.decay)},
          {"tail_energy", fit_json(e.tail)},
          {"calibrated_noise", e.noise},
          {"calibration_ridge", e.calibration_ridge},
          {"calibration_gcv", e.calibration_gcv},
          {"relative_error_vs_test", error_json(e.error)},
          {"notes", e.notes}};
}

// Everything after the sweep: fits, predicted curves, extrapolation.
nlohmann::json scaling_analysis(const ScalingFlags& f,
                                const SweepResult& result,
                                const PopulationSpectrum& population,
                                const SweepOptions& options,
                                double fixed) {
  PowerLawOptions decay_options, tail_options;
  parse_fit_range(f.decay_range, "--decay-range", &decay_options);
  parse_fit_range(f.tail_range, "--tail-range", &tail_options);
  const Curves c = measured_curves(result, fixed);
  const PowerLawFit decay = fit_power_law(population.sigma, decay_options);
  const PowerLawFit tail = fit_power_law(
      label_alignment(population.theta_energy).tail, tail_options);

  PredictedCurve model;
  if (decay.ok && tail.ok && decay.exponent > 0 && tail.exponent > 0) {
    model = predict_learning_curve(
        fitted_model(population, decay, tail), c.n, options.ridges, fixed);
  }
  write_learning_curve(f.out + "/learning_curve.csv", c, model);

  // Extrapolation from the n0 block.
  const std::int64_t n0 = f.n0 == 0 ? options.sizes.front() : f.n0;
  const auto from = std::find_if(
      result.sizes.begin(), result.sizes.end(), [&](const SizeResult& s) {
        return s.n == n0;
      });
  if (from == result.sizes.end()) {
    throw InputError("--n0 = " + std::to_string(n0) +
                     " is not one of the sizes of --sizes");
  }
  ExtrapolationOptions eo;
  eo.decay = decay_options;
  eo.tail = tail_options;
  const Extrapolation e = extrapolate_learning_curve(
      *from,
      extrapolation_grid(c, static_cast<double>(n0), eo.max_factor),
      options.ridges,
      &result,
      eo);
  write_extrapolation(f.out + "/extrapolation.csv", e);

  return {{"fixed_ridge", fixed},
          {"measured_exponent_fixed_ridge",
           fit_json(fit_log_log(c.n, c.test_fixed))},
          {"measured_exponent_gcv_ridge",
           fit_json(fit_log_log(c.n, c.test_at_gcv_ridge))},
          {"gcv_exponent_fixed_ridge", fit_json(fit_log_log(c.n, c.gcv_fixed))},
          {"de_population_exponent_fixed_ridge",
           fit_json(fit_log_log(c.n, c.de_fixed))},
          {"de_population_exponent_best_ridge",
           fit_json(fit_log_log(c.n, c.de_best))},
          {"population_eigen_decay", fit_json(decay)},
          {"population_tail_energy", fit_json(tail)},
          {"power_law_exponent_fixed_ridge", fit_json(model.fixed_fit)},
          {"power_law_exponent_best_ridge", fit_json(model.best_fit)},
          {"closed_form_exponent",
           decay.ok && tail.ok ? nlohmann::json(closed_form_exponent(
                                     decay.exponent, tail.exponent))
                               : nlohmann::json(nullptr)},
          {"extrapolation", extrapolation_json(e)}};
}

void print_scaling(const nlohmann::json& s) {
  const auto exponent = [&](const char* key) {
    const nlohmann::json& v = s[key]["exponent"];
    return v.is_number() ? v.get<double>() : kNaN;
  };
  std::printf("scaling: learning-curve exponents (risk ~ N^-e)\n");
  std::printf("  measured, fixed ridge %-10g %8.3f\n",
              s["fixed_ridge"].get<double>(),
              exponent("measured_exponent_fixed_ridge"));
  std::printf("  measured, GCV's ridge            %8.3f\n",
              exponent("measured_exponent_gcv_ridge"));
  std::printf("  DE of the population, fixed      %8.3f\n",
              exponent("de_population_exponent_fixed_ridge"));
  std::printf("  DE of fitted power laws, fixed   %8.3f\n",
              exponent("power_law_exponent_fixed_ridge"));
  std::printf("  DE of fitted power laws, best    %8.3f\n",
              exponent("power_law_exponent_best_ridge"));
  const nlohmann::json& closed = s["closed_form_exponent"];
  std::printf("  min(gamma, 2 alpha)              %8.3f\n",
              closed.is_number() ? closed.get<double>() : kNaN);
  const nlohmann::json& err = s["extrapolation"]["relative_error_vs_test"];
  std::printf(
      "extrapolation from n0 = %lld: median relative error %s over "
      "%lld measured points\n",
      static_cast<long long>(s["extrapolation"]["n0"].get<std::int64_t>()),
      err["median"].is_number()
          ? std::to_string(err["median"].get<double>()).c_str()
          : "n/a",
      static_cast<long long>(err["rows"].get<std::int64_t>()));
}

void run_scaling(const ScalingFlags& f) {
  configure_logging(f.verbosity);
  SweepOptions options;
  options.sizes = parse_size_grid(f.sizes);
  options.ridges = parse_ridge_grid(f.ridges);
  options.seed = f.seed;
  options.shuffle = !f.no_shuffle;
  const std::int64_t largest =
      *std::max_element(options.sizes.begin(), options.sizes.end());
  ProgressBar bar("scaling");
  Problem problem = load_problem(f.inputs, largest, false, bar.callback());
  options.validate(problem.pool_size());
  if (options.sizes.size() < 2) {
    throw InputError("--sizes: a learning curve needs at least 2 sizes");
  }
  const double fixed =
      f.fixed_ridge < 0 ? default_fixed_ridge(options.ridges) : f.fixed_ridge;
  if (std::find(options.ridges.begin(), options.ridges.end(), fixed) ==
      options.ridges.end()) {
    throw InputError("--fixed-ridge = " + std::to_string(fixed) +
                     " is not one of the ridges of --ridges");
  }
  ensure_directory(f.out);

  // The sweep with its theory columns, then the scaling analysis.
  PopulationPlan plan = plan_population(f.theory, f.inputs, problem, options);
  if (!plan.enabled) throw InputError("scaling needs the theory layer");
  SweepResult result = problem.primal
                           ? sweep_linear_features(problem.features,
                                                   problem.test_features,
                                                   problem.train,
                                                   problem.test,
                                                   options,
                                                   bar.callback())
                           : sweep_kernel(std::move(problem.pool_kernel),
                                          problem.test_kernel,
                                          problem.train,
                                          problem.test,
                                          options,
                                          bar.callback());
  apply_theory(result, plan);
  for (const std::string& note : result.notes) spdlog::warn("{}", note);

  nlohmann::json summary = sweep_summary(result);
  summary["inputs"] = problem.description;
  add_theory_summary(summary, result, plan, f.theory);
  summary["scaling"] =
      scaling_analysis(f, result, plan.spectrum, options, fixed);
  summary["build"] = build_info();
  write_sweep_csv(f.out + "/sweep.csv", result);
  write_json(f.out + "/summary.json", summary);
  print_scaling(summary["scaling"]);
  std::printf(
      "wrote learning_curve.csv, extrapolation.csv, sweep.csv and "
      "summary.json under %s\n",
      f.out.c_str());
}

}  // namespace

void add_scaling_command(CLI::App& app) {
  auto f = std::make_shared<ScalingFlags>();
  CLI::App* c = app.add_subcommand(
      "scaling",
      "Learning curve, measured and predicted exponents, and extrapolation "
      "from n0 samples to 8 n0.");
  add_input_flags(c, &f->inputs);
  c->add_option("--sizes", f->sizes, "training sizes (at least 2)")->required();
  c->add_option("--ridges", f->ridges, "ridge grid")->capture_default_str();
  c->add_option(
      "--fixed-ridge",
      f->fixed_ridge,
      "the ridge of the fixed-ridge curve (default: the smallest positive "
      "one of --ridges)");
  c->add_option("--n0",
                f->n0,
                "extrapolate from this size (default: the "
                "smallest)");
  c->add_option("--decay-range", f->decay_range, "FIRST:LAST of the decay fit");
  c->add_option("--tail-range", f->tail_range, "FIRST:LAST of the tail fit");
  c->add_option("--seed", f->seed, "permutation seed")->capture_default_str();
  c->add_flag("--no-shuffle", f->no_shuffle, "keep the file order");
  c->add_option("--out", f->out, "output directory")->required();
  c->add_flag("-v,--verbose", f->verbosity, "more log lines (-vv: debug)");
  add_theory_flags(c, &f->theory);
  c->callback([f] { run_scaling(*f); });
}

}  // namespace rmtlens::cli
