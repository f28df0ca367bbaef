"""rmtlens synth: the files it writes (shapes, the linear kernels, the
population it reports), seeding, and that its output feeds rmtlens sweep,
spectrum and scaling. Checks against NumPy recomputations (1e-12)."""

import filecmp
import json
import os

import numpy as np

from rmtlens_testing import Checks, run, temp_dir


def main():
    c = Checks()
    with temp_dir() as d:
        j = lambda *p: os.path.join(d, *p)
        args = ["synth", "--n", "300", "--test-n", "2000", "--dim", "150",
                "--outputs", "2", "--alpha", "1.3", "--gamma", "0.8",
                "--noise", "0.2", "--seed", "4", "--sizes", "50,100,300",
                "--ridges", "1e-4,1e-2"]
        _, out, _ = run(*args, "--out", j("a"))
        x = np.load(j("a", "features.npy"))
        xt = np.load(j("a", "test_features.npy"))
        y = np.load(j("a", "labels.npy"))
        yt = np.load(j("a", "test_labels.npy"))
        c.check(x.shape == (300, 150) and xt.shape == (2000, 150),
                f"feature shapes {x.shape} {xt.shape}")
        c.check(y.shape == (300, 2) and yt.shape == (2000, 2),
                f"label shapes {y.shape} {yt.shape}")
        k = np.load(j("a", "kernel.npy"))
        kt = np.load(j("a", "test_kernel.npy"))
        c.check(np.abs(k - x @ x.T / 150).max() < 1e-12 * np.abs(k).max(),
                "kernel.npy is F F^T / p")
        c.check(np.abs(kt - xt @ x.T / 150).max() < 1e-12 * np.abs(kt).max(),
                "test_kernel.npy is F* F^T / p")
        pop = np.loadtxt(j("a", "population.csv"), delimiter=",",
                         skiprows=1)
        c.check(np.allclose(pop[:, 1], np.arange(1, 151) ** -1.3,
                            rtol=1e-14), "population sigma_j = j^-alpha")
        c.check(abs(pop[:, 2].sum() - 2.0) < 1e-12,
                "signal energy 1 per output")
        s = json.load(open(j("a", "summary.json")))
        c.check([r["n"] for r in s["gcv_convergence"]] == [50, 100, 300],
                "gcv_convergence per size")
        c.check(s["gcv_error_rate"]["points"] == 3, "rate fitted on 3 sizes")
        c.check("GCV relative error ~ N^-" in out, "rate printed")

        # Same seed, same bytes; another seed, other data.
        run(*args, "--out", j("b"))
        c.check(filecmp.cmp(j("a", "features.npy"), j("b", "features.npy"),
                            shallow=False), "seeded: identical features")
        other = [a if a != "4" else "5" for a in args]
        run(*other, "--out", j("c"))
        c.check(not filecmp.cmp(j("a", "features.npy"),
                                j("c", "features.npy"), shallow=False),
                "another seed differs")

        # Non-Gaussian variants run and keep unit latent variance.
        for dist in ["sparse", "heavy-tailed"]:
            run("synth", "--n", "2000", "--test-n", "10", "--dim", "5",
                "--distribution", dist, "--sparsity", "0.3", "--sizes", "100",
                "--out", j(dist))
            z = np.load(j(dist, "features.npy")) / np.sqrt(
                5 * np.arange(1, 6) ** -1.5)
            c.check(np.abs((z ** 2).mean(0) - 1).max() < 0.25,
                    f"{dist}: unit latent variance {(z ** 2).mean(0)}")
        code, _, err = run("synth", "--distribution", "cauchy", "--out",
                           j("e"), expect_ok=False)
        c.check(code == 2 and "--distribution 'cauchy'" in err,
                f"bad distribution: {code} {err}")

        # Every other subcommand runs on the synthetic files.
        run("sweep", "--features", j("a", "features.npy"),
            "--test-features", j("a", "test_features.npy"),
            "--labels", j("a", "labels.npy"),
            "--test-labels", j("a", "test_labels.npy"),
            "--sizes", "100,300", "--ridges", "1e-3", "--out", j("sw"))
        c.check(os.path.exists(j("sw", "sweep.csv")), "sweep on synth output")
    c.close()


if __name__ == "__main__":
    main()
