// `rmtlens sweep` on many processes: inputs checked alike on every
// process, the distributed sweep, the theory columns and the outputs on
// rank 0.
#include "rmtlens/mpi/sweep_command.hpp"

#include <spdlog/spdlog.h>

#include <cinttypes>
#include <climits>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <optional>

#include "../cli/common.hpp"
#include "../cli/inputs.hpp"
#include "../cli/theory_cli.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/mpi/eigensolver.hpp"
#include "rmtlens/mpi/grid.hpp"
#include "rmtlens/mpi/npy_io.hpp"
#include "rmtlens/mpi/sweep.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/validate.hpp"

namespace rmtlens::cli {

namespace {

bool is_root() {
  return mpi::world_rank() == 0;
}

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1u << 30));
  return text;
}

void require_pair(const std::string& a,
                  const std::string& b,
                  const char* flag_a,
                  const char* flag_b) {
  if (a.empty() != b.empty()) {
    throw InputError(std::string(a.empty() ? flag_a : flag_b) + " and " +
                     (a.empty() ? flag_b : flag_a) + " go together");
  }
}

void check_flags(const InputFlags& f) {
  require_pair(f.kernel, f.test_kernel, "--kernel", "--test-kernel");
  require_pair(f.features, f.test_features, "--features", "--test-features");
  if (f.kernel.empty() == f.features.empty()) {
    throw InputError(
        "give either --kernel/--test-kernel or "
        "--features/--test-features (exactly one pair)");
  }
}

// ---------------------------------------------------------------------------
// Inputs: targets and features replicated (O(N C), O(N p)), the kernel
// only ever as block-cyclic shares.

struct DistributedProblem {
  Targets train;
  Targets test;
  Matrix features;
  Matrix test_features;
  KernelOptions kernel;
  std::unique_ptr<mpi::KernelSource> source;
  nlohmann::json description;
};

void require_rows(Index rows,
                  Index expected,
                  const std::string& file,
                  const std::string& other) {
  if (rows == expected) return;
  throw InputError(file + ": " + std::to_string(rows) + " rows but " + other +
                   " has " + std::to_string(expected));
}

KernelOptions kernel_options(const InputFlags& f) {
  KernelOptions k;
  k.kind = parse_kernel_kind(f.kernel_fn);
  k.bandwidth = f.bandwidth;
  k.degree = f.degree;
  k.offset = f.offset;
  k.single_precision = f.float32;
  k.validate();
  return k;
}

void load_kernel_source(const InputFlags& f, DistributedProblem& p) {
  auto source = std::make_unique<mpi::NpyKernelSource>(f.kernel, f.test_kernel);
  require_rows(p.train.size(), source->pool_size(), f.labels, f.kernel);
  require_rows(
      p.test.size(), source->test_size(), f.test_labels, f.test_kernel);
  p.description["kernel"] = f.kernel;
  p.description["test_kernel"] = f.test_kernel;
  p.source = std::move(source);
}

void load_feature_source(const InputFlags& f, DistributedProblem& p) {
  p.features = read_npy_matrix(f.features);
  p.test_features = read_npy_matrix(f.test_features);
  check_feature_inputs(p.features,
                       p.test_features,
                       p.train,
                       p.test,
                       f.features,
                       f.test_features,
                       f.labels,
                       f.test_labels);
  // Every process resolves the bandwidth on the same replicated pool, so
  // all agree with each other and with the single-process run.
  p.kernel = resolve_bandwidth(p.kernel, p.features);
  p.description["features"] = f.features;
  p.description["test_features"] = f.test_features;
  p.description["feature_dimension"] = p.features.cols();
  p.description["kernel_fn"] = kernel_name(p.kernel.kind);
  if (p.kernel.bandwidth > 0.0) p.description["bandwidth"] = p.kernel.bandwidth;
  p.source = std::make_unique<mpi::FeatureKernelSource>(
      p.features, p.test_features, p.kernel);
}

