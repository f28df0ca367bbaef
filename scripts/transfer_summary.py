#!/usr/bin/python3
"""Summarises scripts/transfer_study.sh: per representation and size, the
ridge GCV picks and, there, the test risk and error with GCV and LOO, plus
the best test risk over the ridge grid. Prints a Markdown table."""
import csv
import json
import os
import sys

REPRESENTATIONS = [
    ("eNTK, pretrained", "ntk_pretrained"),
    ("eNTK, random init", "ntk_random"),
    ("features, pretrained", "features_pretrained"),
    ("features, random init", "features_random"),
]


def rows(path):
    with open(path) as f:
        return [{k: float(v) if k != "notes" else v for k, v in r.items()
                 if v not in ("", None)} for r in csv.DictReader(f)]


def main():
    out = sys.argv[1]
    print("| representation | N | ridge (GCV) | test risk | test error | "
          "GCV | LOO | LOO accuracy | best test risk |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, name in REPRESENTATIONS:
        table = rows(os.path.join(out, name, "sweep", "sweep.csv"))
        for n in sorted({r["n"] for r in table}):
            at_n = [r for r in table if r["n"] == n]
            pick = min(at_n, key=lambda r: (r["gcv"], -r["ridge"]))
            best = min(r["test_mse"] for r in at_n)
            loo_acc = 1 - pick["loo_error"] if "loo_error" in pick else None
            print(f"| {label} | {int(n)} | {pick['ridge']:.0e} | "
                  f"{pick['test_mse']:.4f} | {pick['test_error']:.4f} | "
                  f"{pick['gcv']:.4f} | {pick.get('loo', float('nan')):.4f} | "
                  f"{'-' if loo_acc is None else f'{loo_acc:.4f}'} | "
                  f"{best:.4f} |")
    meta = json.load(open(os.path.join(out, "ntk_pretrained", "ntk.json")))
    pre = meta["model"].get("pretraining", {})
    print(f"\npretraining: held-out accuracy {pre.get('heldout_accuracy')} "
          f"on {pre.get('heldout_images')} test-split images of classes "
          f"{pre.get('data', {}).get('classes')}, {pre.get('epochs')} epochs, "
          f"{pre.get('seconds', 0):.0f} s")


if __name__ == "__main__":
    main()
