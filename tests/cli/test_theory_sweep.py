"""rmtlens sweep's theory columns against an independent NumPy/SciPy
implementation of DESIGN section 1: the population spectrum from eigh of
the pool kernel, kappa by Brent's method, the deterministic equivalent,
the plug-in spectrum, the isotropic model and the empirical effective
ridge. Also the population flags, their errors and --compare-to.

Tolerance 1e-7 relative: both sides solve the same well-conditioned
scalar equation to ~1e-12; the spectra come from two different
eigensolvers (agreeing to ~1e-13 of the largest eigenvalue).
"""

import json
import os

import numpy as np
from scipy.optimize import brentq

from rmtlens_testing import Checks, make_problem, read_sweep, run, temp_dir

TOL = 1e-7


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def centred(y, c):
    return (y[:, None] == np.arange(c)[None, :]) - 1.0 / c


def spectrum(k, y):
    """sigma, |theta|^2 and eps^2 of a P-point sample; eigenvalues within
    m eps d_1 of zero are null directions (theory.hpp)."""
    p = len(k)
    d, v = np.linalg.eigh(k)
    d, v = d[::-1], v[:, ::-1]
    energy = ((v.T @ y) ** 2).sum(1)
    keep = d > len(d) * np.finfo(float).eps * max(d[0], 0)
    residual = (y ** 2).sum() - energy[keep].sum()
    return d[keep] / p, energy[keep] / p, residual / p


def kappa(sigma, n, lam):
    f = lambda k: k * (1 - (sigma / (sigma + k)).sum() / n) - lam
    return brentq(f, lam, lam + sigma.sum() / n, xtol=1e-300, rtol=1e-14)


def de(sigma, theta, eps2, n, lam):
    k = kappa(sigma, n, lam)
    bias = (theta * (k / (sigma + k)) ** 2).sum()
    return (bias + eps2) / (1 - ((sigma / (sigma + k)) ** 2).sum() / n), k


def isotropic(sigma, theta, eps2, n, lam):
    r = sigma.sum() ** 2 / (sigma ** 2).sum()
    s = sigma.sum() / r
    b = s * (1 - r / n) - lam
    k = (-b + np.sqrt(b * b + 4 * lam * s)) / 2
    w = k / (s + k)
    return (theta.sum() * w * w + eps2) / (1 - r / n * (s / (s + k)) ** 2)


def check_rows(c, rows, k, y, pop, label):
    for row in rows:
        n, lam = int(row["n"]), row["ridge"]
        want, kap = de(*pop, n, lam)
        c.check(rel(row["de_population"], want) < TOL,
                f"{label} de_population n={n} ridge={lam}: "
                f"{row['de_population']} vs {want}")
        c.check(rel(row["kappa_population"], kap) < TOL,
                f"{label} kappa_population n={n} ridge={lam}")
        own = spectrum(k[:n, :n], y[:n])
        c.check(rel(row["de_plugin"], de(*own, n, lam)[0]) < TOL,
                f"{label} de_plugin n={n} ridge={lam}")
        c.check(rel(row["isotropic"], isotropic(*pop, n, lam)) < TOL,
                f"{label} isotropic n={n} ridge={lam}")
        dn = np.linalg.eigvalsh(k[:n, :n])
        emp = 1 / np.mean(1 / (np.maximum(dn, 0) / n + lam))
        c.check(rel(row["kappa_empirical"], emp) < 1e-9,
                f"{label} kappa_empirical n={n} ridge={lam}")


def main():
    c = Checks()
    with temp_dir() as d:
        f = make_problem(d, n=120, m=50)
        k, y = f["K"], centred(f["y"], 3)
        j = lambda name: os.path.join(d, name)
        base = ["sweep", "--kernel", j("K.npy"), "--test-kernel", j("KT.npy"),
                "--labels", j("y.npy"), "--test-labels", j("yt.npy"),
                "--sizes", "30,60", "--ridges", "1e-4,1e-2", "--no-shuffle"]

        # Population: the whole pool (not a sweep size: decomposed apart).
        run(*base, "--out", j("a"))
        rows = read_sweep(j("a/sweep.csv"))
        check_rows(c, rows, k, y, spectrum(k, y), "pool")
        s = json.load(open(j("a/summary.json")))
        for name in ["de_population", "de_plugin", "isotropic",
                     "classical_bound"]:
            c.check(name in s["relative_error_vs_test"],
                    f"summary lacks relative_error_vs_test.{name}")
        c.check(s["local_law"]["kappa_relative_gap"]["rows"] == 4,
                "local_law gap summarises 4 rows")
        c.check(s["population"]["size"] == 120, "population size 120")
        c.check(all(r["classical_bound"] > r["test_mse"] for r in rows),
                "classical bound above the test risk")

        # --population-size equal to a sweep size reuses its decomposition.
        run(*base, "--population-size", "60", "--out", j("b"))
        check_rows(c, read_sweep(j("b/sweep.csv")), k, y,
                   spectrum(k[:60, :60], y[:60]), "P=60")

        # A separate population kernel (here the pool again) agrees.
        run(*base, "--population-kernel", j("K.npy"), "--population-labels",
            j("y.npy"), "--out", j("c"))
        same = all(rel(p["de_population"], q["de_population"]) < 1e-12
                   for p, q in zip(rows, read_sweep(j("c/sweep.csv"))))
        c.check(same, "--population-kernel of the pool equals the default")

        # Errors name the flag and the bound; nothing is written.
        code, _, err = run(*base, "--population-size", "500", "--out",
                           j("e1"), expect_ok=False)
        c.check(code == 2 and "--population-size = 500 (must be in [1, 120])"
                in err, f"bad --population-size: {code} {err}")
        c.check(not os.path.exists(j("e1/sweep.csv")), "no output on error")
        code, _, err = run(*base, "--population-kernel", j("K.npy"),
                           "--out", j("e2"), expect_ok=False)
        c.check(code == 2 and "--population-kernel needs --population-labels"
                in err, f"missing --population-labels: {code} {err}")

        # Ordering against a second representation.
        np.save(j("K2.npy"), k ** 2)
        np.save(j("KT2.npy"), f["KT"] ** 2)
        run("sweep", "--kernel", j("K2.npy"), "--test-kernel", j("KT2.npy"),
            "--labels", j("y.npy"), "--test-labels", j("yt.npy"),
            "--sizes", "30,60", "--ridges", "1e-4,1e-2", "--no-shuffle",
            "--compare-to", j("a/sweep.csv"), "--out", j("d"))
        o = json.load(open(j("d/summary.json")))["ordering"]
        c.check(o["gcv"]["points"] == 4 and
                isinstance(o["de_population"]["orders_correctly"], bool),
                f"ordering table: {o}")
    c.close()


if __name__ == "__main__":
    main()
