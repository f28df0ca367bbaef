"""rmtlens scaling: measured exponents equal a NumPy log-log fit of the
sweep's own rows, the power-law prediction and the closed form are
reported, extrapolation rows carry their errors; --n0 and --fixed-ridge
outside the grid are errors."""

import json
import os

import numpy as np

from rmtlens_testing import Checks, read_sweep, run, temp_dir


def main():
    c = Checks()
    with temp_dir() as d:
        j = lambda *p: os.path.join(d, *p)
        run("synth", "--n", "800", "--test-n", "2000", "--dim", "1600",
            "--alpha", "1.5", "--gamma", "1.0", "--noise", "0.05",
            "--sizes", "100", "--no-kernel", "--out", j("data"))
        base = ["scaling", "--features", j("data", "features.npy"),
                "--test-features", j("data", "test_features.npy"),
                "--labels", j("data", "labels.npy"),
                "--test-labels", j("data", "test_labels.npy"),
                "--sizes", "100,200,400,800", "--ridges", "1e-5,1e-3,1e-1"]
        _, out, _ = run(*base, "--out", j("s"))
        s = json.load(open(j("s", "summary.json")))["scaling"]
        rows = read_sweep(j("s", "sweep.csv"))
        fixed = [r for r in rows if r["ridge"] == 1e-5]
        slope = np.polyfit(np.log([r["n"] for r in fixed]),
                           np.log([r["test_mse"] for r in fixed]), 1)[0]
        got = s["measured_exponent_fixed_ridge"]["exponent"]
        c.check(abs(got + slope) < 1e-9, f"measured exponent {got} {-slope}")
        c.check(s["fixed_ridge"] == 1e-5, "default fixed ridge")
        closed = s["closed_form_exponent"]
        c.check(closed is not None and 0 < closed <= 3, f"closed {closed}")
        c.check(s["power_law_exponent_best_ridge"]["ok"], "power-law curve")
        e = s["extrapolation"]
        c.check(e["n0"] == 100 and e["ok"], "extrapolation from n0 = 100")
        c.check(e["relative_error_vs_test"]["rows"] >= 9,
                f"measured extrapolation points {e['relative_error_vs_test']}")
        ex = np.loadtxt(j("s", "extrapolation.csv"), delimiter=",",
                        skiprows=1)
        c.check(ex[:, 0].max() == 800, "extrapolation up to 8 n0")
        lc = open(j("s", "learning_curve.csv")).readline()
        c.check(lc.startswith("n,test_fixed_ridge"), f"header {lc}")
        c.check("min(gamma, 2 alpha)" in out, "printed table")

        code, _, err = run(*base, "--n0", "150", "--out", j("e"),
                           expect_ok=False)
        c.check(code == 2 and "--n0 = 150 is not one of the sizes" in err,
                f"bad n0: {code} {err}")
        code, _, err = run(*base, "--fixed-ridge", "0.5", "--out", j("e"),
                           expect_ok=False)
        c.check(code == 2 and "is not one of the ridges" in err,
                f"bad fixed ridge: {code} {err}")
    c.close()


if __name__ == "__main__":
    main()