DistributedProblem load_distributed(const InputFlags& f) {
  DistributedProblem p;
  p.kernel = kernel_options(f);
  load_targets(f.labels, f.test_labels, &p.train, &p.test);
  if (!f.kernel.empty()) {
    load_kernel_source(f, p);
  } else {
    load_feature_source(f, p);
  }
  p.description["labels"] = f.labels;
  p.description["test_labels"] = f.test_labels;
  p.description["pool_size"] = p.train.size();
  p.description["test_size"] = p.test.size();
  p.description["outputs"] = p.train.outputs();
  p.description["route"] = "distributed";
  return p;
}

// ---------------------------------------------------------------------------
// Limits checked before any work.

// ScaLAPACK indexes local arrays and workspaces with 32-bit integers.
void require_int32_workspace(const mpi::ProcessGrid& grid,
                             Index n,
                             mpi::Eigensolver solver) {
  const double local =
      static_cast<double>(
          mpi::local_extent(n, grid.block_size(), grid.my_row(), grid.rows())) *
      mpi::local_extent(n, grid.block_size(), grid.my_col(), grid.cols());
  const double work = mpi::workspace_doubles(grid, n, solver);
  const double worst =
      mpi::max_over_processes(std::max(local, work), grid.comm());
  if (worst <= static_cast<double>(INT_MAX)) return;
  const double needed =
      std::ceil(grid.size() * worst / static_cast<double>(INT_MAX));
  throw InputError(
      "N=" + std::to_string(n) + " on " + std::to_string(grid.size()) +
      " processes needs " + std::to_string(static_cast<long long>(worst)) +
      " workspace entries per process, beyond ScaLAPACK's 32-bit indexing; "
      "run on at least " +
      std::to_string(static_cast<long long>(needed)) + " processes");
}

