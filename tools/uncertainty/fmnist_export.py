"""Exports Fashion-MNIST classes 5-9 as .npy for the measurements of
docs/uncertainty.md: a seeded training pool and the whole official test
split of those classes (5000 images), pixels scaled to [0, 1].

    /usr/bin/python3 tools/uncertainty/fmnist_export.py OUT [--pool 3000]
        [--seed 0] [--classes 5,6,7,8,9]

Writes OUT/X.npy (pool x 784 float64), y.npy (int64 in 0..4), XT.npy
(5000 x 784) and yt.npy.
"""

import argparse
import gzip
import os

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def split(prefix, classes):
    x = read_idx(os.path.join(DATA, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, prefix + "-labels-idx1-ubyte.gz"))
    keep = np.isin(y, classes)
    x = x[keep].reshape(keep.sum(), -1).astype(np.float64) / 255.0
    y = np.searchsorted(classes, y[keep]).astype(np.int64)
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--pool", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classes", default="5,6,7,8,9")
    a = p.parse_args()
    classes = np.array([int(c) for c in a.classes.split(",")])
    os.makedirs(a.out, exist_ok=True)

    x, y = split("train", classes)
    pick = np.random.default_rng(a.seed).permutation(len(y))[:a.pool]
    xt, yt = split("t10k", classes)
    for name, v in dict(X=x[pick], y=y[pick], XT=xt, yt=yt).items():
        np.save(os.path.join(a.out, name + ".npy"), v)
    print(f"pool {len(pick)}, test {len(yt)}, classes {list(classes)}")


if __name__ == "__main__":
    main()
