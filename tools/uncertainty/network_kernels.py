"""Network kernels for the measurements of docs/uncertainty.md, made with
PyTorch (Debian's python3-torch) so they exist without the LibTorch build:
a small CNN pretrained on Fashion-MNIST classes 0-4 and the same CNN at
random init; for each, the empirical NTK of a 1-output linear head
(seeded, as DESIGN section 1) on the target-class pool and test images,
and the pretrained network's penultimate features.

    /usr/bin/python3 tools/uncertainty/network_kernels.py RAW OUT
        [--pool 2000] [--epochs 2] [--seed 0]

RAW is a directory written by fmnist_export.py (X, y, XT, yt); OUT gets
one directory per representation with K.npy, KT.npy (or F.npy, FT.npy)
and the labels.
"""

import argparse
import os

import numpy as np
import torch
from functorch import make_functional, vmap, jacrev

from fmnist_export import split


class Net(torch.nn.Module):
    def __init__(self, outputs):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(16 * 7 * 7, 100), torch.nn.ReLU())
        self.head = torch.nn.Linear(100, outputs)

    def forward(self, x):
        return self.head(self.body(x))


def pretrain(net, epochs, seed):
    x, y = split("train", np.arange(5))
    x = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 28, 28)
    y = torch.tensor(y)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(y), generator=g)
        for start in range(0, len(y), 128):
            b = order[start:start + 128]
            loss = torch.nn.functional.cross_entropy(net(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


def jacobian(net, x, chunk=500):
    """Rows: gradients of the scalar output w.r.t. every parameter."""
    fn, params = make_functional(net)

    def scalar(p, xi):
        return fn(p, xi.unsqueeze(0)).squeeze()

    rows = []
    for start in range(0, len(x), chunk):
        jac = vmap(jacrev(scalar), (None, 0))(params, x[start:start + chunk])
        rows.append(torch.cat([j.reshape(j.shape[0], -1) for j in jac], 1))
    return torch.cat(rows).detach().double()


def entk(net, seed, x, xt):
    torch.manual_seed(seed + 1000)
    net.head = torch.nn.Linear(100, 1)
    j = jacobian(net, x)
    k = (j @ j.T).numpy()
    kt = torch.cat([jacobian(net, xt[s:s + 1000]) @ j.T
                    for s in range(0, len(xt), 1000)]).numpy()
    return k, kt


def save(out, name, arrays, y, yt):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for key, v in {**arrays, "y": y, "yt": yt}.items():
        np.save(os.path.join(d, key + ".npy"), v)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("out")
    p.add_argument("--pool", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    load = lambda n: np.load(os.path.join(a.raw, n + ".npy"))
    x = torch.tensor(load("X")[:a.pool], dtype=torch.float32)
    xt = torch.tensor(load("XT"), dtype=torch.float32)
    x, xt = x.reshape(-1, 1, 28, 28), xt.reshape(-1, 1, 28, 28)
    y, yt = load("y")[:a.pool], load("yt")

    torch.manual_seed(a.seed)
    random_net = Net(5)
    k, kt = entk(random_net, a.seed, x, xt)
    save(a.out, "net-random-entk", dict(K=k, KT=kt), y, yt)

    torch.manual_seed(a.seed)
    net = Net(5)
    pretrain(net, a.epochs, a.seed)
    with torch.no_grad():
        f, ft = net.body(x).double().numpy(), net.body(xt).double().numpy()
    save(a.out, "net-pretrained-features", dict(F=f, FT=ft), y, yt)
    k, kt = entk(net, a.seed, x, xt)
    save(a.out, "net-pretrained-entk", dict(K=k, KT=kt), y, yt)


if __name__ == "__main__":
    main()