// The busiest node's processes together against its available memory.
void require_node_memory(const mpi::ProcessGrid& grid,
                         const DistributedProblem& p,
                         const SweepOptions& options) {
  const Index n = options.sizes.back();
  const std::int64_t mine =
      mpi::peak_bytes_per_process(grid,
                                  n,
                                  p.test.size(),
                                  p.train.outputs(),
                                  static_cast<Index>(options.ridges.size()),
                                  options.loo);
  MPI_Comm node;
  MPI_Comm_split_type(
      grid.comm(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  std::int64_t on_node = 0;
  MPI_Allreduce(&mine, &on_node, 1, MPI_INT64_T, MPI_SUM, node);
  MPI_Comm_free(&node);

  const std::int64_t available = available_memory_bytes();
  const double short_by = available > 0 ? double(on_node - available) : 0.0;
  const double worst = mpi::max_over_processes(short_by, grid.comm());
  const double largest = mpi::max_over_processes(double(mine), grid.comm());
  spdlog::info("peak memory: {} per process", gib(largest));
  if (worst <= 0.0) return;
  throw InputError("the distributed sweep at N=" + std::to_string(n) +
                   " needs about " + gib(largest) + " per process and one " +
                   "node is short by " + gib(worst) +
                   "; run on more nodes (fewer processes per node)");
}

// The sweep's pool permutation (SweepResult::order), needed before the
// sweep to check and to decompose the population block.
std::vector<std::int64_t> pool_order(const SweepOptions& options,
                                     std::int64_t pool) {
  if (options.shuffle) return seeded_permutation(pool, options.seed);
  std::vector<std::int64_t> order(static_cast<size_t>(pool));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

// ---------------------------------------------------------------------------
// Theory columns: the population spectrum is a size of the sweep, the
// first P points, or a separate population kernel, each decomposed the
// same distributed way.

// --population-kernel: read share by share with MPI-IO, checked (finite,
// symmetric) like the pool's kernel, decomposed with its labels.
void plan_population_kernel(const TheoryFlags& f,
                            const InputFlags& inputs,
                            const mpi::ProcessGrid& grid,
                            const DistributedProblem& p,
                            const mpi::DistributedOptions& d,
                            PopulationPlan& plan) {
  const mpi::NpyKernelSource source(f.population_kernel);
  const Index size = source.pool_size();
  const Targets population =
      load_population_targets(f, inputs, p.train, size);
  std::vector<std::int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), 0);
  source.check(grid, order, size);

  spdlog::info("population spectrum: decomposing {} ({} points)",
               f.population_kernel,
               size);
  plan.spectrum = plugin_spectrum(
      mpi::decompose_block(grid, source, order, size, population.y, d));
  plan.size = size;
  plan.description = {{"source", f.population_kernel},
                      {"labels", f.population_labels},
                      {"size", size}};
}

PopulationPlan plan_distributed_population(const TheoryFlags& f,
                                           const InputFlags& inputs,
                                           const mpi::ProcessGrid& grid,
                                           const DistributedProblem& p,
                                           const SweepOptions& options,
                                           const mpi::DistributedOptions& d) {
  PopulationPlan plan;
  plan.enabled = !f.no_theory;
  if (!plan.enabled) return plan;
  plan.options.bound.max_kernel_diagonal =
      std::max(p.source->max_diagonal(grid), 0.0);
  plan.options.bound.max_abs_target = p.train.y.cwiseAbs().maxCoeff();
  plan.options.bound.outputs = p.train.outputs();
  if (!f.population_kernel.empty()) {
    plan_population_kernel(f, inputs, grid, p, d, plan);
    return plan;
  }

  const std::int64_t pool = p.train.size();
  choose_pool_population(f, pool, options, plan);
  if (plan.reuse_size) return plan;

  spdlog::info("population spectrum: decomposing {} points", plan.size);
  plan.spectrum = plugin_spectrum(mpi::decompose_block(
      grid, *p.source, pool_order(options, pool), plan.size, p.train.y, d));
  return plan;
}

// ---------------------------------------------------------------------------
// Outputs, on rank 0.

nlohmann::json describe_layout(const mpi::ProcessGrid& grid,
                               const mpi::DistributedOptions& d,
                               double asymmetry) {
  return {{"processes", grid.size()},
          {"grid", {grid.rows(), grid.cols()}},
          {"block_size", grid.block_size()},
          {"eigensolver", mpi::eigensolver_name(d.eigensolver)},
          {"asymmetry", asymmetry}};
}

// The linear kernel on p < N features goes through the p x p primal
// problem, O(N p^2) on one process: distributing it would only add
// communication. Rank 0 runs the single-process route.
bool primal_applies(const InputFlags& f, std::int64_t largest) {
  if (f.features.empty() ||
      parse_kernel_kind(f.kernel_fn) != KernelKind::kLinear) {
    return false;
  }
  const NpyHeader h = read_npy_header(f.features);
  return h.shape.size() == 2 && h.shape[1] < largest;
}

void run_primal_on_root(const InputFlags& inputs,
                        const TheoryFlags& theory,
                        SweepOptions options,
                        const std::string& out) {
  spdlog::info(
      "linear kernel with fewer features than points: the primal "
      "route runs on rank 0");
  Problem problem = load_problem(inputs, options.sizes.back(), options.loo);
  options.validate(problem.pool_size());
  ensure_directory(out);
  PopulationPlan population = plan_population(theory, inputs, problem, options);
  SweepResult result = sweep_linear_features(problem.features,
                                             problem.test_features,
                                             problem.train,
                                             problem.test,
                                             options);
  apply_theory(result, population);
  for (const std::string& note : result.notes) spdlog::warn("{}", note);
  write_sweep_outputs(result,
                      population,
                      problem.description,
                      theory,
                      options,
                      out,
                      {{"processes", mpi::world_size()}, {"route", "primal"}});
}

// The feature kernels in file order, written share by share.
void write_kernels(const mpi::ProcessGrid& grid,
                   const DistributedProblem& p,
                   const std::string& dir) {
  if (p.features.size() == 0) {
    throw InputError("--write-kernel needs --features/--test-features");
  }
  if (is_root()) ensure_directory(dir);
  MPI_Barrier(grid.comm());
  SweepOptions file_order;
  file_order.shuffle = false;
  const std::vector<std::int64_t> order =
      pool_order(file_order, p.train.size());
  {
    mpi::DistributedMatrix k(grid, p.train.size(), p.train.size());
    p.source->fill_train(order, k);
    mpi::write_npy(dir + "/kernel.npy", k);
  }
  mpi::DistributedMatrix kt(grid, p.test.size(), p.train.size());
  p.source->fill_test(order, kt);
  mpi::write_npy(dir + "/test_kernel.npy", kt);
  spdlog::info("wrote {}/kernel.npy and {}/test_kernel.npy", dir, dir);
}

void run_distributed(const InputFlags& inputs,
                     const TheoryFlags& theory,
                     const DistributedFlags& flags,
                     SweepOptions options,
                     const std::string& out) {
  const mpi::DistributedOptions d{mpi::parse_eigensolver(flags.eigensolver)};
  DistributedProblem p = load_distributed(inputs);
  options.validate(p.train.size());
  const mpi::ProcessGrid grid(flags.block_size);
  require_int32_workspace(grid, options.sizes.back(), d.eigensolver);
  require_node_memory(grid, p, options);
  if (is_root()) ensure_directory(out);
  spdlog::info(
      "{} training points, {} test points, {} outputs, {} x {} "
      "process grid, block {}",
      p.train.size(),
      p.test.size(),
      p.train.outputs(),
      grid.rows(),
      grid.cols(),
      grid.block_size());

  const double asymmetry = p.source->check(
      grid, pool_order(options, p.train.size()), options.sizes.back());
  p.description["asymmetry"] = asymmetry;
  if (!flags.write_kernel.empty()) write_kernels(grid, p, flags.write_kernel);
  PopulationPlan population =
      plan_distributed_population(theory, inputs, grid, p, options, d);

  std::optional<ProgressBar> bar;
  if (is_root()) bar.emplace("sweep");
  SweepResult result =
      mpi::sweep_distributed(grid,
                             *p.source,
                             p.train,
                             p.test,
                             options,
                             d,
                             bar ? bar->callback() : Progress{});
  if (!is_root()) return;
  apply_theory(result, population);
  for (const std::string& note : result.notes) spdlog::warn("{}", note);
  write_sweep_outputs(result,
                      population,
                      p.description,
                      theory,
                      options,
                      out,
                      describe_layout(grid, d, asymmetry));
}

// Ends a process other than rank 0 with `code` after an error every
// process raised alike; rank 0 reports it and exits through main.
void quiet_unless_root(int code) {
  if (is_root()) return;
  MPI_Finalize();
  std::exit(code);
}

}  // namespace

