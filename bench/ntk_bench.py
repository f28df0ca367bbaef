#!/usr/bin/python3
"""eNTK throughput of rmtlens against a PyTorch per-sample autograd loop on
the same ResNet, weights and inputs, and the J J^T phase against the
machine's measured GEMM rate. A script, not a test: it prints the rows of
BENCHMARKS.md's "Empirical NTK" section.

    /usr/bin/python3 bench/ntk_bench.py BUILD_DIR [--n 2000] [--threads 2]

Steps: draw N Fashion-MNIST training images of classes 5-9; pretrain a
ResNet-20 briefly so BatchNorm statistics are not trivial; time
`rmtlens ntk` (structured gradients, one chunk and the default budget)
and bench/ntk_baseline.py; time `rmtlens ntk --model` on the same network
exported to TorchScript (the per-sample fallback) on fewer inputs; time
float32 GEMM through the BLAS both programs link; compare the kernels.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FMNIST = os.environ.get("RMTLENS_FASHION_MNIST",
                        "/usr/share/datasets/fashion-mnist")


def fashion_mnist_inputs(n, classes):
    with gzip.open(os.path.join(FMNIST, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(os.path.join(FMNIST, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    rows = np.flatnonzero(np.isin(labels, classes))[:n]
    images = images.reshape(-1, 1, 28, 28)[rows]
    return (images / 255.0).astype(np.float32)


def timed(command, env=None):
    """Runs command under /usr/bin/time; returns (stdout, wall s, peak MB)."""
    full = ["/usr/bin/time", "-f", "TIME %e %M"] + command
    r = subprocess.run(full, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{r.stderr}")
    line = [l for l in r.stderr.splitlines() if l.startswith("TIME ")][-1]
    _, wall, peak_kb = line.split()
    return r.stdout, float(wall), float(peak_kb) / 1024


def gemm_rate(threads, shape):
    """Best float32 GEMM rate (GFLOP/s) of three runs of an m x k by
    k x n product through torch.mm, which calls the system BLAS."""
    torch.set_num_threads(threads)
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2.0 * m * k * n / best / 1e9


def run_rmtlens(rmtlens, work, budget, extra, name, env):
    out = os.path.join(work, name)
    command = [rmtlens, "ntk", "--inputs", os.path.join(work, "x.npy"),
               "--out", out, "--memory-budget", str(budget)] + extra
    _, wall, peak = timed(command, env)
    summary = json.load(open(os.path.join(out, "ntk.json")))
    compute = summary["seconds"]["gradients"] + summary["seconds"]["gram"]
    return summary, compute, wall, peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--script-n", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default="/tmp/rmtlens_ntk_bench")
    a = ap.parse_args()
    rmtlens = os.path.join(a.build, "rmtlens")
    os.makedirs(a.work, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads))

    x = fashion_mnist_inputs(a.n, [5, 6, 7, 8, 9])
    np.save(os.path.join(a.work, "x.npy"), x)
    weights = os.path.join(a.work, "w.pt")
    timed([rmtlens, "pretrain", "--train-count", "1024", "--epochs", "1",
           "--heldout-count", "500", "--threads", str(a.threads),
           "--out", weights], env)

    threads = ["--threads", str(a.threads), "--weights", weights]
    one, one_s, one_wall, one_peak = run_rmtlens(
        rmtlens, a.work, 8192, threads, "one_chunk", env)
    dflt, dflt_s, dflt_wall, dflt_peak = run_rmtlens(
        rmtlens, a.work, 2048, threads, "default_budget", env)

    base_k = os.path.join(a.work, "k_baseline.npy")
    script = os.path.join(a.work, "resnet20.pt")
    out, base_wall, base_peak = timed(
        ["/usr/bin/python3", os.path.join(HERE, "ntk_baseline.py"), weights,
         os.path.join(a.work, "x.npy"), base_k, "--threads", str(a.threads),
         "--export-torchscript", script], env)
    base = json.loads(out.strip().splitlines()[-1])
    base_s = base["loop_s"] + base["gram_s"]

    k_ours = np.load(os.path.join(a.work, "one_chunk", "kernel.npy"))
    k_base = np.load(base_k)
    agreement = np.abs(k_ours - k_base).max() / np.abs(k_base).max()

    np.save(os.path.join(a.work, "x_small.npy"), x[:a.script_n])
    small = os.path.join(a.work, "script")
    _, ts_wall, ts_peak = timed(
        [rmtlens, "ntk", "--model", script, "--inputs",
         os.path.join(a.work, "x_small.npy"), "--out", small,
         "--threads", str(a.threads)], env)
    ts = json.load(open(os.path.join(small, "ntk.json")))

    p = one["parameters"]
    square = gemm_rate(a.threads, (4096, 4096, 4096))
    jjt = gemm_rate(a.threads, (a.n, p, a.n))
    machine = max(square, jjt)
    n2 = float(a.n) ** 2
    rows = [
        ("PyTorch per-sample loop + J @ J.T (float32)", base_s, base_wall,
         base_peak, base["gram_s"], 2.0 * n2 * p / base["gram_s"] / 1e9),
        ("rmtlens ntk, structured, one chunk (8 GiB budget)", one_s,
         one_wall, one_peak, one["seconds"]["gram"],
         one["gram_gflops_per_s"]),
        (f"rmtlens ntk, structured, default 2 GiB budget "
         f"({dflt['chunks']} chunks)", dflt_s, dflt_wall, dflt_peak,
         dflt["seconds"]["gram"], dflt["gram_gflops_per_s"]),
    ]
    print(f"ResNet-20 width 16, 1x28x28, {p} parameters, N = {a.n}, "
          f"{a.threads} threads, float32")
    print("| run | compute s | wall s | entries/s | vs PyTorch | "
          "J J^T s | J J^T GFLOP/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s, wall, peak, gram_s, rate in rows:
        print(f"| {name} | {s:.1f} | {wall:.1f} | {n2 / s:,.0f} | "
              f"{base_s / s:.1f}x | {gram_s:.1f} | {rate:.0f} | {peak:.0f} |")
    ts_s = ts["seconds"]["gradients"] + ts["seconds"]["gram"]
    print(f"| rmtlens ntk --model (TorchScript export, per-sample, "
          f"N = {a.script_n}) | {ts_s:.1f} | {ts_wall:.1f} | "
          f"{a.script_n ** 2 / ts_s:,.0f} | - | "
          f"{ts['seconds']['gram']:.1f} | {ts['gram_gflops_per_s']:.0f} | "
          f"{ts_peak:.0f} |")
    print(f"\nGEMM rate, float32: {square:.0f} GFLOP/s (4096^3), "
          f"{jjt:.0f} GFLOP/s ({a.n} x {p} x {a.n}); J J^T phase of the "
          f"one-chunk run at {one['gram_gflops_per_s'] / machine:.0%} of the "
          f"better one")
    print(f"per-sample gradients: PyTorch loop {base['loop_s']:.1f} s, "
          f"rmtlens structured {one['seconds']['gradients']:.1f} s")
    print(f"max |K_rmtlens - K_pytorch| / max |K_pytorch| = {agreement:.2e}")


if __name__ == "__main__":
    main()
