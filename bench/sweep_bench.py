#!/usr/bin/python3
"""Time `rmtlens sweep` against NumPy/SciPy and scikit-learn baselines.

Issue 2, item 8. For each training size N the script builds an RBF kernel of
Fashion-MNIST pixels (all 10 classes, M test points, C = 10 centred one-hot
outputs), saves it as .npy files and times, each as its own process:

  rmtlens          rmtlens sweep (train, GCV, df, test over every ridge;
                   --no-theory --bootstrap 0, as NumPy computes neither)
  rmtlens-loo      the same with --loo (exact leave-one-out as well)
  rmtlens-defaults rmtlens sweep as a user runs it: theory columns and
                   bootstrap intervals on (for information)
  numpy            scipy.linalg.eigh of K, then every ridge from the
                   eigendecomposition: what a paper author writes
  numpy-loo        the same plus exact LOO from the eigenvectors
  kernel-ridge     scikit-learn KernelRidge(kernel='precomputed') refit per
                   ridge, test predictions and test risk per ridge
  ridge-cv         scikit-learn RidgeCV (exact LOO over every ridge) on the
                   Cholesky factor of K as features, test risk at its ridge
  bare             bench/bare_reduction: DSYEVD eigenvalues only, timed
                   inside the process without loading the kernel

Wall time, CPU time and peak resident size come from /usr/bin/time around
each child (and a clock in this script). Every
side except `bare` includes loading its .npy inputs. The environment
(OpenBLAS threads and core type) is the same for every side. Results are
cross-checked (rmtlens against the NumPy script, relative 1e-8) and the
section between the markers in BENCHMARKS.md is rewritten from this run.

Run with Debian's Python, which has NumPy, SciPy and scikit-learn:

  /usr/bin/python3 bench/sweep_bench.py --sizes 2000,4000,8000

The same file is also the child program of the Python sides
(`sweep_bench.py child SIDE ...`), so what is timed is visible here.
"""

import argparse
import datetime
import gzip
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

BEGIN_MARK = "<!-- sweep:begin -->"
END_MARK = "<!-- sweep:end -->"
RIDGE_MIN, RIDGE_MAX = 1e-6, 1.0
SIDES = ("rmtlens", "rmtlens-loo", "rmtlens-defaults", "numpy",
         "numpy-loo", "kernel-ridge", "ridge-cv", "bare")
RMTLENS_SIDES = ("rmtlens", "rmtlens-loo", "rmtlens-defaults")
SKLEARN_SIDES = ("kernel-ridge", "ridge-cv")
PYTHON_SIDES = ("numpy", "numpy-loo", "kernel-ridge", "ridge-cv")
# The NumPy side that computes the same quantities as each side.
COUNTERPART = {"rmtlens": "numpy", "rmtlens-loo": "numpy-loo",
               "rmtlens-defaults": "numpy",
               "numpy": "numpy", "numpy-loo": "numpy-loo",
               "kernel-ridge": "numpy", "ridge-cv": "numpy-loo",
               "bare": None}
RELATIVE_TOLERANCE = 1e-8


# ---------------------------------------------------------------------------
# Child programs: the baselines exactly as they are timed.

def load_problem(paths):
    """Loads K, K*, labels and test labels; returns them with the centred
    one-hot targets Y (N x C) and Y* (M x C) and the test class indices."""
    import numpy as np
    k = np.load(paths.kernel)
    kt = np.load(paths.test_kernel)
    y = np.load(paths.labels)
    yt = np.load(paths.test_labels)
    classes = np.unique(y)
    c = len(classes)
    targets = (y[:, None] == classes[None, :]) - 1.0 / c
    test_targets = (yt[:, None] == classes[None, :]) - 1.0 / c
    test_index = np.searchsorted(classes, yt)
    return k, kt, targets, test_targets, test_index


def test_scores(predictions, test_targets, test_index):
    """Test risk (mean over points of the squared error summed over outputs)
    and classification error (argmax mismatch)."""
    errors = ((predictions - test_targets) ** 2).sum(axis=1)
    wrong = predictions.argmax(axis=1) != test_index
    return float(errors.mean()), float(wrong.mean())


