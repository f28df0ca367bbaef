"""Measures the uncertainty rules of docs/uncertainty.md on real and
synthetic kernels, running the rmtlens program itself.

    /usr/bin/python3 tools/uncertainty/measure.py RMTLENS WORK \
        --rep raw-rbf=kernel:/tmp/unc/raw-rbf ... [--seeds 0,1,2]
        [--sizes log:100:3000:7] [--ridges log:1e-7:10:17]

Each --rep NAME=KIND:DIR names a directory with K.npy and KT.npy (KIND
kernel) or F.npy and FT.npy (KIND features), plus y.npy and yt.npy.
For every representation and seed it runs `rmtlens sweep --loo`, then
writes WORK/rows.csv (every row, tagged) and prints the tables the docs
quote: how resolved the test risks are, and how often the GCV rule names
the better estimator, for a grid of thresholds and for the default.
"""

import argparse
import csv
import os
import subprocess

import numpy as np


def sweep(rmtlens, name, kind, folder, seed, a, out):
    inputs = (["--kernel", f"{folder}/K.npy", "--test-kernel",
               f"{folder}/KT.npy"] if kind == "kernel" else
              ["--features", f"{folder}/F.npy", "--test-features",
               f"{folder}/FT.npy", "--kernel-fn", "linear"])
    cmd = [rmtlens, "sweep", "--loo", *inputs,
           "--labels", f"{folder}/y.npy", "--test-labels", f"{folder}/yt.npy",
           "--sizes", a.sizes, "--ridges", a.ridges, "--seed", str(seed),
           "--out", out]
    if not (a.reuse and os.path.exists(f"{out}/sweep.csv")):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(f"{out}/sweep.csv") as f:
        rows = list(csv.DictReader(f))
    pool = int(max(float(r["n"]) for r in rows))
    for r in rows:
        r.update(rep=name, seed=seed)
    # The whole pool is the same training set for every seed: keep it once.
    return [r for r in rows if seed == 0 or int(float(r["n"])) < pool]


def as_arrays(rows):
    keys = ["n", "ridge", "gcv", "loo", "test_mse", "test_mse_lo",
            "test_mse_hi", "df_fraction", "slack_cv", "leverage_cv",
            "leverage_max"]
    return {k: np.array([float(r[k]) for r in rows]) for k in keys}


def outcome(d, flagged):
    """Per row. The choice between GCV and LOO is decisive when they differ
    by more than the half-width of the test interval (closer is then not
    the test set's noise); otherwise either is right. GCV fails where the
    choice is decisive, LOO is closer and GCV lies outside the interval."""
    t, lo, hi = d["test_mse"], d["test_mse_lo"], d["test_mse_hi"]
    decisive = np.abs(d["gcv"] - d["loo"]) > (hi - lo) / 2
    gcv_closer = np.abs(d["gcv"] - t) <= np.abs(d["loo"] - t)
    in_g = (d["gcv"] >= lo) & (d["gcv"] <= hi)
    gcv_right = ~decisive | gcv_closer
    loo_right = ~decisive | ~gcv_closer
    right = np.where(flagged, loo_right, gcv_right)
    gcv_fails = decisive & ~gcv_closer & ~in_g
    return right, gcv_fails, gcv_right, loo_right


def judged(d, resolution):
    half = (d["test_mse_hi"] - d["test_mse_lo"]) / 2
    ok = np.isfinite(d["gcv"]) & np.isfinite(d["loo"])
    return ok & (half <= resolution * d["test_mse"])


def rule_table(d, mask, thresholds):
    lines = []
    for t in thresholds:
        flagged = d["slack_cv"] > t
        right, fails, _, _ = outcome(d, flagged)
        m = mask
        tp = (flagged & fails & m).sum()
        lines.append((t, right[m].mean(), tp / max((flagged & m).sum(), 1),
                      tp / max((fails & m).sum(), 1), flagged[m].mean()))
    return lines


def describe(name, d, resolution, default):
    half = (d["test_mse_hi"] - d["test_mse_lo"]) / 2 / d["test_mse"]
    mask = judged(d, resolution)
    right, fails, gcv_right, loo_right = outcome(d, d["slack_cv"] > default)
    print(f"\n## {name}: {len(half)} rows, resolved {mask.sum()} "
          f"({100 * mask.mean():.0f}%), relative half-width median "
          f"{100 * np.median(half):.1f}%, max {100 * half.max():.1f}%")
    print(f"GCV fails (outside the test interval, LOO decisively closer): "
          f"{fails[mask].sum()} of {mask.sum()} resolved rows")
    print(f"right: rule {100 * right[mask].mean():.1f}%, always GCV "
          f"{100 * gcv_right[mask].mean():.1f}%, always LOO "
          f"{100 * loo_right[mask].mean():.1f}%")
    print("threshold  right  precision  recall  flagged")
    for t, acc, prec, rec, frac in rule_table(
            d, mask, [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0]):
        print(f"{t:9.2f} {100 * acc:6.1f}% {100 * prec:9.1f}% "
              f"{100 * rec:6.1f}% {100 * frac:7.1f}%")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rmtlens")
    p.add_argument("work")
    p.add_argument("--rep", action="append", required=True)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--sizes", default="log:100:3000:7")
    p.add_argument("--ridges", default="log:1e-7:10:17")
    p.add_argument("--resolution", type=float, default=0.10)
    p.add_argument("--threshold", type=float, default=0.25)
    p.add_argument("--reuse", action="store_true",
                   help="read WORK/NAME-SEED/sweep.csv where it exists")
    a = p.parse_args()

    everything = []
    for spec in a.rep:
        name, rest = spec.split("=", 1)
        kind, folder = rest.split(":", 1)
        rows = []
        for seed in map(int, a.seeds.split(",")):
            out = os.path.join(a.work, f"{name}-{seed}")
            rows += sweep(a.rmtlens, name, kind, folder, seed, a, out)
        describe(name, as_arrays(rows), a.resolution, a.threshold)
        everything += rows
    describe("all", as_arrays(everything), a.resolution, a.threshold)

    keys = list(everything[0].keys())
    with open(os.path.join(a.work, "rows.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(everything)


if __name__ == "__main__":
    main()
