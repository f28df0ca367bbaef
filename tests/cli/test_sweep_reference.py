"""rmtlens sweep against independent references computed here: NumPy
direct solves, literal leave-one-out refits and scikit-learn KernelRidge.

Tolerance 1e-9 relative: both sides are backward stable and the problem's
condition number (K + N lambda I) stays below ~1e6 for the ridges used.
"""

import os

import numpy as np
from sklearn.kernel_ridge import KernelRidge

from rmtlens_testing import Checks, make_problem, read_sweep, run, temp_dir

TOL = 1e-9


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def one_hot(y, classes):
    return (y[:, None] == classes[None, :]) - 1.0 / len(classes)


def direct(k, kt, y, yt, n, ridge):
    kn = k[:n, :n]
    yn = y[:n]
    a = kn + n * ridge * np.eye(n)
    alpha = np.linalg.solve(a, yn)
    pred = kt[:, :n] @ alpha
    train = ((kn @ alpha - yn) ** 2).sum() / n
    test = ((pred - yt) ** 2).sum() / len(yt)
    df = np.trace(np.linalg.solve(a, kn))
    loo = 0.0
    for i in range(n):
        keep = np.arange(n) != i
        ai = kn[np.ix_(keep, keep)] + n * ridge * np.eye(n - 1)
        f = kn[i, keep] @ np.linalg.solve(ai, yn[keep])
        loo += ((f - yn[i]) ** 2).sum()
    return dict(train_mse=train, test_mse=test, df=df, loo=loo / n,
                gcv=train / (1 - df / n) ** 2, pred=pred)


def main():
    checks = Checks()
    with temp_dir() as d:
        files = make_problem(d)
        classes = np.unique(files["y"])
        y = one_hot(files["y"], classes)
        yt = one_hot(files["yt"], classes)
        out = os.path.join(d, "out")
        run("sweep", "--kernel", f"{d}/K.npy", "--test-kernel",
            f"{d}/KT.npy", "--labels", f"{d}/y.npy", "--test-labels",
            f"{d}/yt.npy", "--sizes", "40,120", "--ridges",
            "1e-4,1e-3,1e-2,0.1", "--loo", "--no-shuffle", "--out", out)
        rows = read_sweep(os.path.join(out, "sweep.csv"))
        checks.check(len(rows) == 8, f"8 rows expected, got {len(rows)}")

        for row in rows:
            n, ridge = int(row["n"]), row["ridge"]
            ref = direct(files["K"], files["KT"], y, yt, n, ridge)
            for key in ("train_mse", "test_mse", "df", "loo", "gcv"):
                checks.check(rel(row[key], ref[key]) < TOL,
                             f"n={n} ridge={ridge} {key}: {row[key]} vs "
                             f"{ref[key]}")
            err = np.mean(ref["pred"].argmax(1) != yt.argmax(1))
            checks.check(row["test_error"] == err,
                         f"n={n} ridge={ridge} test_error {row['test_error']}"
                         f" vs {err}")

            # scikit-learn's KernelRidge minimises |Y - K a|^2 + alpha a'Ka,
            # so alpha = N lambda gives the same predictor.
            krr = KernelRidge(alpha=n * ridge, kernel="precomputed")
            krr.fit(files["K"][:n, :n], y[:n])
            pred = krr.predict(files["KT"][:, :n])
            sk_test = ((pred - yt) ** 2).sum() / len(yt)
            checks.check(rel(row["test_mse"], sk_test) < 1e-8,
                         f"n={n} ridge={ridge} sklearn test {sk_test}")

        # The feature route (rbf computed by rmtlens) reproduces the kernel
        # route on the same bandwidth.
        out2 = os.path.join(d, "out2")
        run("sweep", "--features", f"{d}/X.npy", "--test-features",
            f"{d}/XT.npy", "--kernel-fn", "rbf", "--bandwidth", "2",
            "--labels", f"{d}/y.npy", "--test-labels", f"{d}/yt.npy",
            "--sizes", "40,120", "--ridges", "1e-4,1e-3,1e-2,0.1", "--loo",
            "--no-shuffle", "--out", out2)
        for a, b in zip(rows, read_sweep(os.path.join(out2, "sweep.csv"))):
            checks.check(rel(b["gcv"], a["gcv"]) < 1e-8,
                         f"feature route gcv {b['gcv']} vs {a['gcv']}")

        # Linear features with p < N take the primal route; they must match
        # the kernel route on F F^T / p.
        x, xt = files["X"], files["XT"]
        p = x.shape[1]
        np.save(f"{d}/KL.npy", x @ x.T / p)
        np.save(f"{d}/KLT.npy", xt @ x.T / p)
        common = ["--labels", f"{d}/y.npy", "--test-labels", f"{d}/yt.npy",
                  "--sizes", "30,120", "--ridges", "0,1e-3,1", "--loo",
                  "--no-shuffle"]
        run("sweep", "--features", f"{d}/X.npy", "--test-features",
            f"{d}/XT.npy", *common, "--out", f"{d}/primal")
        run("sweep", "--kernel", f"{d}/KL.npy", "--test-kernel",
            f"{d}/KLT.npy", *common, "--out", f"{d}/dual")
        primal = read_sweep(f"{d}/primal/sweep.csv")
        dual = read_sweep(f"{d}/dual/sweep.csv")
        for a, b in zip(primal, dual):
            for key in ("train_mse", "gcv", "loo", "test_mse", "df"):
                checks.check(rel(a[key], b[key]) < 1e-7,
                             f"primal vs kernel {key}: {a[key]} vs {b[key]}")
    checks.close()


if __name__ == "__main__":
    main()
