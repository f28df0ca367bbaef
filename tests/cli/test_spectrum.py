"""rmtlens spectrum against NumPy: eigenvalues of K/N, label alignment
a_i, A(k) and 1 - A(k), and the weighted power-law fits recomputed with
numpy.polyfit over the reported index range; several kernels side by
side; the range flags and their errors."""

import json
import os

import numpy as np

from rmtlens_testing import Checks, run, temp_dir


def read_csv(path):
    with open(path) as f:
        names = f.readline().strip().split(",")
    return names, np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def weighted_fit(values, first, last):
    """Exponent of the 1/i-weighted least-squares line of log v on log i
    (np.polyfit weights multiply residuals, hence sqrt(1/i))."""
    i = np.arange(first, last + 1)
    v = values[first - 1:last]
    keep = v > 0
    slope, _ = np.polyfit(np.log(i[keep]), np.log(v[keep]), 1,
                          w=np.sqrt(1.0 / i[keep]))
    return -slope


def main():
    c = Checks()
    with temp_dir() as d:
        j = lambda *p: os.path.join(d, *p)
        run("synth", "--n", "400", "--test-n", "10", "--dim", "800",
            "--alpha", "1.6", "--gamma", "1.0", "--noise", "0.0",
            "--sizes", "100", "--out", j("data"))
        x = np.load(j("data", "features.npy"))
        y = np.load(j("data", "labels.npy"))
        k = x @ x.T / x.shape[1]

        run("spectrum", "--kernel", j("data", "kernel.npy"), "--labels",
            j("data", "labels.npy"), "--no-shuffle", "--out", j("one"))
        _, spec = read_csv(j("one", "spectrum.csv"))
        _, al = read_csv(j("one", "alignment.csv"))
        dv, v = np.linalg.eigh(k)
        dv, v = dv[::-1] / 400, v[:, ::-1]
        c.check(np.abs(spec[:, 1] - dv[:len(spec)]).max() < 1e-12 * dv[0],
                "eigenvalues of K/N")
        energy = ((v.T @ y) ** 2).sum(1)
        a = energy / energy.sum()
        c.check(np.abs(al[:, 1] - a[:len(al)]).max() < 1e-9,
                "alignment a_i")
        c.check(np.abs(al[:, 2] + al[:, 3] - 1).max() < 1e-12,
                "A(k) + tail(k) = 1")

        s = json.load(open(j("one", "summary.json")))["kernels"][0]
        fit = s["eigen_decay"]
        want = weighted_fit(spec[:, 1], fit["first"], fit["last"])
        c.check(abs(fit["exponent"] - want) < 1e-9,
                f"alpha {fit['exponent']} vs numpy {want}")
        c.check(abs(fit["exponent"] - 1.6) < 0.15, "alpha near 1.6")
        tail = s["tail_energy"]
        want = weighted_fit(al[:, 3], tail["first"], tail["last"])
        c.check(abs(tail["exponent"] - want) < 1e-9, "gamma as numpy")
        c.check(abs(tail["exponent"] - 1.0) < 0.2, "gamma near 1")

        # Two inputs side by side, an explicit range.
        run("spectrum", "--kernel", j("data", "kernel.npy"), "--features",
            j("data", "features.npy"), "--name", "k", "--name", "f",
            "--labels", j("data", "labels.npy"), "--decay-range", "3:30",
            "--out", j("two"))
        s = json.load(open(j("two", "summary.json")))["kernels"]
        c.check([e["name"] for e in s] == ["k", "f"], "names in order")
        c.check(s[0]["eigen_decay"]["first"] == 3 and
                s[0]["eigen_decay"]["last"] == 30, "range override")
        c.check(abs(s[0]["eigen_decay"]["exponent"] -
                    s[1]["eigen_decay"]["exponent"]) < 1e-9,
                "kernel and feature routes agree")
        names, both = read_csv(j("two", "spectra.csv"))
        c.check(names[:3] == ["index", "eigenvalue.k", "cumulative.k"],
                f"side-by-side header {names}")
        c.check(os.path.exists(j("two", "f", "alignment.csv")),
                "per-kernel folders")

        code, _, err = run("spectrum", "--kernel", j("data", "kernel.npy"),
                           "--labels", j("data", "labels.npy"),
                           "--decay-range", "30:3", "--out", j("bad"),
                           expect_ok=False)
        c.check(code == 2 and "--decay-range: '30:3' needs 1 <= FIRST < LAST"
                in err, f"bad range: {code} {err}")
        code, _, err = run("spectrum", "--labels", j("data", "labels.npy"),
                           "--out", j("bad"), expect_ok=False)
        c.check(code == 2 and "give at least one --kernel or --features"
                in err, f"no input: {code} {err}")
    c.close()


if __name__ == "__main__":
    main()
