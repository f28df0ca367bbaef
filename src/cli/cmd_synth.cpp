// rmtlens synth: synthetic data with a known population, written as the
// same files as real data, and a check that GCV converges to the test risk.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/power_law.hpp"
#include "rmtlens/synthetic.hpp"
#include "rmtlens/theory.hpp"
#include "theory_cli.hpp"

namespace rmtlens::cli {
namespace {

struct SynthFlags {
  SyntheticOptions options;
  std::string distribution = "gaussian";
  std::string sizes;  // default: log:50:N:6
  std::string ridges = "log:1e-5:1e-1:9";
  bool no_kernel = false;
  std::string out;
  int verbosity = 0;
};

Targets regression_targets(const Matrix& y) {
  Targets t;
  t.y = y;
  return t;
}

void write_population(const std::string& path, const PopulationSpectrum& p) {
  write_atomically(path, [&](std::ostream& out) {
    out << "index,sigma,theta_energy\n";
    for (Index i = 0; i < p.entries(); ++i) {
      out << i + 1 << ',' << csv_number(p.sigma[i]) << ','
          << csv_number(p.theta_energy[i]) << '\n';
    }
  });
}

// The data files every other subcommand reads.
void write_data(const SynthFlags& f, const SyntheticData& d) {
  const std::string& dir = f.out;
  write_npy(dir + "/features.npy", d.features);
  write_npy(dir + "/test_features.npy", d.test_features);
  write_npy(dir + "/labels.npy", d.targets);
  write_npy(dir + "/test_labels.npy", d.test_targets);
  if (!f.no_kernel) {
    const double p = static_cast<double>(d.features.cols());
    write_npy(dir + "/kernel.npy", d.features * d.features.transpose() / p);
    write_npy(dir + "/test_kernel.npy",
              d.test_features * d.features.transpose() / p);
  }
  write_population(dir + "/population.csv", d.population);
}

SweepResult sweep_synthetic(const SyntheticData& d,
                            const SweepOptions& options) {
  const Targets train = regression_targets(d.targets);
  const Targets test = regression_targets(d.test_targets);
  const std::int64_t largest = options.sizes.back();
  ProgressBar bar("synth sweep");
  if (d.features.cols() < largest) {
    return sweep_linear_features(
        d.features, d.test_features, train, test, options, bar.callback());
  }
  const double p = static_cast<double>(d.features.cols());
  return sweep_kernel(d.features * d.features.transpose() / p,
                      d.test_features * d.features.transpose() / p,
                      train,
                      test,
                      options,
                      bar.callback());
}

// The classical bound's constants from the generated pool.
TheoryOptions theory_options(const SyntheticData& d) {
  TheoryOptions t;
  const double p = static_cast<double>(d.features.cols());
  t.bound.max_kernel_diagonal =
      d.features.rowwise().squaredNorm().maxCoeff() / p;
  t.bound.max_abs_target = d.targets.cwiseAbs().maxCoeff();
  t.bound.outputs = d.targets.cols();
  return t;
}

// Rows of one size as a SweepResult of their own.
SweepResult rows_of_size(const SweepResult& r, std::int64_t n) {
  SweepResult one;
  for (const SweepRow& row : r.rows) {
    if (row.n == n) one.rows.push_back(row);
  }
  return one;
}

nlohmann::json null_or(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Per size: |GCV - test| / test over the ridges and at GCV's ridge, and
// the deterministic equivalent of the exact population against the test.
nlohmann::json convergence_table(const SweepResult& r,
                                 std::vector<double>* n_values,
                                 std::vector<double>* median_errors) {
  nlohmann::json table = nlohmann::json::array();
  const std::vector<RidgeChoice> choices = choose_ridges(r);
  for (const RidgeChoice& c : choices) {
    const SweepResult one = rows_of_size(r, c.n);
    const ErrorSummary gcv =
        summarize_relative_error(one, [](const SweepRow& x) { return x.gcv; });
    const ErrorSummary de = summarize_relative_error(
        one, [](const SweepRow& x) { return x.de_population; });
    double at_ridge = kNaN;
    for (const SweepRow& row : one.rows) {
      if (row.ridge == c.gcv_ridge) {
        at_ridge = std::abs(row.gcv - row.test_mse) / row.test_mse;
      }
    }
    table.push_back({{"n", c.n},
                     {"gcv_median_relative_error", null_or(gcv.median)},
                     {"gcv_max_relative_error", null_or(gcv.max)},
                     {"gcv_relative_error_at_gcv_ridge", null_or(at_ridge)},
                     {"de_exact_median_relative_error", null_or(de.median)}});
    n_values->push_back(static_cast<double>(c.n));
    median_errors->push_back(gcv.median);
    std::printf("%8lld %14.2f%% %14.2f%% %14.2f%%\n",
                static_cast<long long>(c.n),
                100 * gcv.median,
                100 * at_ridge,
                100 * de.median);
  }
  return table;
}

nlohmann::json options_json(const SynthFlags& f) {
  const SyntheticOptions& o = f.options;
  return {{"n", o.train_size},
          {"test_n", o.test_size},
          {"dim", o.dimension},
          {"outputs", o.outputs},
          {"alpha", o.alpha},
          {"gamma", o.gamma},
          {"noise", o.noise},
          {"distribution", f.distribution},
          {"sparsity", o.sparsity},
          {"dof", o.degrees_of_freedom},
          {"seed", o.seed},
          {"generator",
           "std::mt19937_64 with libstdc++'s normal, chi-squared and "
           "Bernoulli distributions"}};
}

void run_synth(SynthFlags f) {
  configure_logging(f.verbosity);
  f.options.distribution = parse_feature_distribution(f.distribution);
  f.options.validate();
  SweepOptions sweep;
  sweep.sizes = parse_size_grid(
      f.sizes.empty() ? "log:50:" + std::to_string(f.options.train_size) + ":6"
                      : f.sizes);
  sweep.ridges = parse_ridge_grid(f.ridges);
  sweep.validate(f.options.train_size);
  ensure_directory(f.out);

  const SyntheticData d = make_synthetic(f.options);
  write_data(f, d);
  SweepResult result = sweep_synthetic(d, sweep);
  add_theory_columns(result, d.population, theory_options(d));
  write_sweep_csv(f.out + "/sweep.csv", result);

  std::printf(
      "synth: |GCV - test| / test (median over ridges, at GCV's "
      "ridge) and the exact population's DE against the test\n");
  std::printf(
      "%8s %15s %15s %15s\n", "N", "gcv median", "gcv@ridge", "DE median");
  std::vector<double> n_values, errors;
  nlohmann::json summary = sweep_summary(result);
  summary["gcv_convergence"] = convergence_table(result, &n_values, &errors);
  const PowerLawFit rate = fit_log_log(n_values, errors);
  summary["gcv_error_rate"] = fit_json(rate);
  summary["synthetic"] = options_json(f);
  summary["build"] = build_info();
  write_json(f.out + "/summary.json", summary);
  std::printf("GCV relative error ~ N^-%.3f (R^2 %.3f); wrote %s\n",
              rate.exponent,
              rate.r_squared,
              f.out.c_str());
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto f = std::make_shared<SynthFlags>();
  f->options.test_size = 5000;
  CLI::App* c = app.add_subcommand(
      "synth",
      "Synthetic data with power-law covariance and target (features, "
      "labels, linear kernels) and a GCV convergence check.");
  SyntheticOptions& o = f->options;
  c->add_option("--n", o.train_size, "pool size N")->capture_default_str();
  c->add_option("--test-n", o.test_size, "test size M")->capture_default_str();
  c->add_option("--dim", o.dimension, "feature dimension p")
      ->capture_default_str();
  c->add_option("--outputs", o.outputs, "target columns C")
      ->capture_default_str();
  c->add_option("--alpha", o.alpha, "covariance decay sigma_j = j^-alpha")
      ->capture_default_str();
  c->add_option("--gamma", o.gamma, "target tail energy ~ k^-gamma")
      ->capture_default_str();
  c->add_option("--noise", o.noise, "label noise standard deviation")
      ->capture_default_str();
  c->add_option("--distribution",
                f->distribution,
                "gaussian, sparse or heavy-tailed features")
      ->capture_default_str();
  c->add_option("--sparsity", o.sparsity, "nonzero fraction q (sparse)")
      ->capture_default_str();
  c->add_option("--dof", o.degrees_of_freedom, "Student-t nu (heavy-tailed)")
      ->capture_default_str();
  c->add_option("--seed", o.seed, "seed")->capture_default_str();
  c->add_option("--sizes", f->sizes, "sizes of the check (default log:50:N:6)");
  c->add_option("--ridges", f->ridges, "ridges of the check")
      ->capture_default_str();
  c->add_flag("--no-kernel",
              f->no_kernel,
              "do not write kernel.npy and test_kernel.npy");
  c->add_option("--out", f->out, "output directory")->required();
  c->add_flag("-v,--verbose", f->verbosity, "more log lines (-vv: debug)");
  c->callback([f] { run_synth(*f); });
}

}  // namespace rmtlens::cli
