"""Every bad input gets one clear line on stderr naming the file or flag, a
non-zero exit, and no output written."""

import os

import numpy as np

from rmtlens_testing import Checks, make_problem, run, temp_dir


def expect_error(checks, d, name, args, needle):
    out = os.path.join(d, "out-" + name)
    code, stdout, stderr = run(*args, "--out", out, expect_ok=False)
    errors = [l for l in stderr.splitlines() if l.startswith("rmtlens:")]
    checks.check(code != 0, f"{name}: exit code 0")
    checks.check(len(errors) == 1, f"{name}: expected one error line, got "
                 f"{stderr!r}")
    checks.check(needle in stderr, f"{name}: {needle!r} not in {stderr!r}")
    written = os.listdir(out) if os.path.isdir(out) else []
    checks.check(not written, f"{name}: wrote {written}")


def main():
    checks = Checks()
    with temp_dir() as d:
        f = make_problem(d, n=40, m=15)
        save = lambda name, a: np.save(os.path.join(d, name), a)
        path = lambda name: os.path.join(d, name)

        def sweep(kernel="K.npy", test_kernel="KT.npy", labels="y.npy",
                  test_labels="yt.npy", sizes="10,40", ridges="1e-3"):
            return ["sweep", "--kernel", path(kernel), "--test-kernel",
                    path(test_kernel), "--labels", path(labels),
                    "--test-labels", path(test_labels), "--sizes", sizes,
                    "--ridges", ridges]

        save("K_short.npy", f["K"][:30, :30])
        expect_error(checks, d, "shape-labels", sweep(kernel="K_short.npy",
                     test_kernel="KT.npy"), "columns but the pool")
        save("y_short.npy", f["y"][:30])
        expect_error(checks, d, "shape-y", sweep(labels="y_short.npy"),
                     "y_short.npy: has 30 rows but")
        save("yt_short.npy", f["yt"][:5])
        expect_error(checks, d, "shape-yt", sweep(test_labels="yt_short.npy"),
                     "yt_short.npy: has 5 rows")

        k_nan = f["K"].copy()
        k_nan[3, 7] = np.nan
        save("K_nan.npy", k_nan)
        expect_error(checks, d, "nan", sweep(kernel="K_nan.npy"),
                     "K_nan.npy: non-finite value nan at row 3, column 7")
        kt_inf = f["KT"].copy()
        kt_inf[2, 1] = np.inf
        save("KT_inf.npy", kt_inf)
        expect_error(checks, d, "inf", sweep(test_kernel="KT_inf.npy"),
                     "KT_inf.npy: non-finite value inf")

        save("K_rect.npy", f["K"][:, :39])
        expect_error(checks, d, "non-square", sweep(kernel="K_rect.npy"),
                     "K_rect.npy: a kernel must be square, got shape (40, 39)")
        k_asym = f["K"].copy()
        k_asym[0, 5] += 0.1
        save("K_asym.npy", k_asym)
        expect_error(checks, d, "asymmetric", sweep(kernel="K_asym.npy"),
                     "K_asym.npy: the kernel is not symmetric")

        expect_error(checks, d, "size-above-pool", sweep(sizes="10,41"),
                     "--sizes: 41 is outside [1, 40], the pool size")
        expect_error(checks, d, "negative-ridge", sweep(ridges="1e-3,-1"),
                     "--ridges: -1 is not a finite number >= 0")

        open(path("empty.npy"), "wb").close()
        expect_error(checks, d, "empty-file", sweep(kernel="empty.npy"),
                     "empty.npy")
        with open(path("junk.npy"), "wb") as junk:
            junk.write(b"this is not a numpy file at all")
        expect_error(checks, d, "malformed", sweep(labels="junk.npy"),
                     "junk.npy")
        with open(path("K.npy"), "rb") as good:
            head = good.read(300)
        with open(path("truncated.npy"), "wb") as bad:
            bad.write(head)
        expect_error(checks, d, "truncated", sweep(kernel="truncated.npy"),
                     "truncated.npy")

        y_neg = f["y"].copy()
        y_neg[4] = -1
        save("y_neg.npy", y_neg)
        expect_error(checks, d, "negative-label", sweep(labels="y_neg.npy"),
                     "y_neg.npy: class labels must be >= 0, found -1 at "
                     "index 4")
        yt_new = f["yt"].copy()
        yt_new[2] = 7
        save("yt_new.npy", yt_new)
        expect_error(checks, d, "unknown-class", sweep(test_labels="yt_new.npy"),
                     "yt_new.npy: label 7 at index 2 is not among the "
                     "training classes")

        # A sparse file holding a 300000 x 300000 float64 kernel (720 GB):
        # the memory check refuses before reading any data and points at
        # the distributed build.
        header = "{'descr': '<f8', 'fortran_order': False, " \
                 "'shape': (300000, 300000), }"
        header += " " * (117 - len(header)) + "\n"
        with open(path("huge.npy"), "wb") as huge:
            huge.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                       + header.encode())
            huge.truncate(128 + 300000 * 300000 * 8)
        expect_error(checks, d, "memory", sweep(kernel="huge.npy"),
                     "of memory but only")
        expect_error(checks, d, "memory-pointer", sweep(kernel="huge.npy"),
                     "or the distributed build (docs/scale-out.md)")

        expect_error(checks, d, "missing-file", sweep(kernel="nope.npy"),
                     "nope.npy")
        expect_error(checks, d, "both-inputs",
                     sweep() + ["--features", path("X.npy"),
                                "--test-features", path("XT.npy")],
                     "exactly one pair")
    checks.close()


if __name__ == "__main__":
    main()
