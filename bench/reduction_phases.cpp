// Where the time of a sweep's decomposition goes: each LAPACK step that
// rmtlens sweep (and SciPy's eigh) performs, timed on its own.
//
//   reduction_phases K.npy [--outputs C] [--ridges R]
//
// Steps, in order, each on the state the previous ones left:
//   dsytrd         K = Q T Q^T (Householder reduction, lower storage)
//   dsterf         eigenvalues of T only (what DSYEVD jobz='N' adds)
//   dstemr         eigenpairs of T by MRRR (rmtlens, with or without LOO)
//   dormtr_targets Q^T Y for Y of C columns (rmtlens: B = W^T Q^T Y)
//   gemm_expand    W c for R*C coefficient columns (rmtlens: test predictions)
//   dormtr_expand  Q (W c): the same columns back to the kernel basis
//   dormtr_vectors V = Q W, N x N (rmtlens --loo; part of SciPy's eigh)
//   dsyevr         the whole of scipy.linalg.eigh(K) on a fresh copy
// Prints one JSON object: for each step its wall seconds and the CPU
// seconds of this process (all threads), so a shared machine shows as
// wall time well above CPU time / threads.
#include <lapacke.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmtlens/npy.hpp"

namespace {

using rmtlens::Matrix;
using rmtlens::Vector;

struct Stopwatch {
  std::chrono::steady_clock::time_point wall;
  double cpu = 0.0;
};

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

Stopwatch start() {
  return {std::chrono::steady_clock::now(), process_cpu_seconds()};
}

std::string lap(const char* name, const Stopwatch& s) {
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - s.wall)
          .count();
  const double cpu = process_cpu_seconds() - s.cpu;
  char text[160];
  std::snprintf(text,
                sizeof text,
                "\"%s\": {\"wall\": %.4f, \"cpu\": %.4f}",
                name,
                wall,
                cpu);
  return text;
}

void check(lapack_int info, const char* routine) {
  if (info != 0) {
    throw std::runtime_error(std::string(routine) + " returned info " +
                             std::to_string(info));
  }
}

struct Arguments {
  std::string kernel;
  int outputs = 10;  // C, columns of the targets
  int ridges = 25;   // R, ridges whose test predictions are expanded
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--outputs" && i + 1 < argc) {
      a.outputs = std::atoi(argv[++i]);
    } else if (arg == "--ridges" && i + 1 < argc) {
      a.ridges = std::atoi(argv[++i]);
    } else if (a.kernel.empty() && arg.rfind("--", 0) != 0) {
      a.kernel = arg;
    } else {
      throw std::invalid_argument("unexpected argument '" + arg + "'");
    }
  }
  if (a.kernel.empty() || a.outputs < 1 || a.ridges < 1) {
    throw std::invalid_argument(
        "usage: reduction_phases K.npy [--outputs C >= 1] [--ridges R >= 1]");
  }
  return a;
}

// Q x (trans 'N') or Q^T x (trans 'T') from DSYTRD's reflectors.
void apply_q(char trans,
             const Matrix& reflectors,
             const Vector& tau,
             Matrix& x) {
  const lapack_int n = static_cast<lapack_int>(reflectors.rows());
  check(LAPACKE_dormtr(LAPACK_COL_MAJOR,
                       'L',
                       'L',
                       trans,
                       n,
                       static_cast<lapack_int>(x.cols()),
                       reflectors.data(),
                       n,
                       tau.data(),
                       x.data(),
                       n),
        "DORMTR");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Arguments args = parse_arguments(argc, argv);
    const Matrix kernel = rmtlens::read_npy_matrix(args.kernel);
    const lapack_int n = static_cast<lapack_int>(kernel.rows());
    std::vector<std::string> laps;

    Matrix reflectors = kernel;
    Vector d(n), e(n), tau(std::max(n - 1, 1));
    Stopwatch s = start();
    check(LAPACKE_dsytrd(LAPACK_COL_MAJOR,
                         'L',
                         n,
                         reflectors.data(),
                         n,
                         d.data(),
                         e.data(),
                         tau.data()),
          "DSYTRD");
    laps.push_back(lap("dsytrd", s));
    e[n - 1] = 0.0;

    Vector d_only = d, e_only = e;
    s = start();
    check(LAPACKE_dsterf(n, d_only.data(), e_only.data()), "DSTERF");
    laps.push_back(lap("dsterf", s));

    // DSTEMR as rmtlens calls it: all eigenpairs, relative accuracy tried.
    Vector d_mrrr = d, e_mrrr = e, w(n);
    Matrix vectors(n, n);
    std::vector<lapack_int> support(2 * static_cast<size_t>(n));
    lapack_int found = 0;
    lapack_logical tryrac = 1;
    s = start();
    check(LAPACKE_dstemr(LAPACK_COL_MAJOR,
                         'V',
                         'A',
                         n,
                         d_mrrr.data(),
                         e_mrrr.data(),
                         0.0,
                         0.0,
                         0,
                         0,
                         &found,
                         w.data(),
                         vectors.data(),
                         n,
                         n,
                         support.data(),
                         &tryrac),
          "DSTEMR");
    laps.push_back(lap("dstemr", s));

    Matrix y = Matrix::Random(n, args.outputs);
    s = start();
    apply_q('T', reflectors, tau, y);
    const Matrix b = vectors.transpose() * y;
    laps.push_back(lap("dormtr_targets", s));

    const Matrix c = Matrix::Random(n, args.outputs * args.ridges);
    s = start();
    Matrix expanded = vectors * c;
    laps.push_back(lap("gemm_expand", s));
    s = start();
    apply_q('N', reflectors, tau, expanded);
    laps.push_back(lap("dormtr_expand", s));

    s = start();
    apply_q('N', reflectors, tau, vectors);
    laps.push_back(lap("dormtr_vectors", s));

    // scipy.linalg.eigh(K): DSYEVR, jobz 'V', range 'A', on a fresh copy.
    reflectors.resize(0, 0);
    Matrix a = kernel;
    std::vector<lapack_int> isuppz(2 * static_cast<size_t>(n));
    s = start();
    check(LAPACKE_dsyevr(LAPACK_COL_MAJOR,
                         'V',
                         'A',
                         'L',
                         n,
                         a.data(),
                         n,
                         0.0,
                         0.0,
                         0,
                         0,
                         0.0,
                         &found,
                         w.data(),
                         vectors.data(),
                         n,
                         isuppz.data()),
          "DSYEVR");
    laps.push_back(lap("dsyevr", s));

    std::printf("{\"n\": %d, \"outputs\": %d, \"ridges\": %d",
                static_cast<int>(n),
                args.outputs,
                args.ridges);
    for (const std::string& l : laps) std::printf(", %s", l.c_str());
    std::printf(", \"check\": %.6g}\n", b.norm() + expanded.norm());
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "reduction_phases: %s\n", ex.what());
    return 1;
  }
  return 0;
}