def child_numpy(paths, ridges, loo):
    """The eigh script: one eigendecomposition, every ridge from it
    (DESIGN.md section 1 formulas)."""
    import numpy as np
    import scipy.linalg
    t0 = time.perf_counter()
    k, kt, y, yt, yt_index = load_problem(paths)
    n = k.shape[0]
    t1 = time.perf_counter()

    d, v = scipy.linalg.eigh(k)
    d = np.clip(d, 0.0, None)
    b = v.T @ y
    kt_v = kt @ v
    energy = (b ** 2).sum(axis=1)
    v2 = v ** 2 if loo else None
    t2 = time.perf_counter()

    rows = []
    for ridge in ridges:
        g = 1.0 / (d + n * ridge)
        s = d * g
        train = ((n * ridge * g) ** 2 @ energy) / n
        df = s.sum()
        row = {"ridge": ridge, "train_mse": train, "df": df,
               "gcv": train / (1.0 - df / n) ** 2}
        predictions = kt_v @ (g[:, None] * b)
        row["test_mse"], row["test_error"] = test_scores(
            predictions, yt, yt_index)
        if loo:
            alpha = v @ (g[:, None] * b)
            g_diag = v2 @ g
            row["loo"] = float(
                ((alpha / g_diag[:, None]) ** 2).sum(axis=1).mean())
        rows.append(row)
    t3 = time.perf_counter()
    return rows, {"load": t1 - t0, "decompose": t2 - t1, "evaluate": t3 - t2,
                  "eigh_driver": "scipy.linalg.eigh default (evr)"}


def child_kernel_ridge(paths, ridges):
    """scikit-learn KernelRidge refit per ridge: one Cholesky solve of
    (K + N lambda I) per ridge, alpha = N lambda."""
    from sklearn.kernel_ridge import KernelRidge
    t0 = time.perf_counter()
    k, kt, y, yt, yt_index = load_problem(paths)
    n = k.shape[0]
    t1 = time.perf_counter()

    rows = []
    for ridge in ridges:
        model = KernelRidge(alpha=n * ridge, kernel="precomputed")
        model.fit(k, y)
        predictions = model.predict(kt)
        test, error = test_scores(predictions, yt, yt_index)
        rows.append({"ridge": ridge, "test_mse": test, "test_error": error})
    t2 = time.perf_counter()
    return rows, {"load": t1 - t0, "evaluate": t2 - t1}


def child_ridge_cv(paths, ridges):
    """scikit-learn RidgeCV needs features, not a kernel: X = L with
    K = L L^T (Cholesky), test features X* = K* L^-T, so X X^T = K and
    X* X^T = K*. RidgeCV(gcv_mode='eigen') then forms X X^T, takes its eigh
    and computes exact LOO for every alpha = N lambda; the test risk is that
    of the LOO-chosen ridge."""
    import numpy as np
    import scipy.linalg
    from sklearn.linear_model import RidgeCV
    t0 = time.perf_counter()
    k, kt, y, yt, yt_index = load_problem(paths)
    n = k.shape[0]
    t1 = time.perf_counter()

    factor = scipy.linalg.cholesky(k, lower=True)
    del k
    test_features = scipy.linalg.solve_triangular(
        factor, kt.T, lower=True).T
    t2 = time.perf_counter()

    alphas = n * np.asarray(ridges)
    model = RidgeCV(alphas=alphas, fit_intercept=False, gcv_mode="eigen",
                    store_cv_values=True)
    model.fit(factor, y)
    loo = model.cv_values_.sum(axis=1).mean(axis=0)
    predictions = model.predict(test_features)
    test, error = test_scores(predictions, yt, yt_index)
    t3 = time.perf_counter()

    rows = [{"ridge": r, "loo": float(value)} for r, value in zip(ridges, loo)]
    chosen = float(model.alpha_) / n
    for row in rows:
        if math.isclose(row["ridge"], chosen, rel_tol=1e-12):
            row["test_mse"], row["test_error"] = test, error
    return rows, {"load": t1 - t0, "factor": t2 - t1, "evaluate": t3 - t2,
                  "chosen_ridge": chosen}


