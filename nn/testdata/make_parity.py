#!/usr/bin/python3
"""Makes the PyTorch parity fixtures of package nn (parity_2d.json, parity_3d.json).

Provenance: the model is an exact replica of ../../../shared/bench/unet_torch.py (the project's
PyTorch baseline; that script parses arguments and benchmarks at import, so its classes are copied
here verbatim, parameterized by the case instead of argparse): per level two Conv(3, padding=1) with
bias, InstanceNorm (no affine, eps 1e-5), ReLU; avg_pool 2; nearest interpolate x2; cat([up, skip]);
Conv 1x1 head. Loss: soft Dice on sigmoid over the whole batch,
1 - (2*sum(p*y) + 1e-6) / (sum(p) + sum(y) + 1e-6), as in that script.
Weights: PyTorch's default initialization after torch.manual_seed(0); x = randn, y = rand > 0.9.

Run with /usr/bin/python3 (Debian python3-torch 1.13) from this folder:  /usr/bin/python3 make_parity.py
Each JSON holds the case, the parameter names and shapes in named_parameters() order, and base64
little-endian float32 arrays: params, x, y, logits (forward in float32) and grads (d loss / d params).
"""
import base64, json
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

def b64(t):
    return base64.b64encode(t.detach().contiguous().numpy().astype("<f4").tobytes()).decode()

def make(name, dims, size, batch, width, depth, inch, outch):
    Conv = nn.Conv2d if dims == 2 else nn.Conv3d
    Norm = nn.InstanceNorm2d if dims == 2 else nn.InstanceNorm3d
    pool = F.avg_pool2d if dims == 2 else F.avg_pool3d

    class Block(nn.Module):
        def __init__(s, i, o):
            super().__init__(); s.c = Conv(i, o, 3, padding=1); s.n = Norm(o)
        def forward(s, x): return F.relu(s.n(s.c(x)))

    class UNet(nn.Module):
        def __init__(s):
            super().__init__(); s.down, s.up, c = nn.ModuleList(), nn.ModuleList(), inch
            for l in range(depth):
                w = width << l; s.down.append(nn.Sequential(Block(c, w), Block(w, w))); c = w
            for l in range(depth - 2, -1, -1):
                w = width << l; s.up.append(nn.Sequential(Block(c + w, w), Block(w, w))); c = w
            s.head = Conv(c, outch, 1)
        def forward(s, x):
            skips = []
            for l, m in enumerate(s.down):
                x = m(x)
                if l < depth - 1: skips.append(x); x = pool(x, 2)
            for m in s.up:
                x = torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skips.pop()], 1); x = m(x)
            return s.head(x)

    torch.manual_seed(0)
    net = UNet()
    x = torch.randn(batch, inch, *size); y = (torch.rand(batch, outch, *size) > 0.9).float()
    logits = net(x)
    p = torch.sigmoid(logits); inter = (p * y).sum()
    loss = 1 - (2 * inter + 1e-6) / (p.sum() + y.sum() + 1e-6)
    loss.backward()
    names = [(n, list(q.shape)) for n, q in net.named_parameters()]
    out = {
        "provenance": "nn/testdata/make_parity.py, replica of shared/bench/unet_torch.py, torch " + torch.__version__,
        "dims": dims, "shape": [batch, inch, *size], "width": width, "depth": depth, "in": inch, "out": outch,
        "loss": loss.item(), "names": names,
        "params": b64(torch.cat([q.flatten() for _, q in net.named_parameters()])),
        "grads": b64(torch.cat([q.grad.flatten() for _, q in net.named_parameters()])),
        "x": b64(x), "y": b64(y), "logits": b64(logits),
    }
    with open(name, "w") as f:
        json.dump(out, f)

make("parity_2d.json", 2, [16, 16], 2, 2, 3, 1, 2)
make("parity_3d.json", 3, [8, 8, 8], 2, 2, 2, 1, 2)
