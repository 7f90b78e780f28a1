#!/usr/bin/env python3
"""Time MONAI's boundary and Hausdorff distance-transform losses in PyTorch.

The PyTorch baselines of `segloss bench` for boundary and hausdorff_dt on the
binary workload (logits [8,1,512,512], 30% foreground, float32), loss and
gradient: the formulas of LIVIAETS SurfaceLoss (one_hot2dist) and MONAI
HausdorffDTLoss, with the distance maps from scipy.ndimage.distance_transform_edt
as both do. "uncached" computes every map on each call (what the peers do);
"cached" precomputes the target maps once (hausdorff_dt still needs the map of
the thresholded prediction on each call).

    /usr/bin/python3 app/scripts/bench_distance_torch.py [--repeats 5] [--threads 1]
"""
import argparse
import time

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt as edt


def one_hot2dist(mask):
    """LIVIAETS one_hot2dist of one binary mask: +d outside, -(d-1) inside."""
    if not mask.any() or mask.all():
        return np.zeros(mask.shape, dtype=np.float32)
    neg = ~mask
    return (edt(neg) * neg - (edt(mask) - 1) * mask).astype(np.float32)


def distance_field(mask):
    """MONAI HausdorffDTLoss.distance_field of one binary mask."""
    if not mask.any() or mask.all():
        return np.zeros(mask.shape, dtype=np.float32)
    return (edt(mask) + edt(~mask)).astype(np.float32)


def maps(fn, t):
    a = t.detach().cpu().numpy() > 0.5
    out = np.zeros(a.shape, dtype=np.float32)
    for n in range(a.shape[0]):
        for c in range(a.shape[1]):
            out[n, c] = fn(a[n, c])
    return torch.from_numpy(out)


def boundary(x, t, phi=None):
    p = torch.sigmoid(x)
    if phi is None:
        phi = maps(one_hot2dist, t)
    return (p * phi).mean()


def hausdorff(x, t, dg=None, alpha=2.0):
    p = torch.sigmoid(x)
    dp = maps(distance_field, p)
    if dg is None:
        dg = maps(distance_field, t)
    return ((p - t) ** 2 * (dp ** alpha + dg ** alpha)).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(1)
    x = (torch.randn(8, 1, 512, 512, generator=g) * 2).requires_grad_()
    t = (torch.rand(8, 1, 512, 512, generator=g) < 0.3).float()
    phi, dg = maps(one_hot2dist, t), maps(distance_field, t)
    rows = [
        ("boundary uncached (LIVIAETS one_hot2dist + scipy EDT)", lambda: boundary(x, t)),
        ("boundary cached target maps", lambda: boundary(x, t, phi)),
        ("hausdorff_dt uncached (MONAI HausdorffDTLoss, scipy EDT)", lambda: hausdorff(x, t)),
        ("hausdorff_dt cached target maps", lambda: hausdorff(x, t, dg)),
    ]
    print("# torch %s, %d thread(s), binary [8,1,512,512] float32, loss + backward" % (torch.__version__, torch.get_num_threads()))
    for name, f in rows:
        times = []
        for k in range(args.repeats + 1):
            x.grad = None
            t0 = time.perf_counter()
            f().backward()
            el = (time.perf_counter() - t0) * 1e3
            if k > 0:
                times.append(el)
        times.sort()
        print("%-60s median %9.1f ms  min %9.1f ms" % (name, times[len(times) // 2], times[0]))


if __name__ == "__main__":
    main()
