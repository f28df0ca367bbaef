// rmtlens sweep: risk curves over sizes and ridges with every estimator.
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "inputs.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/sweep.hpp"
#include "theory_cli.hpp"
#ifdef RMTLENS_HAVE_MPI
#include "rmtlens/mpi/sweep_command.hpp"
#endif
#include "uncertainty_cli.hpp"

namespace rmtlens::cli {

namespace {

struct SweepFlags {
  InputFlags inputs;
  std::string sizes;
  std::string ridges = "log:1e-6:1:13";
  bool loo = false;
  std::uint64_t seed = 0;
  bool no_shuffle = false;
  BootstrapOptions bootstrap;
  GcvTrustRule gcv_rule;
  std::string out;
  int verbosity = 0;
  TheoryFlags theory;
#ifdef RMTLENS_HAVE_MPI
  DistributedFlags distributed;
#endif
};

SweepOptions options_from(const SweepFlags& f) {
  SweepOptions o;
  o.sizes = parse_size_grid(f.sizes);
  o.ridges = parse_ridge_grid(f.ridges);
  o.loo = f.loo;
  o.seed = f.seed;
  o.shuffle = !f.no_shuffle;
  o.bootstrap = f.bootstrap;
  o.gcv_rule = f.gcv_rule;
  return o;
}

SweepResult run(const Problem& problem,
                Matrix pool_kernel,
                const SweepOptions& options,
                ProgressBar& bar) {
  if (problem.primal) {
    return sweep_linear_features(problem.features,
                                 problem.test_features,
                                 problem.train,
                                 problem.test,
                                 options,
                                 bar.callback());
  }
  return sweep_kernel(std::move(pool_kernel),
                      problem.test_kernel,
                      problem.train,
                      problem.test,
                      options,
                      bar.callback());
}

void run_sweep(const SweepFlags& f) {
#ifdef RMTLENS_HAVE_MPI
  if (distributed_requested(f.distributed)) {
    run_distributed_sweep(
        f.inputs, f.theory, f.distributed, options_from(f), f.out, f.verbosity);
    return;
  }
#endif
  configure_logging(f.verbosity);
  SweepOptions options = options_from(f);
  const std::int64_t largest =
      *std::max_element(options.sizes.begin(), options.sizes.end());

  ProgressBar bar("sweep");
  Problem problem = load_problem(f.inputs, largest, f.loo, bar.callback());
  options.validate(problem.pool_size());
  ensure_directory(f.out);
  spdlog::info("{} training points, {} test points, {} outputs, route {}",
               problem.pool_size(),
               problem.test.size(),
               problem.train.outputs(),
               problem.primal ? "primal" : "kernel");

  PopulationPlan population =
      plan_population(f.theory, f.inputs, problem, options);
  SweepResult result =
      run(problem, std::move(problem.pool_kernel), options, bar);
  apply_theory(result, population);
  for (const std::string& note : result.notes) spdlog::warn("{}", note);

  write_sweep_outputs(
      result, population, problem.description, f.theory, options, f.out);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto flags = std::make_shared<SweepFlags>();
  CLI::App* c = app.add_subcommand(
      "sweep",
      "Exact train, GCV, LOO and test risk of kernel ridge regression over "
      "nested sizes and ridges, one decomposition per size.");
  add_input_flags(c, &flags->inputs);
  c->add_option("--sizes",
                flags->sizes,
                "training sizes: 250,500,1000 or log:MIN:MAX:COUNT")
      ->required();
  c->add_option("--ridges",
                flags->ridges,
                "ridges lambda >= 0 in (K + N lambda I): list or "
                "log:MIN:MAX:COUNT")
      ->capture_default_str();
  c->add_flag("--loo",
              flags->loo,
              "also exact leave-one-out (forms the eigenvectors: one more "
              "O(N^3) step)");
  c->add_option(
       "--seed", flags->seed, "seed of the permutation that nests the sizes")
      ->capture_default_str();
  c->add_flag("--no-shuffle",
              flags->no_shuffle,
              "take sizes as leading blocks in file order");
  add_uncertainty_flags(c, &flags->bootstrap, &flags->gcv_rule);
  c->add_option("--out", flags->out, "output directory")->required();
  c->add_flag("-v,--verbose", flags->verbosity, "more log lines (-vv: debug)");
  add_theory_flags(c, &flags->theory);
#ifdef RMTLENS_HAVE_MPI
  add_distributed_flags(c, &flags->distributed);
#endif
  c->callback([flags] { run_sweep(*flags); });
}

}  // namespace rmtlens::cli
