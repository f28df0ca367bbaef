// rmtlens kernel: a kernel pair from features, ready for `rmtlens sweep`.
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "rmtlens/atomic_file.hpp"
#include "rmtlens/kernels.hpp"
#include "rmtlens/npy.hpp"
#include "rmtlens/validate.hpp"

namespace rmtlens::cli {

namespace {

struct KernelFlags {
  std::string features;
  std::string test_features;
  std::string kernel_fn = "rbf";
  double bandwidth = 0.0;
  int degree = 3;
  double offset = 1.0;
  bool float32 = false;
  std::string out;
  int verbosity = 0;
};

void run_kernel(const KernelFlags& f) {
  configure_logging(f.verbosity);
  KernelOptions options;
  options.kind = parse_kernel_kind(f.kernel_fn);
  options.bandwidth = f.bandwidth;
  options.degree = f.degree;
  options.offset = f.offset;
  options.single_precision = f.float32;
  options.validate();

  const Matrix x = read_npy_matrix(f.features);
  const Matrix xt = read_npy_matrix(f.test_features);
  require_finite(x, f.features);
  require_finite(xt, f.test_features);
  if (x.cols() != xt.cols()) {
    throw InputError(f.test_features + ": has " + std::to_string(xt.cols()) +
                     " features per row but " + f.features + " has " +
                     std::to_string(x.cols()));
  }
  require_memory(8 * (x.rows() * x.rows() + xt.rows() * x.rows()),
                 "the kernel pair");
  ensure_directory(f.out);

  options = resolve_bandwidth(options, x);
  const Matrix k = kernel_gram(x, options);
  const Matrix kt = kernel_matrix(xt, x, options);
  write_npy(f.out + "/kernel.npy", k);
  write_npy(f.out + "/test_kernel.npy", kt);
  std::printf(
      "wrote %s/kernel.npy (%lld x %lld) and %s/test_kernel.npy "
      "(%lld x %lld), kernel %s%s\n",
      f.out.c_str(),
      static_cast<long long>(k.rows()),
      static_cast<long long>(k.cols()),
      f.out.c_str(),
      static_cast<long long>(kt.rows()),
      static_cast<long long>(kt.cols()),
      kernel_name(options.kind).c_str(),
      options.bandwidth > 0
          ? (", bandwidth " + std::to_string(options.bandwidth)).c_str()
          : "");
}

}  // namespace

void add_kernel_command(CLI::App& app) {
  auto flags = std::make_shared<KernelFlags>();
  CLI::App* c = app.add_subcommand(
      "kernel", "Compute a train kernel and a test kernel from features.");
  c->add_option("--features", flags->features, "Npool x p .npy")->required();
  c->add_option("--test-features", flags->test_features, "M x p .npy")
      ->required();
  c->add_option("--kernel-fn",
                flags->kernel_fn,
                "linear, rbf, laplace, poly, arccos0, arccos1")
      ->capture_default_str();
  c->add_option("--bandwidth",
                flags->bandwidth,
                "rbf/laplace bandwidth; 0 = median pairwise distance")
      ->capture_default_str();
  c->add_option("--degree", flags->degree, "poly degree")
      ->capture_default_str();
  c->add_option("--offset", flags->offset, "poly offset")
      ->capture_default_str();
  c->add_flag("--float32", flags->float32, "GEMM in float32");
  c->add_option("--out", flags->out, "output directory")->required();
  c->add_flag("-v,--verbose", flags->verbosity, "more log lines");
  c->callback([flags] { run_kernel(*flags); });
}

}  // namespace rmtlens::cli
