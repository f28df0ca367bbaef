"""Strong and weak scaling of the distributed sweep on this machine.

usage: scaling_study.py RMTLENS [MPIEXEC]

Writes an RBF kernel pool (and a 500-point test kernel) with NumPy, then
times `rmtlens sweep` on one process (LAPACK) and under mpirun with 1, 2
and 4 processes (pdsyevd, block 64, OPENBLAS_NUM_THREADS=1 per process):
- strong: N fixed, processes 1, 2, 4;
- weak: N^2 / P fixed (the same local block per process), N = N0 sqrt(P).
Prints one line per run: the decomposition seconds of the largest size
(summary.json), the wall seconds, and the peak bytes per process the
sweep estimated for itself. Not a ctest test: timings need a quiet
machine. Environment: STRONG_N (3000), WEAK_N0 (1500), PROCESSES
(1,2,4: the process counts; more than the cores measures contention).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

# Absolute: the runs happen in a temporary directory.
RMTLENS = os.path.abspath(sys.argv[1])
MPIEXEC = sys.argv[2] if len(sys.argv) > 2 else "mpirun"
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           OPENBLAS_NUM_THREADS="1")


def write_pool(folder, n, m=500, p=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    xt = rng.normal(size=(m, p))
    sq = lambda a, b: ((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :]
                       - 2 * a @ b.T)
    np.save(os.path.join(folder, "K.npy"), np.exp(-sq(x, x) / (2 * p)))
    np.save(os.path.join(folder, "KT.npy"), np.exp(-sq(xt, x) / (2 * p)))
    np.save(os.path.join(folder, "y.npy"), (x[:, 0] > 0).astype(np.int64))
    np.save(os.path.join(folder, "yt.npy"), (xt[:, 0] > 0).astype(np.int64))


def sweep(folder, n, processes, out):
    args = [RMTLENS, "sweep", "--kernel", "K.npy", "--test-kernel", "KT.npy",
            "--labels", "y.npy", "--test-labels", "yt.npy", "--sizes",
            str(n), "--ridges", "log:1e-4:1:13", "--no-theory", "-v",
            "--out", out]
    if processes:
        args = [MPIEXEC, "-n", str(processes), "--oversubscribe", *args,
                "--distributed"]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=folder, env=ENV, capture_output=True,
                          text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    with open(os.path.join(folder, out, "summary.json")) as f:
        s = json.load(f)
    peak = ""
    for line in proc.stderr.splitlines():
        if "peak memory" in line:
            peak = line.split("peak memory:")[1].strip()
    return s["sizes"][-1]["decompose_seconds"], wall, peak


def main():
    strong_n = int(os.environ.get("STRONG_N", "3000"))
    weak_n0 = int(os.environ.get("WEAK_N0", "1500"))
    counts = [int(p) for p in os.environ.get("PROCESSES", "1,2,4").split(",")]
    with tempfile.TemporaryDirectory(prefix="rmtlens-scaling-") as tmp:
        largest = max(strong_n, int(round(weak_n0 * max(counts) ** 0.5)))
        write_pool(tmp, largest)
        print("kind    N  processes  decompose_s  wall_s  peak/process")
        runs = [("lapack", strong_n, 0)]
        runs += [("strong", strong_n, p) for p in counts]
        runs += [("lapack", int(round(weak_n0 * p ** 0.5)), 0)
                 for p in counts]
        runs += [("weak", int(round(weak_n0 * p ** 0.5)), p)
                 for p in counts]
        for k, (kind, n, p) in enumerate(runs):
            d, wall, peak = sweep(tmp, n, p, f"out{k}")
            print(f"{kind:7s} {n:5d} {p:9d} {d:12.2f} {wall:7.2f}  {peak}",
                  flush=True)


if __name__ == "__main__":
    main()
