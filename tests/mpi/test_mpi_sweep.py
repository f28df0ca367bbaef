"""The distributed sweep against the single-process one.

usage: test_mpi_sweep.py RMTLENS PROCESSES [MPIEXEC]

Runs `rmtlens sweep` once on one process (the ordinary LAPACK route) and
once under `mpirun -n PROCESSES ... --distributed` (BLACS grid, pdsyevd,
MPI-IO), on the same inputs, and asserts that every number of sweep.csv
agrees to 1e-9 relative. The inputs are chosen to exercise what the
distributed path does differently:
- a C-order pool kernel and a Fortran-order float32 test kernel (the
  reader's two orientations; float32 is read exactly, then widened);
- block size 16 on a pool of 203 points: many blocks per process, ragged
  last blocks, and processes holding different local sizes; and the
  default 64, where a process may hold one block or none;
- the seeded pool permutation (nested sizes 60, 131, 203), exact LOO,
  classification error, and the theory columns (the population spectrum
  at a size of the sweep, at one that is not: --population-size, and a
  separate --population-kernel read with MPI-IO);
- features with an RBF kernel assembled block by block on each process,
  and those kernels written with MPI-IO (--write-kernel), read back here;
- pdsyevr as well as pdsyevd.
Ridges stay >= 1e-4 so that K + N lambda I is well conditioned: two
backward-stable eigensolvers then agree to ~cond * eps, far below 1e-9.
"""

import csv
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

RMTLENS = sys.argv[1]
PROCESSES = int(sys.argv[2])
MPIEXEC = sys.argv[3] if len(sys.argv) > 3 else "mpirun"
TOLERANCE = 1e-9

ENV = dict(os.environ,
           OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           OPENBLAS_NUM_THREADS="1")


def run(command):
    proc = subprocess.run(command, capture_output=True, text=True, env=ENV,
                          timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed "
                             f"({proc.returncode}):\n{proc.stdout}\n"
                             f"{proc.stderr}")
    return proc


def single(args):
    return run([RMTLENS, "sweep", *args])


def distributed(args):
    proc = run([MPIEXEC, "-n", str(PROCESSES), "--oversubscribe",
                RMTLENS, "sweep", "--distributed", *args])
    # ScaLAPACK reports a bad argument of an inner routine through PXERBLA
    # on stdout and may still return INFO = 0: such a line is a failure.
    if "On entry to" in proc.stdout + proc.stderr:
        raise AssertionError("ScaLAPACK rejected an argument:\n" +
                             proc.stdout + proc.stderr)
    return proc


def rbf(a, b, h):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-np.maximum(d2, 0) / (2 * h * h))


def make_inputs(folder, n=203, m=57, p=5, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    xt = rng.normal(size=(m, p))
    label = lambda z: (z[:, 0] > 0).astype(np.int64) + (z[:, 1] > 0.4)
    k = rbf(x, x, 2.0)
    kt = rbf(xt, x, 2.0).astype(np.float32)
    np.save(os.path.join(folder, "K.npy"), np.ascontiguousarray(k))
    np.save(os.path.join(folder, "KT.npy"), np.asfortranarray(kt))
    np.save(os.path.join(folder, "y.npy"), label(x))
    np.save(os.path.join(folder, "yt.npy"), label(xt))
    np.save(os.path.join(folder, "X.npy"), x)
    np.save(os.path.join(folder, "XT.npy"), xt)
    # A separate population of 90 points (Fortran order, float64).
    xp = rng.normal(size=(90, p))
    np.save(os.path.join(folder, "KP.npy"), np.asfortranarray(rbf(xp, xp,
                                                                  2.0)))
    np.save(os.path.join(folder, "yp.npy"), label(xp))
    return x, xt


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows[0].keys() if rows else [], rows


def close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def compare(case, reference, candidate, failures):
    ref_cols, ref_rows = read_csv(reference)
    cols, rows = read_csv(candidate)
    if list(ref_cols) != list(cols) or len(ref_rows) != len(rows):
        failures.append(f"{case}: columns {list(cols)} x {len(rows)} rows, "
                        f"expected {list(ref_cols)} x {len(ref_rows)}")
        return 0
    checked = 0
    for r, (a, b) in enumerate(zip(ref_rows, rows)):
        for c in ref_cols:
            checked += 1
            if not close(float(a[c]), float(b[c])):
                failures.append(f"{case}: row {r} {c}: single {a[c]} vs "
                                f"distributed {b[c]}")
    return checked


def main():
    failures = []
    checked = 0
    with tempfile.TemporaryDirectory(prefix="rmtlens-mpi-") as tmp:
        x, xt = make_inputs(tmp)
        f = lambda name: os.path.join(tmp, name)
        common = ["--labels", f("y.npy"), "--test-labels", f("yt.npy"),
                  "--sizes", "60,131,203", "--ridges", "log:1e-4:1:5",
                  "--seed", "11", "--loo"]
        kernels = ["--kernel", f("K.npy"), "--test-kernel", f("KT.npy")]
        features = ["--features", f("X.npy"), "--test-features", f("XT.npy"),
                    "--kernel-fn", "rbf", "--bandwidth", "2.0"]
        nb16 = ["--block-size", "16"]
        cases = {
            "kernel": (kernels + common, nb16),
            # The default block of 64 leaves some processes a single block
            # or none: the case where pdsyevd's own workspace falls short.
            "kernel-nb64": (kernels + common, []),
            "kernel-pdsyevr": (kernels + common, nb16 + ["--eigensolver",
                                                        "pdsyevr"]),
            "population-150": (kernels + common + ["--population-size",
                                                   "150"], nb16),
            "population-kernel": (kernels + common + [
                "--population-kernel", f("KP.npy"),
                "--population-labels", f("yp.npy")], nb16),
            "features": (features + common,
                         nb16 + ["--write-kernel", f("written")]),
        }
        for case, (args, extra) in cases.items():
            single(args + ["--out", f("single-" + case)])
            distributed(args + extra + ["--out", f("dist-" + case)])
            checked += compare(case, f(f"single-{case}/sweep.csv"),
                               f(f"dist-{case}/sweep.csv"), failures)

        # The kernels written with MPI-IO are the kernels, in file order.
        written = np.load(f("written/kernel.npy"))
        written_test = np.load(f("written/test_kernel.npy"))
        for name, got, want in (("kernel", written, rbf(x, x, 2.0)),
                                ("test_kernel", written_test,
                                 rbf(xt, x, 2.0))):
            checked += 1
            if got.shape != want.shape or not np.allclose(got, want,
                                                          rtol=0,
                                                          atol=1e-12):
                failures.append(f"--write-kernel {name}: differs from the "
                                f"RBF kernel by {np.abs(got - want).max()}")

    print(f"{PROCESSES} processes: {checked} numbers checked, "
          f"{len(failures)} failures")
    for line in failures[:40]:
        print("  " + line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