def run_child(args):
    """Entry point of `sweep_bench.py child SIDE`: runs one baseline and
    writes its rows and phase timings as JSON."""
    ridges = ridge_grid(args.ridge_count)
    if args.side in ("numpy", "numpy-loo"):
        rows, phases = child_numpy(args, ridges, args.side == "numpy-loo")
    elif args.side == "kernel-ridge":
        rows, phases = child_kernel_ridge(args, ridges)
    else:
        rows, phases = child_ridge_cv(args, ridges)
    with open(args.result, "w") as out:
        json.dump({"rows": rows, "phases": phases}, out)


# ---------------------------------------------------------------------------
# Inputs: Fashion-MNIST pixels and their RBF kernel.

def ridge_grid(count):
    """The grid of `--ridges log:1e-6:1:COUNT`: evenly spaced in log10."""
    import numpy as np
    return [float(r) for r in np.logspace(math.log10(RIDGE_MIN),
                                          math.log10(RIDGE_MAX), count)]


def read_idx(path):
    """A gzip IDX file (images n x rows x cols or labels n) as an array."""
    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    return values.reshape(shape)


def load_fashion_mnist(folder, n_max, m, seed):
    """The first n_max points of a seeded permutation of the train split and
    m points of the test split: pixels in [0, 1] (flattened) and labels."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"))
    xt = read_idx(os.path.join(folder, "t10k-images-idx3-ubyte.gz"))
    yt = read_idx(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"))
    train = rng.permutation(len(y))[:n_max]
    test = rng.permutation(len(yt))[:m]
    flat = lambda images: images.reshape(len(images), -1) / 255.0
    return (flat(x[train]), y[train].astype(np.int64),
            flat(xt[test]), yt[test].astype(np.int64))


def rbf(a, b, bandwidth):
    """exp(-|a_i - b_j|^2 / (2 h^2)), rmtlens's RBF convention."""
    import numpy as np
    d2 = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-np.maximum(d2, 0.0) / (2.0 * bandwidth ** 2))


def median_distance(x, count=1000):
    """Median pairwise distance of the first `count` rows (rmtlens's
    bandwidth heuristic)."""
    import numpy as np
    head = x[:count]
    d2 = (head ** 2).sum(1)[:, None] + (head ** 2).sum(1)[None, :]
    d2 -= 2 * head @ head.T
    upper = d2[np.triu_indices(len(head), k=1)]
    return float(np.median(np.sqrt(np.maximum(upper, 0.0))))


def write_inputs(folder, data, n, bandwidth):
    """Saves K (N x N, exactly symmetric), K* (M x N) and both label files
    for the leading N training points; returns their paths."""
    import numpy as np
    x, y, xt, yt = data
    k = rbf(x[:n], x[:n], bandwidth)
    k = 0.5 * (k + k.T)
    np.fill_diagonal(k, 1.0)
    paths = {name: os.path.join(folder, f"{name}_{n}.npy")
             for name in ("kernel", "test_kernel", "labels", "test_labels")}
    np.save(paths["kernel"], k)
    np.save(paths["test_kernel"], rbf(xt, x[:n], bandwidth))
    np.save(paths["labels"], y[:n])
    np.save(paths["test_labels"], yt)
    return paths


# ---------------------------------------------------------------------------
# Timing one side.

def side_command(side, paths, args, out_dir):
    """The command line of one side, and the file its results land in."""
    if side in RMTLENS_SIDES:
        command = [args.rmtlens, "sweep",
                   "--kernel", paths["kernel"],
                   "--test-kernel", paths["test_kernel"],
                   "--labels", paths["labels"],
                   "--test-labels", paths["test_labels"],
                   "--sizes", str(paths["n"]),
                   "--ridges", f"log:1e-6:1:{args.ridge_count}",
                   "--no-shuffle", "--out", out_dir]
        if side != "rmtlens-defaults":
            # The NumPy script computes neither the theory columns nor
            # bootstrap intervals: like for like, both are off.
            command += ["--no-theory", "--bootstrap", "0"]
        if side == "rmtlens-loo":
            command.append("--loo")
        return command, out_dir
    if side == "bare":
        return [args.bare, paths["kernel"]], None
    result = os.path.join(out_dir, "result.json")
    command = [sys.executable, os.path.abspath(__file__), "child", side,
               "--kernel", paths["kernel"],
               "--test-kernel", paths["test_kernel"],
               "--labels", paths["labels"],
               "--test-labels", paths["test_labels"],
               "--ridge-count", str(args.ridge_count),
               "--result", result]
    return command, result


