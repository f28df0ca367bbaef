#!/usr/bin/python3
"""The baseline rmtlens's eNTK is measured against: the per-sample autograd
loop a paper author writes in PyTorch, on the same ResNet and weights.

    ntk_baseline.py WEIGHTS INPUTS.npy OUT_KERNEL.npy [--head-seed S]
                    [--threads T] [--export-torchscript M.pt]

WEIGHTS is a file written by `rmtlens pretrain`; LibTorch archives load with
torch.jit.load, and their parameter names match the modules below. The
1-output head is drawn like rmtlens's (torch.manual_seed(S), then
nn.Linear(features, 1)). Prints one JSON line of timings.
"""
import argparse
import json
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.has_proj = stride != 1 or cin != cout
        if self.has_proj:
            self.proj = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.proj_bn = nn.BatchNorm2d(cout)
        else:
            # TorchScript compiles both branches of forward, so the
            # attributes must exist; identities carry no parameters.
            self.proj = nn.Identity()
            self.proj_bn = nn.Identity()

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = self.proj_bn(self.proj(x)) if self.has_proj else x
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    """rmtlens's ResNet (depth 6k+2, projection shortcuts) with the
    classifier replaced by a 1-output head."""

    def __init__(self, depth, width, channels, head_seed):
        super().__init__()
        self.stem = nn.Conv2d(channels, width, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(width)
        cin, blocks = width, (depth - 2) // 6
        for stage in range(3):
            cout = width << stage
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                setattr(self, f"s{stage + 1}b{b}", Block(cin, cout, stride))
                cin = cout
        self.names = [f"s{s + 1}b{b}" for s in range(3) for b in range(blocks)]
        torch.manual_seed(head_seed)
        self.head = nn.Linear(4 * width, 1)

    def forward(self, x):
        out = F.relu(self.stem_bn(self.stem(x)))
        for name in self.names:
            out = getattr(self, name)(out)
        return self.head(out.mean((2, 3))).reshape(-1)


def load(weights, head_seed):
    archive = torch.jit.load(weights)
    meta = json.loads(archive.rmtlens_metadata)
    c = meta["image_shape"][0]
    net = ResNet(meta["depth"], meta["width"], c, head_seed)
    state = dict(archive.named_parameters())
    state.update(dict(archive.named_buffers()))
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    state["head.weight"] = net.head.weight.detach()
    state["head.bias"] = net.head.bias.detach()
    net.load_state_dict(state)
    return net.eval()


def per_sample_jacobian(net, x):
    params = [p for p in net.parameters()]
    total = sum(p.numel() for p in params)
    jac = torch.empty(x.shape[0], total)
    for i in range(x.shape[0]):
        grads = torch.autograd.grad(net(x[i:i + 1]).sum(), params)
        jac[i] = torch.cat([g.reshape(-1) for g in grads])
    return jac


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("inputs")
    ap.add_argument("out")
    ap.add_argument("--head-seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-torchscript", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    net = load(a.weights, a.head_seed)
    x = torch.from_numpy(np.load(a.inputs)).float()
    if a.export_torchscript:
        # Traced, not scripted: the block loop looks modules up by name,
        # which the script compiler does not take.
        torch.jit.trace(net, x[:2]).save(a.export_torchscript)

    start = time.perf_counter()
    jac = per_sample_jacobian(net, x)
    loop = time.perf_counter() - start
    start = time.perf_counter()
    kernel = jac @ jac.T
    gram = time.perf_counter() - start
    np.save(a.out, kernel.double().numpy())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": x.shape[0], "parameters": jac.shape[1],
                      "loop_s": loop, "gram_s": gram,
                      "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