void run_on_every_process(const std::function<void()>& body) {
  try {
    body();
  } catch (const InputError&) {
    // Every process found the same bad input; one message is enough.
    quiet_unless_root(2);
    throw;
  } catch (const NotImplemented&) {
    quiet_unless_root(3);
    throw;
  } catch (const std::exception& e) {
    // Anything else may have struck one process while the others wait in
    // a collective call: only MPI_Abort ends them all.
    if (mpi::world_size() == 1) throw;
    std::fprintf(stderr, "rmtlens: rank %d: %s\n", mpi::world_rank(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 5);
  }
}

void add_distributed_flags(CLI::App* c, DistributedFlags* f) {
  c->add_flag("--distributed",
              f->distributed,
              "use the MPI/ScaLAPACK sweep even on one process (it is used "
              "whenever mpirun starts more than one)");
  c->add_option("--block-size",
                f->block_size,
                "block size nb of the block-cyclic layout (1-4096)")
      ->capture_default_str();
  c->add_option("--eigensolver",
                f->eigensolver,
                "distributed eigensolver: pdsyevd or pdsyevr")
      ->capture_default_str();
  c->add_option("--write-kernel",
                f->write_kernel,
                "with --features: also write DIR/kernel.npy and "
                "DIR/test_kernel.npy (file order) with MPI-IO");
}

bool distributed_requested(const DistributedFlags& flags) {
  return flags.distributed || mpi::world_size() > 1;
}

void run_distributed_sweep(const InputFlags& inputs,
                           const TheoryFlags& theory,
                           const DistributedFlags& flags,
                           SweepOptions options,
                           const std::string& out,
                           int verbosity) {
  configure_logging(verbosity);
  if (!is_root()) spdlog::set_level(spdlog::level::off);
  run_on_every_process([&] {
    check_flags(inputs);
    if (options.sizes.empty()) throw InputError("--sizes is empty");
    const std::int64_t largest =
        *std::max_element(options.sizes.begin(), options.sizes.end());
    if (primal_applies(inputs, largest)) {
      if (is_root()) run_primal_on_root(inputs, theory, options, out);
      return;
    }
    run_distributed(inputs, theory, flags, options, out);
  });
}

}  // namespace rmtlens::cli