def busy_cpu_seconds():
    """CPU seconds all processes have spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(side, paths, args, work):
    """One timed run of `side` at the size in `paths`: wall seconds, CPU
    seconds, peak RSS bytes, CPU seconds other processes took meanwhile,
    the results it produced and its phase timings."""
    out_dir = tempfile.mkdtemp(prefix=f"{side}_{paths['n']}_", dir=work)
    command, result = side_command(side, paths, args, out_dir)
    stdout_path = os.path.join(out_dir, "stdout.txt")
    stderr_path = os.path.join(out_dir, "stderr.txt")
    usage_path = os.path.join(out_dir, "time.txt")
    # /usr/bin/time is a small parent: a child forked from this script
    # would inherit this script's peak RSS in its ru_maxrss across exec.
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", usage_path] + command
    busy_before = busy_cpu_seconds()
    start = time.perf_counter()
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        code = subprocess.call(timed, stdout=out, stderr=err)
    wall = time.perf_counter() - start
    busy = busy_cpu_seconds() - busy_before
    if code != 0:
        with open(stderr_path) as f:
            raise RuntimeError(f"{shlex.join(command)} failed:\n"
                               f"{f.read()[-2000:]}")
    with open(stdout_path) as f:
        stdout = f.read()
    with open(usage_path) as f:
        max_kb, user, system = f.read().split()[-3:]
    cpu = float(user) + float(system)
    record = {"side": side, "n": paths["n"], "wall": wall, "cpu": cpu,
              "others": max(busy - cpu, 0.0) / wall,
              "rss": int(max_kb) * 1024, "command": command}
    record.update(read_side_results(side, stdout, result))
    return record


def read_side_results(side, stdout, result):
    """Rows and phase timings of a finished side."""
    if side == "bare":
        return {"phases": json.loads(stdout), "rows": []}
    if side in RMTLENS_SIDES:
        with open(os.path.join(result, "summary.json")) as f:
            summary = json.load(f)
        size = summary["sizes"][-1]
        phases = {"decompose": size["decompose_seconds"],
                  "evaluate": size["evaluate_seconds"],
                  "build": summary.get("build", {})}
        return {"phases": phases,
                "rows": read_csv_rows(os.path.join(result, "sweep.csv"))}
    with open(result) as f:
        return json.load(f)


def read_csv_rows(path):
    """sweep.csv as a list of dicts of floats."""
    with open(path) as f:
        header = f.readline().strip().split(",")
        return [dict(zip(header, map(float, line.strip().split(","))))
                for line in f if line.strip()]


# ---------------------------------------------------------------------------
# Agreement between the sides.

def max_relative_difference(rows, reference, field):
    """Largest |a - b| / |b| over ridges of `field`, where both sides have
    it; None if no row has it."""
    worst = None
    for a, b in zip(rows, reference):
        if field in a and field in b and b[field] != 0.0:
            if not math.isclose(a["ridge"], b["ridge"], rel_tol=1e-12):
                raise RuntimeError("ridge grids differ between sides")
            gap = abs(a[field] - b[field]) / abs(b[field])
            worst = gap if worst is None else max(worst, gap)
    return worst


def agreement(best):
    """Relative differences of each side against its NumPy counterpart at
    one N: a list of (side, field, worst difference, checked)."""
    checks = []
    plan = [("rmtlens", "numpy", ("train_mse", "gcv", "df", "test_mse"),
             True),
            ("rmtlens-loo", "numpy-loo",
             ("train_mse", "gcv", "df", "test_mse", "loo"), True),
            ("rmtlens-defaults", "numpy",
             ("train_mse", "gcv", "df", "test_mse"), True),
            ("kernel-ridge", "numpy", ("test_mse",), False),
            ("ridge-cv", "numpy-loo", ("loo", "test_mse"), False)]
    for side, reference, fields, strict in plan:
        if side not in best or reference not in best:
            continue
        for field in fields:
            gap = max_relative_difference(best[side]["rows"],
                                          best[reference]["rows"], field)
            if gap is not None:
                checks.append((side, reference, field, gap, strict))
    return checks


# ---------------------------------------------------------------------------
# The machine and the report.

def machine_description(best_runs):
    """nproc, CPU model, OpenBLAS configuration and threads, load."""
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    build = {}
    for record in best_runs:
        build = record.get("phases", {}).get("build", build) or build
    info = {"nproc": os.cpu_count(), "cpu": model,
            "kernel": platform.release(),
            "openblas": build.get("openblas", "unknown"),
            "openblas_threads": build.get("openblas_threads", "unknown"),
            "compiler": build.get("compiler", "unknown"),
            "env": {k: v for k, v in os.environ.items()
                    if k.startswith(("OPENBLAS", "OMP", "MKL"))}}
    import numpy
    import scipy
    import scipy.linalg  # noqa: F401  (loads the BLAS that is described)
    import sklearn
    try:
        import threadpoolctl
        info["python_blas"] = [
            {key: p.get(key) for key in ("internal_api", "version",
                                         "num_threads", "architecture",
                                         "filepath")}
            for p in threadpoolctl.threadpool_info()]
    except ImportError:
        info["python_blas"] = "threadpoolctl not installed"
    info["versions"] = (f"Python {platform.python_version()}, NumPy "
                        f"{numpy.__version__}, SciPy {scipy.__version__}, "
                        f"scikit-learn {sklearn.__version__}")
    return info


def size_table(n, best, repeats):
    """Markdown table of one N."""
    unit = 8.0 * n * n
    bare = best.get("bare")
    lines = [f"### N = {n} ({repeats} run{'s' if repeats > 1 else ''} per "
             f"side, fastest shown)", "",
             "| side | wall s | CPU s | others | peak RSS MB "
             "| RSS / (N x N f64) | vs NumPy counterpart "
             "| vs bare reduction | phases (s) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for side in SIDES:
        if side not in best:
            continue
        r = best[side]
        wall = r["timed"]
        reference = COUNTERPART[side]
        vs_numpy = (f"{wall / best[reference]['timed']:.2f} x {reference}"
                    if reference in best and reference != side else "")
        vs_bare = f"{wall / bare['timed']:.2f}" if bare else ""
        lines.append(f"| {side} | {wall:.2f} | {r['cpu']:.1f} | "
                     f"{r['others']:.2f} | "
                     f"{r['rss'] / 2**20:.0f} | {r['rss'] / unit:.2f} | "
                     f"{vs_numpy} | {vs_bare} | {phase_text(r)} |")
    return lines


def phase_text(record):
    """Phase timings a side reported about itself."""
    phases = record.get("phases", {})
    parts = []
    for key in ("load", "load_seconds", "factor", "decompose", "seconds",
                "evaluate"):
        if isinstance(phases.get(key), (int, float)):
            label = {"load_seconds": "load", "seconds": "reduce"}.get(key,
                                                                      key)
            parts.append(f"{label} {phases[key]:.2f}")
    if "chosen_ridge" in phases:
        parts.append(f"LOO ridge {phases['chosen_ridge']:.3g}")
    return ", ".join(parts)


def target_lines(n, best):
    """The targets of issue 2 at the largest N, checked."""
    def ratio(a, b):
        if a in best and b in best:
            return best[a]["timed"] / best[b]["timed"]
        return None

    def cpu_ratio(a, b):
        if a in best and b in best:
            return best[a]["cpu"] / best[b]["cpu"]
        return None

    unit = 8.0 * n * n
    pairs = [("rmtlens", "numpy", 0.6), ("rmtlens", "bare", 1.3),
             ("rmtlens-loo", "numpy-loo", 1.1)]
    checks = [(f"{a} / {b}, wall time", ratio(a, b), bound)
              for a, b, bound in pairs]
    if "rmtlens" in best and "bare" in best:
        checks.append(("rmtlens without LOO, its own decompose phase "
                       "(no load, no output) / bare reduction",
                       best["rmtlens"]["phases"]["decompose"]
                       / best["bare"]["timed"], 1.3))
    for side in ("rmtlens", "rmtlens-loo"):
        if side in best:
            checks.append((f"peak RSS of {side} in N x N float64 matrices",
                           best[side]["rss"] / unit, 3.0))
    lines = [f"### Targets at N = {n}", "",
             "Wall-time ratios decide; on a shared machine the ratio of "
             "CPU seconds (each process's own, all threads) is shown beside "
             "them, as it is less disturbed by other work.", ""]
    for name, value, bound in checks:
        if value is None:
            lines.append(f"- {name}: not measured")
            continue
        verdict = "met" if value <= bound else "NOT met"
        lines.append(f"- {name}: {value:.2f} (target <= {bound}): "
                     f"**{verdict}**")
    for a, b, bound in pairs:
        value = cpu_ratio(a, b)
        if value is not None:
            lines.append(f"- for information, {a} / {b}, CPU seconds: "
                         f"{value:.2f} (bound {bound})")
    return lines


def agreement_lines(all_checks):
    """Markdown list of the cross-checks."""
    lines = ["### Agreement", "",
             f"rmtlens against the NumPy script must agree to relative "
             f"{RELATIVE_TOLERANCE:g} on every ridge; scikit-learn's numbers "
             f"are shown for information (different algorithms: Cholesky "
             f"solves, an eigh of the recomputed Gram L L^T).", ""]
    for n, checks in all_checks:
        for side, reference, field, gap, strict in checks:
            verdict = ""
            if strict:
                verdict = (" ok" if gap <= RELATIVE_TOLERANCE
                           else " **DISAGREE**")
            lines.append(f"- N = {n}: {side} vs {reference}, {field}: "
                         f"max relative difference {gap:.1e}{verdict}")
    return lines


def report_section(args, machine, tables, all_checks, targets, loads,
                   started, elapsed):
    """The whole '## Sweep' section, markers included."""
    command = "/usr/bin/python3 " + shlex.join(
        [os.path.relpath(os.path.abspath(__file__))] + sys.argv[1:])
    # A few hundredths of a core is this script and the kernel's own
    # bookkeeping; a tenth on average, or a third at any moment, is
    # somebody else's work.
    shared = sum(loads) / len(loads) > 0.1 or max(loads) > 0.3
    blas = machine["python_blas"]
    if isinstance(blas, list):
        blas = "; ".join(f"{p['internal_api']} {p['version']} "
                         f"{p['architecture']}, {p['num_threads']} threads "
                         f"({p['filepath']})" for p in blas)
    lines = [
        BEGIN_MARK,
        "## Sweep",
        "",
        "Written by `bench/sweep_bench.py`; every number below comes from "
        "the run it describes. Do not edit by hand: rerun the script.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} (run took {elapsed / 60:.0f} "
        f"min)",
        f"- Command: `{command}`",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), Linux "
        f"{machine['kernel']}",
        f"- rmtlens build: OpenBLAS `{machine['openblas']}`, "
        f"{machine['openblas_threads']} threads; {machine['compiler']}",
        f"- Python: {machine['versions']}; BLAS {blas}",
        f"- Environment, the same for every side: "
        f"{machine['env'] or 'no OpenBLAS/OMP variables'}",
        f"- Other processes' CPU use while a side ran (busy CPU time from "
        f"/proc/stat minus the side's own, per wall second): mean "
        f"{sum(loads) / len(loads):.2f} cores, max {max(loads):.2f}."
        + (" **The machine was shared with other work during this run** "
           "(other processes were busy), so wall times carry noise; sides "
           "were interleaved per N, and the columns `CPU s` (the side's "
           "own CPU time) and `others` (cores taken by other processes "
           "meanwhile) show how much each run was disturbed."
           if shared else ""),
        "",
        "Setup: Fashion-MNIST (Debian `dataset-fashion-mnist`), all 10 "
        f"classes, pixels in [0, 1]; N training points from a seeded "
        f"permutation of the train split, M = {args.test_size} test points; "
        "RBF kernel exp(-|x - x'|^2 / (2 h^2)) with h the median pairwise "
        "distance of 1000 training points; C = 10 outputs (centred "
        f"one-hot); {args.ridge_count} ridges log-spaced in "
        f"[{RIDGE_MIN:g}, {RIDGE_MAX:g}] (lambda in K + N lambda I).",
        "",
        "What each side computes and what its time includes (every side "
        "but `bare` loads its .npy inputs from disk inside the timed "
        "process; times are wall seconds of the whole process):",
        "",
        "- `rmtlens`: `rmtlens sweep` — train, GCV, df, test risk and error "
        "per ridge; one DSYTRD, DSTEMR eigenpairs of the tridiagonal, "
        "DORMTR applied to the targets and the test coefficients only. "
        "Run with `--no-theory --bootstrap 0`: the theory columns and the "
        "bootstrap intervals, on by default, have no counterpart in the "
        "NumPy script.",
        "- `rmtlens-loo`: the same with `--loo` (eigenvectors formed, exact "
        "leave-one-out per ridge).",
        "- `rmtlens-defaults`: `rmtlens sweep` with its default options, "
        "for information: `rmtlens` plus the theory columns (effective "
        "ridge and deterministic equivalents per ridge, population "
        "spectrum from the pool) and 1000-resample bootstrap intervals of "
        "each test risk.",
        "- `numpy`: `scipy.linalg.eigh(K)` (default driver, LAPACK DSYEVR) "
        "then train, GCV, df, test risk and error per ridge from V, d.",
        "- `numpy-loo`: the same plus exact LOO per ridge from V.",
        "- `kernel-ridge`: scikit-learn `KernelRidge(kernel='precomputed', "
        "alpha=N lambda)` fit and test prediction per ridge (one Cholesky "
        "solve of K + N lambda I each); test risk and error only. "
        "Counterpart: `numpy`.",
        "- `ridge-cv`: scikit-learn `RidgeCV` takes features, not a "
        "kernel, so the script factors K = L L^T (Cholesky) and fits "
        "`RidgeCV(alphas=N lambda, fit_intercept=False, gcv_mode='eigen', "
        "store_cv_values=True)` on X = L, whose Gram is K; test features "
        "are K* L^-T. RidgeCV recomputes X X^T = K, takes its eigh and "
        "returns exact LOO for every ridge (its 'GCV' is LOO); the test "
        "risk is that of the LOO-chosen ridge only. The time includes the "
        "factor. Counterpart: `numpy-loo`.",
        "- scikit-learn sides ran at N <= "
        f"{min(args.sklearn_max_n, max(args.sizes_list))} only "
        "(`--sklearn-max-n`)." if args.sklearn_max_n < max(args.sizes_list)
        else "- scikit-learn sides ran at every N.",
        "- `bare`: `bench/bare_reduction`, DSYEVD with jobz = 'N' "
        "(DSYTRD + DSTERF) on the loaded kernel; the time excludes loading "
        "(its peak RSS includes the loaded kernel).",
        "",
        "Ratios: `vs NumPy counterpart` divides by the NumPy side that "
        "computes the same quantities; `vs bare reduction` divides by the "
        "bare reduction's compute time at that N. RSS is the peak resident "
        "size of the process (`ru_maxrss`), also in units of one N x N "
        "float64 matrix (8 N^2 bytes).",
        ""]
    for table in tables:
        lines += table + [""]
    lines += targets + [""]
    lines += agreement_lines(all_checks) + ["", END_MARK]
    return "\n".join(lines) + "\n"


def write_benchmarks(path, section):
    """Replaces the text between the markers in BENCHMARKS.md (creating the
    file or appending the section if needed), leaving the rest intact."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if BEGIN_MARK in text and END_MARK in text:
        head = text[:text.index(BEGIN_MARK)]
        tail = text[text.index(END_MARK) + len(END_MARK):].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    elif text:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        text = "# Benchmarks\n\n" + section
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


