"""The split between rmtlens and rmtlens-networks (src/cli/
network_commands.hpp): rmtlens does not load LibTorch, lists the network
commands as its own, hands them over with the same arguments and exit code,
and says in one line what is missing when rmtlens-networks is not beside
it."""

import filecmp
import os
import shutil
import subprocess

from rmtlens_testing import RMTLENS, Checks, run, temp_dir

NETWORK_COMMANDS = ("demo", "ntk", "features", "pretrain")


def networks_program():
    return os.path.join(os.path.dirname(os.path.abspath(RMTLENS)),
                        "rmtlens-networks")


def check_not_linked_to_torch(c):
    libraries = subprocess.run(["ldd", RMTLENS], capture_output=True,
                               text=True, check=True).stdout
    c.check("libtorch" not in libraries,
            f"rmtlens is linked to LibTorch:\n{libraries}")


def check_help_lists_network_commands(c):
    _, out, _ = run("--help")
    for name in NETWORK_COMMANDS:
        c.check(f"\n  {name} " in out, f"--help does not list {name}")
    _, out, _ = run("ntk", "--help")
    c.check("--memory-budget" in out,
            "rmtlens ntk --help does not show the ntk options")


def check_same_result_either_way(c, d):
    args = ["features", "--arch", "mlp", "--depth", "2", "--width", "8",
            "--dataset", "fashion-mnist", "--count", "24",
            "--test-count", "8", "--threads", "1"]
    run(*args, "--out", os.path.join(d, "via-rmtlens"))
    subprocess.run([networks_program(), *args, "--out",
                    os.path.join(d, "direct")], check=True,
                   capture_output=True)
    for name in ("features.npy", "test_features.npy", "kernel.npy"):
        c.check(filecmp.cmp(os.path.join(d, "via-rmtlens", name),
                            os.path.join(d, "direct", name), shallow=False),
                f"{name} differs between rmtlens and rmtlens-networks")

    # The exit code and the error line of the network program come through.
    code, out, err = run("ntk", "--arch", "mlp", "--count", "-3", "--out",
                         os.path.join(d, "bad"), expect_ok=False)
    c.check(code == 2 and out == "" and len(err.strip().splitlines()) == 1,
            f"bad ntk input: exit {code}, stdout {out!r}, stderr {err!r}")
    c.check(not os.path.exists(os.path.join(d, "bad")),
            "bad ntk input left an output folder")


def check_missing_network_program(c, d):
    alone = os.path.join(d, "alone")
    os.mkdir(alone)
    shutil.copy(RMTLENS, alone)
    program = os.path.join(alone, os.path.basename(RMTLENS))
    proc = subprocess.run([program, "ntk", "--help"], capture_output=True,
                          text=True)
    lines = proc.stderr.strip().splitlines()
    c.check(proc.returncode == 2, f"exit {proc.returncode} without "
            "rmtlens-networks")
    c.check(len(lines) == 1 and lines[0].startswith("rmtlens: error:")
            and "rmtlens-networks" in lines[0] and proc.stdout == "",
            f"message without rmtlens-networks: {proc.stderr!r}")

    # The other commands need nothing beside the program.
    proc = subprocess.run([program, "sweep", "--help"], capture_output=True,
                          text=True)
    c.check(proc.returncode == 0, "sweep --help failed without "
            "rmtlens-networks")


def main():
    c = Checks()
    if not os.path.exists(networks_program()):
        # A build without LibTorch: no network program, no ntk command.
        _, out, _ = run("--help")
        c.check("\n  ntk " not in out, "ntk listed without LibTorch")
        c.close()
    check_not_linked_to_torch(c)
    check_help_lists_network_commands(c)
    with temp_dir() as d:
        check_same_result_either_way(c, d)
        check_missing_network_program(c, d)
    c.close()


if __name__ == "__main__":
    main()
