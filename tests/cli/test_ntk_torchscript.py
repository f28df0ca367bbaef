"""rmtlens ntk --model as a new user runs it: a network defined and exported
in PyTorch, inputs saved with numpy, the kernel checked against PyTorch's
own per-sample autograd; bad models and inputs give one line, a non-zero
exit and no output. Skips (exit 0) when rmtlens is built without LibTorch."""

import os
import subprocess
import sys

import numpy as np

from rmtlens_testing import RMTLENS, Checks, run, temp_dir


def export(d):
    import torch
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Tanh(),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3)).double().eval()
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.3, 0.3)
        net[1].running_var.uniform_(0.5, 2.0)
    torch.jit.trace(net, torch.zeros(1, 1, 6, 6, dtype=torch.float64)).save(
        os.path.join(d, "model.pt"))
    x = torch.randn(9, 1, 6, 6, dtype=torch.float64)
    xt = torch.randn(4, 1, 6, 6, dtype=torch.float64)
    np.save(os.path.join(d, "x.npy"), x.numpy())
    np.save(os.path.join(d, "xt.npy"), xt.numpy())
    params = list(net.parameters())

    def jac(xs):
        return torch.stack([torch.cat([g.reshape(-1) for g in
                                       torch.autograd.grad(
                                           net(xs[i:i + 1])[0, 1], params)])
                            for i in range(len(xs))])

    j, jt = jac(x), jac(xt)
    return (j @ j.T).numpy(), (jt @ j.T).numpy()


def expect_error(checks, d, name, args, needle):
    out = os.path.join(d, "out-" + name)
    code, _, stderr = run("ntk", *args, "--out", out, expect_ok=False)
    lines = [l for l in stderr.splitlines() if l.startswith("rmtlens:")]
    checks.check(code != 0, f"{name}: exit code 0")
    checks.check(len(lines) == 1, f"{name}: not one error line: {stderr!r}")
    checks.check(needle in stderr, f"{name}: {needle!r} not in {stderr!r}")
    checks.check(not os.path.exists(out), f"{name}: {out} was created")


def main():
    help_run = subprocess.run([RMTLENS, "ntk", "--help"], capture_output=True)
    if help_run.returncode != 0:
        print("skipped: rmtlens built without LibTorch")
        return 0
    checks = Checks()
    with temp_dir() as d:
        k_ref, kt_ref = export(d)
        p = lambda name: os.path.join(d, name)
        run("ntk", "--model", p("model.pt"), "--output-index", "1",
            "--inputs", p("x.npy"), "--test-inputs", p("xt.npy"),
            "--dtype", "float64", "--out", p("out"))
        k = np.load(p("out/kernel.npy"))
        kt = np.load(p("out/test_kernel.npy"))
        rel = np.abs(k - k_ref).max() / np.abs(k_ref).max()
        rel_t = np.abs(kt - kt_ref).max() / np.abs(kt_ref).max()
        checks.check(rel < 1e-8, f"kernel differs from PyTorch by {rel:.2e}")
        checks.check(rel_t < 1e-8, f"test kernel differs by {rel_t:.2e}")

        with open(p("not_a_model.pt"), "w") as f:
            f.write("hello")
        model = ["--model", p("model.pt"), "--inputs", p("x.npy")]
        expect_error(checks, d, "not-torchscript",
                     ["--model", p("not_a_model.pt"), "--inputs", p("x.npy")],
                     "not a TorchScript file")
        expect_error(checks, d, "vector-output", model,
                     "pass --output-index")
        np.save(p("x3.npy"), np.zeros((2, 3, 6, 6)))
        expect_error(checks, d, "rejected-shape",
                     ["--model", p("model.pt"), "--output-index", "0",
                      "--inputs", p("x3.npy")], "rejects inputs of shape")
        expect_error(checks, d, "budget", model + [
            "--output-index", "0", "--memory-budget", "0.0001"],
            "too small for one chunk")
    return checks.close()


if __name__ == "__main__":
    sys.exit(main())