# ---------------------------------------------------------------------------
# The driver.

def benchmark_size(n, data, bandwidth, args, work, loads):
    """All sides at one N, interleaved, repeated; the fastest run of each
    side (its wall time as 'timed', bare: its in-process reduction time)."""
    paths = write_inputs(work, data, n, bandwidth)
    paths["n"] = n
    repeats = args.repeats if n <= args.repeat_limit else 1
    sides = [s for s in SIDES if s in args.sides and
             (n <= args.sklearn_max_n or s not in SKLEARN_SIDES)]
    best = {}
    for repeat in range(repeats):
        for side in sides:
            record = measure(side, paths, args, work)
            loads.append(record["others"])
            record["timed"] = (record["phases"]["seconds"]
                               if side == "bare" else record["wall"])
            log(f"N={n} run {repeat + 1}/{repeats} {side}: "
                f"{record['timed']:.2f} s, CPU {record['cpu']:.1f} s, "
                f"RSS {record['rss'] / 2**20:.0f} MB, others "
                f"{record['others']:.2f} cores")
            kept = best.get(side)
            if kept is None or record["timed"] < kept["timed"]:
                record["rss"] = max(record["rss"],
                                    kept["rss"] if kept else 0)
                best[side] = record
            else:
                kept["rss"] = max(kept["rss"], record["rss"])
    for name in ("kernel", "test_kernel"):
        os.remove(paths[name])
    return best, repeats


