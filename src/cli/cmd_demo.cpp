// rmtlens demo: the whole study on Fashion-MNIST in one command.
//
// Steps: load the target classes; build each representation's kernel pair
// (raw pixels; with LibTorch, the eNTK and penultimate features of a
// pretrained and a randomly initialised network); sweep each over sizes
// and ridges with every estimator; write one directory per representation,
// study.json, and print the summary table.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/idx.hpp"
#include "rmtlens/kernels.hpp"
#include "study.hpp"

#ifdef RMTLENS_HAVE_TORCH
#include "rmtlens/torch/tasks.hpp"
#include "study_networks.hpp"
#endif

namespace rmtlens::cli {

namespace {

struct DemoFlags {
  bool quick = false;
  std::string out = "rmtlens-demo";
  std::uint64_t seed = 0;
  bool no_networks = false;
  int verbosity = 0;
};

#ifdef RMTLENS_HAVE_TORCH

// Raw-pixel kernels: the non-neural baseline of the study.
std::vector<Representation> raw_pixel_representations(const StudyData& data,
                                                      ProgressBar& bar) {
  std::vector<Representation> reps;
  const std::vector<std::pair<KernelKind, std::string>> kinds = {
      {KernelKind::kRbf, "raw pixels, RBF kernel (median bandwidth)"},
      {KernelKind::kArcCos1, "raw pixels, arc-cosine kernel of order 1"}};
  for (const auto& [kind, label] : kinds) {
    bar.update("raw-pixel kernel: " + kernel_name(kind), 0.0);
    KernelOptions o;
    o.kind = kind;
    o = resolve_bandwidth(o, data.pool.images);
    Representation r;
    r.name = "raw-" + kernel_name(kind);
    r.label = label;
    r.kernel = kernel_gram(data.pool.images, o);
    r.test_kernel = kernel_matrix(data.test.images, data.pool.images, o);
    r.provenance = {{"kernel_fn", kernel_name(kind)},
                    {"bandwidth", o.bandwidth},
                    {"inputs", "pixels scaled to [0, 1]"}};
    reps.push_back(std::move(r));
  }
  return reps;
}

Outcome analyse(Representation rep,
                const StudyData& data,
                const StudyPlan& plan,
                const std::string& out) {
  const std::int64_t pool = rep.kernel.rows();
  Targets train, test;
  make_class_targets(data.pool_labels(pool),
                     data.test_labels(rep.test_kernel.rows()),
                     "training pool",
                     "test set",
                     &train,
                     &test);
  SweepOptions options;
  options.sizes = study_sizes(plan, pool);
  options.ridges = parse_ridge_grid(plan.ridges);
  options.loo = plan.loo;
  options.seed = plan.seed;
  options.validate(pool);

  ProgressBar bar(rep.name);
  const SweepResult result = sweep_kernel(std::move(rep.kernel),
                                          rep.test_kernel,
                                          train,
                                          test,
                                          options,
                                          bar.callback());
  for (const std::string& note : result.notes) spdlog::warn("{}", note);

  const std::string dir = out + "/" + rep.name;
  ensure_directory(dir);
  nlohmann::json summary = sweep_summary(result);
  summary["representation"] = {
      {"name", rep.name}, {"label", rep.label}, {"provenance", rep.provenance}};
  summary["options"] = {{"sizes", options.sizes},
                        {"ridges", options.ridges},
                        {"loo", options.loo},
                        {"seed", options.seed}};
  write_sweep_csv(dir + "/sweep.csv", result);
  write_json(dir + "/summary.json", summary);
  return {rep.name, rep.label, summary};
}

void run_demo(const DemoFlags& f) {
  configure_logging(f.verbosity);
  StudyPlan plan = plan_for(f.quick);
  plan.seed = f.seed;
  plan.networks = plan.networks && !f.no_networks;
  ensure_directory(f.out);
  const auto start = std::chrono::steady_clock::now();

  ProgressBar bar("demo");
  const StudyData data = load_study_data(plan, bar);
  std::vector<Representation> reps = raw_pixel_representations(data, bar);
  if (plan.networks) {
    std::vector<Representation> nets =
        network_representations(data, plan, f.out + "/cache", bar);
    for (Representation& r : nets) reps.push_back(std::move(r));
  }

  std::vector<Outcome> outcomes;
  nlohmann::json listing = nlohmann::json::array();
  for (Representation& rep : reps) {
    listing.push_back(
        {{"name", rep.name}, {"label", rep.label}, {"dir", rep.name}});
    outcomes.push_back(analyse(std::move(rep), data, plan, f.out));
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  write_json(f.out + "/study.json",
             {{"representations", listing},
              {"plan", plan_to_json(plan)},
              {"data", data.description},
              {"build", build_info()},
              {"seconds", seconds}});
  print_study_table(outcomes);
  std::printf(
      "results in %s/ (study.json, one directory per "
      "representation); %.0f s\n",
      f.out.c_str(),
      seconds);
}

#else

void run_demo(const DemoFlags&) {
  throw NotImplemented(
      "the demo needs the LibTorch build (cmake -DRMTLENS_TORCH=ON)");
}

#endif

}  // namespace

void add_demo_command(CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* c = app.add_subcommand(
      "demo",
      "The whole study on Fashion-MNIST: pretrained against random network "
      "kernels and raw-pixel kernels on classes 5-9, swept over sizes and "
      "ridges with every estimator. The test set is the whole official "
      "test split of the target classes (5000 images), so that a 10% gap "
      "between an estimate and the test risk is not noise.");
  c->add_flag("--quick",
              flags->quick,
              "smaller pools and network: a few minutes on two cores");
  c->add_option("--out", flags->out, "results directory")
      ->capture_default_str();
  c->add_option("--seed", flags->seed, "seed of every random choice")
      ->capture_default_str();
  c->add_flag("--no-networks",
              flags->no_networks,
              "raw-pixel kernels only (no LibTorch work)");
  c->add_flag("-v,--verbose", flags->verbosity, "more log lines");
  c->callback([flags] { run_demo(*flags); });
}

}  // namespace rmtlens::cli
