"""Synthetic linear-feature problems with known structure for the
measurements of docs/uncertainty.md.

    /usr/bin/python3 tools/uncertainty/synthetic.py OUT [--pool 3000]
        [--test 5000] [--p 300] [--seed 0]

OUT/synth-gaussian: x ~ N(0, Sigma), Sigma_ii = i^-1.5 (a power-law
spectrum), y = x . w + 0.5 noise, w_i ~ N(0, i^-0.5): leverages nearly
equal, the regime where GCV is consistent.
OUT/synth-elliptical: the same x scaled per point by g ~ sqrt(3 / chi2_3)
(a Student-t scale mixture), so a few points carry extreme leverage: the
regime where GCV is known to be inconsistent and LOO is not.
Each directory holds F.npy, FT.npy, y.npy, yt.npy (targets n x 1).
"""

import argparse
import os

import numpy as np


def draw(rng, n, p, elliptical):
    scale = np.arange(1, p + 1) ** -0.75
    x = rng.normal(size=(n, p)) * scale
    if elliptical:
        x *= np.sqrt(3 / rng.chisquare(3, size=(n, 1)))
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pool", type=int, default=3000)
    ap.add_argument("--test", type=int, default=5000)
    ap.add_argument("--p", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    w = rng.normal(size=a.p) * np.arange(1, a.p + 1) ** -0.25
    for name, elliptical in [("synth-gaussian", False),
                             ("synth-elliptical", True)]:
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        for split, n in [("", a.pool), ("T", a.test)]:
            x = draw(rng, n, a.p, elliptical)
            y = x @ w + 0.5 * rng.normal(size=n)
            np.save(os.path.join(d, f"F{split}.npy"), x)
            np.save(os.path.join(d, f"y{'t' if split else ''}.npy"),
                    y[:, None])


if __name__ == "__main__":
    main()
