#include "rmtlens/mpi/eigensolver.hpp"

#include <algorithm>
#include <stdexcept>

#include "rmtlens/mpi/scalapack.hpp"

namespace rmtlens::mpi {

namespace {

constexpr int kOne = 1;

void check_arguments(int info, const char* routine) {
  if (info < 0) {
    throw std::logic_error(std::string(routine) + " rejected argument " +
                           std::to_string(-info));
  }
}

// pdsyevd: JOBZ = 'V' (it always forms eigenvectors), lower triangle.
// Workspace: the larger of the LWORK = -1 query and workspace_doubles
// (which adds what pdormtr needs; see there), LIWORK at least its
// documented minimum 7N + 8 NPCOL + 2.
int run_pdsyevd(DistributedMatrix& a, Vector& w, DistributedMatrix& z) {
  const char jobz = 'V';
  const char uplo = 'L';
  const int n = static_cast<int>(a.rows());
  int info = 0;
  // The workspace query and the solve differ only in the workspace.
  auto call = [&](double* work, int lwork, int* iwork, int liwork) {
    pdsyevd_(&jobz, &uplo, &n, a.data(), &kOne, &kOne, a.desc(), w.data(),
             z.data(), &kOne, &kOne, z.desc(), work, &lwork, iwork, &liwork,
             &info);
  };

  double work_size = 0.0;
  int iwork_size = 0;
  call(&work_size, -1, &iwork_size, -1);
  check_arguments(info, "pdsyevd (workspace query)");

  const int lwork = static_cast<int>(
      std::max(work_size,
               workspace_doubles(a.grid(), n, Eigensolver::kDivideAndConquer)));
  const int liwork = std::max(iwork_size, 7 * n + 8 * a.grid().cols() + 2);
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  call(work.data(), lwork, iwork.data(), liwork);
  check_arguments(info, "pdsyevd");
  return info;
}

// pdsyevr: JOBZ = 'V', RANGE = 'A' (every eigenpair), lower triangle.
int run_pdsyevr(DistributedMatrix& a, Vector& w, DistributedMatrix& z) {
  const char jobz = 'V';
  const char range = 'A';
  const char uplo = 'L';
  const int n = static_cast<int>(a.rows());
  const double unused_bound = 0.0;
  const int unused_index = 0;
  int found = 0;
  int found_vectors = 0;
  int info = 0;
  auto call = [&](double* work, int lwork, int* iwork, int liwork) {
    pdsyevr_(&jobz, &range, &uplo, &n, a.data(), &kOne, &kOne, a.desc(),
             &unused_bound, &unused_bound, &unused_index, &unused_index,
             &found, &found_vectors, w.data(), z.data(), &kOne, &kOne,
             z.desc(), work, &lwork, iwork, &liwork, &info);
  };

  double work_size = 0.0;
  int iwork_size = 0;
  call(&work_size, -1, &iwork_size, -1);
  check_arguments(info, "pdsyevr (workspace query)");

  const int lwork = static_cast<int>(work_size) + 1;
  const int liwork = iwork_size;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  call(work.data(), lwork, iwork.data(), liwork);
  check_arguments(info, "pdsyevr");
  if (info == 0 && found != n) info = n + 1;
  return info;
}

}  // namespace

Eigenpairs decompose(DistributedMatrix a, Eigensolver solver) {
  const Index n = a.rows();
  Eigenpairs e{Vector::Zero(n), DistributedMatrix(a.grid(), n, n), "", 0};
  if (n == 0) return e;
  if (solver == Eigensolver::kDivideAndConquer) {
    e.info = run_pdsyevd(a, e.values, e.vectors);
  } else {
    e.info = run_pdsyevr(a, e.values, e.vectors);
  }
  e.solver = eigensolver_name(solver);
  return e;
}

double workspace_doubles(const ProcessGrid& grid, Index n, Eigensolver solver) {
  const int nb = grid.block_size();
  const double np =
      static_cast<double>(local_extent(n, nb, grid.my_row(), grid.rows()));
  const double nq =
      static_cast<double>(local_extent(n, nb, grid.my_col(), grid.cols()));
  const double nd = static_cast<double>(n);
  if (solver == Eigensolver::kDivideAndConquer) {
    // pdsyevd.f: LWORK >= max(1 + 6N + 2 NP NQ, TRILWMIN) + 2N. That
    // minimum (and the LWORK query) can be short of what pdsyevd's own
    // back-transformation pdormtr needs, max(NB (NB - 1) / 2,
    // (NQ + NP) NB) + NB^2 (pdormtr.f), when N is a few blocks per
    // process: pdormtr then reports an illegal LWORK through PXERBLA and
    // pdsyevd returns INFO = 0 with vectors that were never back-
    // transformed. The margin below is pdormtr's need with a block of
    // slack on each side; it is O(N NB), small beside NP NQ.
    const double trilwmin = 3.0 * nd + std::max(nb * (np + 1), 3.0 * nb);
    const double ormtr =
        std::max(nb * (nb - 1) / 2.0, (nq + np + 2.0 * nb) * nb) + nb * nb;
    return std::max(1.0 + 6.0 * nd + 2.0 * np * nq, trilwmin) + 2.0 * nd +
           ormtr;
  }
  // pdsyevr.f: about 2 + 5N + max(18N, NP MQ + 2 NB^2) for JOBZ = 'V'.
  return 2.0 + 5.0 * nd + std::max(18.0 * nd, np * nq + 2.0 * nb * nb);
}

Eigensolver parse_eigensolver(const std::string& name) {
  if (name == "pdsyevd") return Eigensolver::kDivideAndConquer;
  if (name == "pdsyevr") return Eigensolver::kMrrr;
  throw InputError("--eigensolver: '" + name +
                   "' is not one of pdsyevd, pdsyevr");
}

std::string eigensolver_name(Eigensolver solver) {
  return solver == Eigensolver::kDivideAndConquer ? "pdsyevd" : "pdsyevr";
}

}  // namespace rmtlens::mpi
