#include "inputs.hpp"

#include <spdlog/spdlog.h>

#include "rmtlens/npy.hpp"
#include "rmtlens/sweep.hpp"
#include "rmtlens/validate.hpp"

namespace rmtlens::cli {

namespace {

constexpr std::int64_t kDouble = 8;

std::int64_t rows_of(const std::string& file) {
  const NpyHeader h = read_npy_header(file);
  return h.shape.empty() ? 0 : h.shape[0];
}

std::int64_t cols_of(const std::string& file) {
  const NpyHeader h = read_npy_header(file);
  return h.shape.size() < 2 ? 1 : h.shape[1];
}

void require_pair(const std::string& a,
                  const std::string& b,
                  const char* flag_a,
                  const char* flag_b) {
  if (!a.empty() && b.empty()) {
    throw InputError(std::string(flag_a) + " needs " + flag_b);
  }
  if (a.empty() && !b.empty()) {
    throw InputError(std::string(flag_b) + " needs " + flag_a);
  }
}

void check_flag_combination(const InputFlags& f) {
  require_pair(f.kernel, f.test_kernel, "--kernel", "--test-kernel");
  require_pair(f.features, f.test_features, "--features", "--test-features");
  require_pair(f.labels, f.test_labels, "--labels", "--test-labels");
  if (f.kernel.empty() == f.features.empty()) {
    throw InputError(
        "give either --kernel/--test-kernel or "
        "--features/--test-features (exactly one pair)");
  }
  if (f.labels.empty()) {
    throw InputError("--labels and --test-labels are required");
  }
}

// Bytes the sweep holds at its peak: inputs, one gathered block and its
// eigenvector factor (plus their squares for LOO), and the test block.
std::int64_t kernel_route_bytes(std::int64_t pool,
                                std::int64_t m,
                                std::int64_t n_max,
                                bool loo) {
  return kDouble *
         (pool * pool + m * pool + m * n_max + (loo ? 3 : 2) * n_max * n_max);
}

void estimate_memory(const InputFlags& f,
                     std::int64_t n_max,
                     bool loo,
                     bool primal) {
  if (!f.kernel.empty()) {
    const std::int64_t pool = rows_of(f.kernel);
    const std::int64_t m = rows_of(f.test_kernel);
    require_memory(kernel_route_bytes(pool, m, n_max, loo),
                   "this sweep (kernel " + std::to_string(pool) + " x " +
                       std::to_string(pool) + ")");
    return;
  }
  const std::int64_t pool = rows_of(f.features);
  const std::int64_t m = rows_of(f.test_features);
  const std::int64_t p = cols_of(f.features);
  std::int64_t bytes = kDouble * (pool + m) * p;
  bytes += primal ? kDouble * (3 * p * p + 2 * n_max * p)
                  : kernel_route_bytes(pool, m, n_max, loo);
  require_memory(bytes,
                 "this sweep (" + std::to_string(pool) + " training points, " +
                     std::to_string(p) + " features)");
}

void load_kernel_pair(const InputFlags& f, Problem& p) {
  p.pool_kernel = read_npy_matrix(f.kernel);
  p.test_kernel = read_npy_matrix(f.test_kernel);
  const double asymmetry = check_kernel_inputs(p.pool_kernel,
                                               p.test_kernel,
                                               p.train,
                                               p.test,
                                               f.kernel,
                                               f.test_kernel,
                                               f.labels,
                                               f.test_labels);
  if (asymmetry > 0.0) {
    spdlog::info("{}: relative asymmetry {:.3g}; the lower triangle is used",
                 f.kernel,
                 asymmetry);
  }
  p.description["kernel"] = f.kernel;
  p.description["test_kernel"] = f.test_kernel;
  p.description["asymmetry"] = asymmetry;
}

void load_features(const InputFlags& f, Problem& p, const Progress& progress) {
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
  p.description["features"] = f.features;
  p.description["test_features"] = f.test_features;
  p.description["feature_dimension"] = p.features.cols();
  if (p.primal) return;

  if (progress) progress("computing the kernel from features", 0.0);
  p.kernel = resolve_bandwidth(p.kernel, p.features);
  p.pool_kernel = kernel_gram(p.features, p.kernel);
  p.test_kernel = kernel_matrix(p.test_features, p.features, p.kernel);
  p.features.resize(0, 0);
  p.test_features.resize(0, 0);
}

}  // namespace

void add_input_flags(CLI::App* c, InputFlags* f) {
  c->add_option("--kernel",
                f->kernel,
                "pool train kernel K (.npy, Npool x Npool, symmetric)");
  c->add_option(
      "--test-kernel", f->test_kernel, "test kernel K* (.npy, M x Npool)");
  c->add_option("--features",
                f->features,
                "pool features or raw inputs (.npy, Npool x p)");
  c->add_option(
      "--test-features", f->test_features, "test features (.npy, M x p)");
  c->add_option("--labels",
                f->labels,
                "training labels: integer classes (1-D) or targets "
                "(Npool x C float)")
      ->required();
  c->add_option(
       "--test-labels", f->test_labels, "test labels, same kind as --labels")
      ->required();
  c->add_option("--kernel-fn",
                f->kernel_fn,
                "kernel on features: linear, rbf, laplace, poly, arccos0, "
                "arccos1")
      ->capture_default_str();
  c->add_option("--bandwidth",
                f->bandwidth,
                "rbf/laplace bandwidth h > 0; 0 = median pairwise distance")
      ->capture_default_str();
  c->add_option("--degree", f->degree, "poly degree")->capture_default_str();
  c->add_option("--offset", f->offset, "poly offset")->capture_default_str();
  c->add_flag(
      "--float32", f->float32, "compute the feature kernel's GEMM in float32");
}

Problem load_problem(const InputFlags& f,
                     std::int64_t largest_size,
                     bool loo,
                     const Progress& progress) {
  check_flag_combination(f);
  Problem p;
  p.kernel.kind = parse_kernel_kind(f.kernel_fn);
  p.kernel.bandwidth = f.bandwidth;
  p.kernel.degree = f.degree;
  p.kernel.offset = f.offset;
  p.kernel.single_precision = f.float32;
  p.kernel.validate();
  p.primal = !f.features.empty() && p.kernel.kind == KernelKind::kLinear &&
             cols_of(f.features) < largest_size;
  estimate_memory(f, largest_size, loo, p.primal);

  load_targets(f.labels, f.test_labels, &p.train, &p.test);
  p.description["labels"] = f.labels;
  p.description["test_labels"] = f.test_labels;
  if (!f.kernel.empty()) {
    load_kernel_pair(f, p);
  } else {
    load_features(f, p, progress);
    p.description["kernel_fn"] = kernel_name(p.kernel.kind);
    if (p.kernel.bandwidth > 0.0) {
      p.description["bandwidth"] = p.kernel.bandwidth;
    }
  }
  p.description["pool_size"] = p.pool_size();
  p.description["test_size"] = p.test.size();
  p.description["outputs"] = p.train.outputs();
  p.description["route"] = p.primal ? "primal" : "kernel";
  return p;
}

}  // namespace rmtlens::cli
