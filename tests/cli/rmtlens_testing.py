"""Shared helpers of the command-line tests: run the program, make small
problems with NumPy, read sweep.csv."""

import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

RMTLENS = sys.argv[1] if len(sys.argv) > 1 else "build/rmtlens"


def run(*args, expect_ok=True):
    """Runs rmtlens; returns (returncode, stdout, stderr)."""
    proc = subprocess.run([RMTLENS, *map(str, args)], capture_output=True,
                          text=True)
    if expect_ok and proc.returncode != 0:
        raise AssertionError(f"rmtlens {' '.join(map(str, args))} failed "
                             f"({proc.returncode}):\n{proc.stderr}")
    return proc.returncode, proc.stdout, proc.stderr


def rbf(a, b, h):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-np.maximum(d2, 0) / (2 * h * h))


def make_problem(folder, n=120, m=50, p=6, seed=0):
    """Writes K.npy, KT.npy, y.npy, yt.npy, X.npy, XT.npy into folder."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    xt = rng.normal(size=(m, p))
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.3)
    yt = (xt[:, 0] > 0).astype(np.int64) + (xt[:, 1] > 0.3)
    k = rbf(x, x, 2.0)
    kt = rbf(xt, x, 2.0)
    files = dict(K=k, KT=kt, y=y, yt=yt, X=x, XT=xt)
    for name, value in files.items():
        np.save(os.path.join(folder, name + ".npy"), value)
    return files


def read_sweep(path):
    with open(path) as f:
        return [{k: float(v) for k, v in row.items()} for row in
                csv.DictReader(f)]


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="rmtlens-test-")


class Checks:
    """Collects failures so one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, condition, message):
        self.count += 1
        if not condition:
            self.failures.append(message)

    def close(self):
        for f in self.failures:
            print("FAIL:", f)
        print(f"{self.count - len(self.failures)} passed, "
              f"{len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)
