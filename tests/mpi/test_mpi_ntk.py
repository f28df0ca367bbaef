"""The distributed eNTK assembly against the single-process one.

usage: test_mpi_ntk.py RMTLENS PROCESSES [MPIEXEC]

Runs `rmtlens ntk` once on one process and once under
`mpirun -n PROCESSES ... --distributed`, where each process differentiates
only its share of the inputs and the kernels are summed block-cyclically
with ScaLAPACK and written with MPI-IO, and compares kernel.npy and
test_kernel.npy. The cases exercise what the distributed path does
differently:
- a ResNet-14 whose conv/BatchNorm Jacobian comes in several chunks
  (4.5 MiB --memory-budget: 2 to 4 chunks depending on the largest share),
  block size 8 on 45 training and 13 test inputs:
  ragged shares, each chunk redistributed and summed with p?syrk/p?gemm;
- an MLP, whose linear layers take the Hadamard route, block size 2 so
  that the column panels of that route number several on every grid;
- the per-sample method with the default block 64: every input on
  process 0 and none on the others, and no test inputs;
- float32, summed in float32 as the single-process run does.
In float64 the two runs differ only in the order of summation, so every
entry agrees to 1e-9 of the largest (observed ~1e-15); in float32 to 1e-5
of the largest (float32 rounding of sums over ~1e4 parameters is ~1e-6).
A bad input must give one error line on rank 0, a non-zero exit and no
output directory.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

RMTLENS = sys.argv[1]
PROCESSES = int(sys.argv[2])
MPIEXEC = sys.argv[3] if len(sys.argv) > 3 else "mpirun"

ENV = dict(os.environ,
           OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           OPENBLAS_NUM_THREADS="1")


def run(command, expect_ok=True):
    proc = subprocess.run(command, capture_output=True, text=True, env=ENV,
                          timeout=600)
    if expect_ok and proc.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed "
                             f"({proc.returncode}):\n{proc.stdout}\n"
                             f"{proc.stderr}")
    return proc


def mpirun(args):
    return [MPIEXEC, "-n", str(PROCESSES), "--oversubscribe", RMTLENS, "ntk",
            *args, "--distributed", "--threads", "1"]


def write_inputs(folder, seed=5):
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, "x.npy"), rng.normal(size=(45, 784)))
    np.save(os.path.join(folder, "xt.npy"), rng.normal(size=(13, 784)))
    np.save(os.path.join(folder, "y.npy"), rng.integers(0, 2, 45))
    np.save(os.path.join(folder, "bad.npy"), rng.normal(size=(6, 100)))


CASES = {
    "resnet-chunks": (["--arch", "resnet", "--depth", "14", "--width", "4",
                       "--seed", "1", "--dtype", "float64",
                       "--memory-budget", "4.5", "--block-size", "8"], True,
                      1e-9),
    "mlp-hadamard": (["--arch", "mlp", "--depth", "3", "--width", "24",
                      "--seed", "2", "--dtype", "float64",
                      "--block-size", "2"], True, 1e-9),
    "per-sample-one-owner": (["--arch", "resnet", "--depth", "8", "--width",
                              "4", "--seed", "3", "--dtype", "float64",
                              "--method", "per-sample"], False, 1e-9),
    "float32": (["--arch", "resnet", "--depth", "8", "--width", "4",
                 "--seed", "4", "--memory-budget", "4",
                 "--block-size", "8"], True, 1e-5),
}


def compare(case, single_dir, distributed_dir, tolerance, failures):
    names = ["kernel.npy"]
    if os.path.exists(os.path.join(single_dir, "test_kernel.npy")):
        names.append("test_kernel.npy")
    for name in names:
        a = np.load(os.path.join(single_dir, name))
        b = np.load(os.path.join(distributed_dir, name))
        if a.shape != b.shape:
            failures.append(f"{case} {name}: shapes {a.shape} {b.shape}")
            continue
        gap = np.abs(a - b).max() / np.abs(a).max()
        print(f"{case} {name}: {a.shape}, largest gap {gap:.2e} "
              f"of the largest entry")
        if not gap <= tolerance:
            failures.append(f"{case} {name}: gap {gap:.2e} > {tolerance}")
    k = np.load(os.path.join(distributed_dir, "kernel.npy"))
    if not np.array_equal(k, k.T):
        failures.append(f"{case}: distributed kernel not symmetric")
    with open(os.path.join(distributed_dir, "ntk.json")) as f:
        summary = json.load(f)
    if summary["distributed"]["processes"] != PROCESSES:
        failures.append(f"{case}: ntk.json says "
                        f"{summary['distributed']['processes']} processes")
    if case == "resnet-chunks" and summary["chunks"] < 2:
        failures.append(f"{case}: {summary['chunks']} chunk, not several")


def check_bad_input(folder, failures):
    out = os.path.join(folder, "bad-out")
    proc = run(mpirun(["--arch", "resnet", "--depth", "8", "--inputs",
                       os.path.join(folder, "bad.npy"), "--out", out]),
               expect_ok=False)
    ours = [line for line in proc.stderr.splitlines()
            if line.startswith("rmtlens")]
    if proc.returncode == 0 or len(ours) != 1 or "inputs" not in ours[0]:
        failures.append(f"bad input: exit {proc.returncode}, lines {ours}")
    if os.path.exists(out):
        failures.append("bad input: the output directory was created")


def main():
    failures = []
    with tempfile.TemporaryDirectory(prefix="rmtlens-mpi-ntk-") as tmp:
        write_inputs(tmp)
        for case, (args, with_test, tolerance) in CASES.items():
            data = ["--inputs", os.path.join(tmp, "x.npy"),
                    "--labels", os.path.join(tmp, "y.npy")]
            if with_test:
                data += ["--test-inputs", os.path.join(tmp, "xt.npy")]
            single_dir = os.path.join(tmp, case + "-single")
            distributed_dir = os.path.join(tmp, case + "-mpi")
            run([RMTLENS, "ntk", *args, *data, "--threads", "1",
                 "--out", single_dir])
            run(mpirun([*args, *data, "--out", distributed_dir]))
            compare(case, single_dir, distributed_dir, tolerance, failures)
            labels = np.load(os.path.join(distributed_dir, "labels.npy"))
            if not np.array_equal(labels, np.load(os.path.join(tmp,
                                                               "y.npy"))):
                failures.append(f"{case}: labels.npy differs")
        check_bad_input(tmp, failures)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"distributed eNTK on {PROCESSES} processes matches")


if __name__ == "__main__":
    main()
