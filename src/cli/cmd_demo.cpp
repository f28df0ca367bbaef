// rmtlens demo: the whole study on Fashion-MNIST in one command.
//
// Steps: load the target classes; build each representation's kernel pair
// (raw pixels; with LibTorch, the eNTK and penultimate features of a
// pretrained and a randomly initialised network); sweep each over sizes
// and ridges with every estimator; write one directory per representation,
// study.json, and print the summary table.
#include <fcntl.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "network_commands.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/idx.hpp"
#include "rmtlens/kernels.hpp"
#include "rmtlens/npy.hpp"
#include "study.hpp"
#include "uncertainty_cli.hpp"

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
std::vector<StudyKernel> raw_pixel_representations(const StudyData& data,
                                                   ProgressBar& bar) {
  std::vector<StudyKernel> reps;
  const std::vector<std::pair<KernelKind, std::string>> kinds = {
      {KernelKind::kRbf, "raw pixels, RBF kernel (median bandwidth)"},
      {KernelKind::kArcCos1, "raw pixels, arc-cosine kernel of order 1"}};
  for (const auto& [kind, label] : kinds) {
    bar.update("raw-pixel kernel: " + kernel_name(kind), 0.0);
    KernelOptions o;
    o.kind = kind;
    o = resolve_bandwidth(o, data.pool.images);
    StudyKernel r;
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

// Runs one of rmtlens' subcommands (the demo drives the same commands a
// user runs), its stdout kept in `log`. Throws on a non-zero exit.
void run_subcommand(const std::vector<std::string>& args,
                    const std::string& log) {
  std::vector<char*> argv;
  static std::string program = plain_program();
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    throw std::runtime_error("rmtlens " + args.front() +
                             " failed inside the demo; see " + log);
  }
}

// The kernel pair and labels of a representation as files, so that the
// sweep, spectrum and scaling commands read them like a user's.
struct RepresentationFiles {
  std::string kernel, test_kernel, labels, test_labels;
};

RepresentationFiles write_inputs(const StudyKernel& rep,
                                 const StudyData& data,
                                 const std::string& dir) {
  ensure_directory(dir);
  RepresentationFiles f{dir + "/kernel.npy",
                        dir + "/test_kernel.npy",
                        dir + "/labels.npy",
                        dir + "/test_labels.npy"};
  write_npy(f.kernel, rep.kernel);
  write_npy(f.test_kernel, rep.test_kernel);
  write_npy(f.labels, data.pool_labels(rep.kernel.rows()));
  write_npy(f.test_labels, data.test_labels(rep.test_kernel.rows()));
  return f;
}

std::string join_sizes(const std::vector<std::int64_t>& sizes) {
  std::string text;
  for (std::int64_t n : sizes) {
    text += (text.empty() ? "" : ",") + std::to_string(n);
  }
  return text;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Sweep (every estimator and theory), spectrum and scaling of one
// representation, each by its own command, into out/<name>/.
Outcome analyse(const StudyKernel& rep,
                const StudyData& data,
                const StudyPlan& plan,
                const std::string& out,
                ProgressBar& bar) {
  const std::string dir = out + "/" + rep.name;
  const RepresentationFiles in = write_inputs(rep, data, dir + "/inputs");
  const std::string sizes = join_sizes(study_sizes(plan, rep.kernel.rows()));
  const std::string seed = std::to_string(plan.seed);
  const std::vector<std::string> inputs = {"--kernel",
                                           in.kernel,
                                           "--test-kernel",
                                           in.test_kernel,
                                           "--labels",
                                           in.labels,
                                           "--test-labels",
                                           in.test_labels};

  bar.update(rep.name + ": sweep over sizes and ridges", 0.0);
  std::vector<std::string> sweep = {"sweep",
                                    "--sizes",
                                    sizes,
                                    "--ridges",
                                    plan.ridges,
                                    "--seed",
                                    seed,
                                    "--out",
                                    dir};
  if (plan.loo) sweep.push_back("--loo");
  sweep.insert(sweep.end(), inputs.begin(), inputs.end());
  run_subcommand(sweep, dir + "/sweep.log");

  bar.update(rep.name + ": spectrum and alignment", 0.3);
  run_subcommand({"spectrum",
                  "--kernel",
                  in.kernel,
                  "--labels",
                  in.labels,
                  "--name",
                  rep.name,
                  "--seed",
                  seed,
                  "--out",
                  dir + "/spectrum"},
                 dir + "/spectrum.log");

  bar.update(rep.name + ": scaling", 0.6);
  std::vector<std::string> scaling = {"scaling",
                                      "--sizes",
                                      sizes,
                                      "--ridges",
                                      plan.ridges,
                                      "--seed",
                                      seed,
                                      "--out",
                                      dir + "/scaling"};
  scaling.insert(scaling.end(), inputs.begin(), inputs.end());
  run_subcommand(scaling, dir + "/scaling.log");

  nlohmann::json summary = read_json(dir + "/summary.json");
  summary["representation"] = {
      {"name", rep.name}, {"label", rep.label}, {"provenance", rep.provenance}};
  write_json(dir + "/summary.json", summary);
  return {rep.name,
          rep.label,
          summary,
          read_json(dir + "/spectrum/summary.json"),
          read_json(dir + "/scaling/summary.json")};
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
  std::vector<StudyKernel> reps = raw_pixel_representations(data, bar);
  if (plan.networks) {
    std::vector<StudyKernel> nets =
        network_representations(data, plan, f.out + "/cache", bar);
    for (StudyKernel& r : nets) reps.push_back(std::move(r));
  }

  std::vector<Outcome> outcomes;
  nlohmann::json listing = nlohmann::json::array();
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  for (StudyKernel& rep : reps) {
    listing.push_back(
        {{"name", rep.name}, {"label", rep.label}, {"dir", rep.name}});
    outcomes.push_back(analyse(rep, data, plan, f.out, bar));
    summaries.emplace_back(outcomes.back().name, outcomes.back().summary);
    rep = StudyKernel{};  // release the kernels
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  write_json(f.out + "/study.json",
             {{"representations", listing},
              {"comparisons", compare_representations(summaries)},
              {"plan", plan_to_json(plan)},
              {"data", data.description},
              {"build", build_info()},
              {"seconds", seconds}});
  bar.update("writing the report", 0.95);
  run_subcommand({"report", f.out}, f.out + "/report.log");
  print_study_table(outcomes);
  std::printf(
      "results in %s/: report.html (open it in a browser), study.json and "
      "one directory per representation; %.0f s\n",
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
  CLI::App* c = app.add_subcommand("demo", network_command_help("demo"));
  c->add_flag("--quick",
              flags->quick,
              "smaller pools and network: a few minutes on two cores. The "
              "raw-pixel kernels keep all 5000 test images; the network "
              "kernels use 2000, so their test risks carry intervals about "
              "1.6 times wider (docs/uncertainty.md)");
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