def log(message):
    """Progress on stderr."""
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}",
          file=sys.stderr, flush=True)


def parse_arguments():
    """Command line of the driver and of the child programs."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")

    bench = sub.add_parser("run", help="run the benchmark (default)")
    bench.add_argument("--sizes", default="2000,4000,8000",
                       help="training sizes N, comma-separated")
    bench.add_argument("--test-size", type=int, default=2000,
                       help="test points M")
    bench.add_argument("--ridge-count", type=int, default=25,
                       help="ridges in log:1e-6:1:COUNT")
    bench.add_argument("--repeats", type=int, default=2,
                       help="runs per side at N <= --repeat-limit")
    bench.add_argument("--repeat-limit", type=int, default=4000)
    bench.add_argument("--sides", default=",".join(SIDES),
                       help="comma-separated subset of " + ",".join(SIDES))
    bench.add_argument("--sklearn-max-n", type=int, default=10**9,
                       help="run the scikit-learn sides only up to this N")
    bench.add_argument("--rmtlens",
                       default=os.path.join(root, "build", "rmtlens"))
    bench.add_argument("--bare", default=os.path.join(
        root, "build", "bench", "bare_reduction"))
    bench.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--workdir", default=None,
                       help="scratch folder (default: a new temp folder)")
    bench.add_argument("--output", default=os.path.join(root,
                                                        "BENCHMARKS.md"),
                       help="file whose sweep section is rewritten")
    bench.add_argument("--no-write", action="store_true",
                       help="print the section instead of writing it")

    child = sub.add_parser("child", help="one Python side (internal)")
    child.add_argument("side", choices=PYTHON_SIDES)
    for name in ("--kernel", "--test-kernel", "--labels", "--test-labels",
                 "--result"):
        child.add_argument(name, required=True)
    child.add_argument("--ridge-count", type=int, required=True)

    argv = sys.argv[1:]
    if not argv or argv[0] not in ("run", "child", "-h", "--help"):
        argv = ["run"] + argv
    return parser.parse_args(argv)


def main():
    args = parse_arguments()
    if args.mode == "child":
        run_child(args)
        return
    args.sides = [s.strip() for s in args.sides.split(",")]
    unknown = set(args.sides) - set(SIDES)
    if unknown:
        sys.exit(f"--sides: unknown sides {sorted(unknown)}")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    args.sizes_list = sizes
    for program in (args.rmtlens, args.bare):
        if not os.access(program, os.X_OK):
            sys.exit(f"{program} is not an executable; build it first "
                     f"(cmake --build build)")

    started = datetime.datetime.now()
    t0 = time.perf_counter()
    work = args.workdir or tempfile.mkdtemp(prefix="sweep_bench_")
    os.makedirs(work, exist_ok=True)
    log(f"scratch folder {work}")
    data = load_fashion_mnist(args.data, sizes[-1], args.test_size,
                              args.seed)
    bandwidth = median_distance(data[0])

    tables, all_checks, loads, every_best = [], [], [], []
    best = {}
    for n in sizes:
        best, repeats = benchmark_size(n, data, bandwidth, args, work, loads)
        every_best += list(best.values())
        tables.append(size_table(n, best, repeats))
        all_checks.append((n, agreement(best)))
    targets = target_lines(sizes[-1], best)

    section = report_section(args, machine_description(every_best), tables,
                             all_checks, targets, loads, started,
                             time.perf_counter() - t0)
    if args.no_write:
        print(section)
    else:
        write_benchmarks(args.output, section)
        print(section)
        log(f"wrote the sweep section of {args.output}")


if __name__ == "__main__":
    main()
