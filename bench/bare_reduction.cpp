// The cost floor of a sweep: one eigenvalues-only reduction of the kernel
// (DSYEVD with jobz = 'N', i.e. DSYTRD plus DSTERF), timed without loading.
//
//   bare_reduction K.npy [--repeat R]
//
// Prints one JSON object on stdout:
//   {"n": N, "load_seconds": L, "seconds": S, "repeats": R,
//    "largest_eigenvalue": E}
// where S is the fastest of R reductions of fresh copies of K. The peak
// resident size of this process is the kernel, one working copy of it (only
// when R > 1) and LAPACK's O(N) workspace.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include "rmtlens/npy.hpp"
#include "rmtlens/spectral.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Arguments {
  std::string kernel;
  int repeats = 1;  // >= 1; the minimum over repeats is reported
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      a.repeats = std::atoi(argv[++i]);
    } else if (a.kernel.empty() && arg.rfind("--", 0) != 0) {
      a.kernel = arg;
    } else {
      throw std::invalid_argument("unexpected argument '" + arg + "'");
    }
  }
  if (a.kernel.empty() || a.repeats < 1) {
    throw std::invalid_argument(
        "usage: bare_reduction K.npy [--repeat R], R >= 1");
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Arguments args = parse_arguments(argc, argv);

    const auto t_load = Clock::now();
    rmtlens::Matrix kernel = rmtlens::read_npy_matrix(args.kernel);
    const double load_seconds = seconds_since(t_load);
    if (kernel.rows() != kernel.cols()) {
      throw std::invalid_argument(args.kernel + " is not square");
    }
    const long long n = static_cast<long long>(kernel.rows());

    // The last repeat consumes the loaded kernel itself, so a single
    // repeat never holds a second N x N matrix.
    double best = 0.0;
    double largest = 0.0;
    for (int r = 0; r < args.repeats; ++r) {
      const bool last = r + 1 == args.repeats;
      rmtlens::Matrix work = last ? std::move(kernel) : kernel;
      const auto t0 = Clock::now();
      const rmtlens::Vector w = rmtlens::kernel_eigenvalues(std::move(work));
      const double seconds = seconds_since(t0);
      best = r == 0 ? seconds : std::min(best, seconds);
      largest = w.size() > 0 ? w[0] : 0.0;
    }

    std::printf(
        "{\"n\": %lld, \"load_seconds\": %.6f, \"seconds\": %.6f, "
        "\"repeats\": %d, \"largest_eigenvalue\": %.17g}\n",
        n,
        load_seconds,
        best,
        args.repeats,
        largest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bare_reduction: %s\n", e.what());
    return 1;
  }
  return 0;
}
