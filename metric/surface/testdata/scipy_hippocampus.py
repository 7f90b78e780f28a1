"""Reference timing and values for `segloss eval` on the hippocampus split,
computed with scipy the way MONAI does (surface = mask XOR its binary erosion
with a face-connected structure and border 0; distances from
scipy.ndimage.distance_transform_edt with the voxel spacing; HD95 = max of the
two directed 95th percentiles; ASSD over both directions; NSD at 1 mm).

Each label map of labelsTr is compared with a copy of itself shifted one voxel
along x (the prediction BenchmarkEvalHippocampus in app/cli uses) or, with
--erode, with each label eroded by one voxel. With --write DIR the copies are
also written there as .nii.gz, for segloss eval.

Run: /usr/bin/python3 metric/surface/testdata/scipy_hippocampus.py ../shared/data/hippocampus [--erode] [--write DIR]
"""
import gzip
import os
import struct
import sys
import time

import numpy as np
from scipy import ndimage

DTYPES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4"}


def read_nifti(path):
    raw = gzip.open(path).read()
    end = "<" if struct.unpack("<i", raw[:4])[0] == 348 else ">"
    dim = struct.unpack(end + "8h", raw[40:56])
    dtype = struct.unpack(end + "h", raw[70:72])[0]
    pixdim = struct.unpack(end + "8f", raw[76:108])
    off = int(struct.unpack(end + "f", raw[108:112])[0]) or 352
    n = dim[0]
    shape = tuple(reversed(dim[1 : n + 1]))  # [z, y, x], x fastest
    data = np.frombuffer(raw, end + DTYPES[dtype], int(np.prod(shape)), off).reshape(shape)
    spacing = tuple(abs(p) or 1.0 for p in reversed(pixdim[1 : n + 1]))
    return raw[:off], data, spacing


def shift_x(a):
    out = np.zeros_like(a)
    out[..., 1:] = a[..., :-1]
    return out


def erode(a):
    st = ndimage.generate_binary_structure(a.ndim, 1)
    out = np.zeros_like(a)
    for c in (1, 2):
        out[ndimage.binary_erosion(a == c, st, border_value=0)] = c
    return out


def surface_distances(p, t, spacing):
    st = ndimage.generate_binary_structure(p.ndim, 1)
    ep = p ^ ndimage.binary_erosion(p, st, border_value=0)
    et = t ^ ndimage.binary_erosion(t, st, border_value=0)
    dt = ndimage.distance_transform_edt(~et, sampling=spacing)
    dp = ndimage.distance_transform_edt(~ep, sampling=spacing)
    return dt[ep], dp[et]


def main():
    root = sys.argv[1]
    out = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    labels = os.path.join(root, "labelsTr")
    files = sorted(f for f in os.listdir(labels) if f.endswith(".nii.gz"))
    vals = {c: {m: [] for m in ("dice", "hd", "hd95", "assd", "nsd")} for c in (1, 2)}
    elapsed = 0.0
    for f in files:
        header, truth, spacing = read_nifti(os.path.join(labels, f))
        pred = erode(truth) if "--erode" in sys.argv else shift_x(truth)
        if out:
            os.makedirs(out, exist_ok=True)
            with gzip.open(os.path.join(out, f), "wb") as g:
                g.write(header + pred.tobytes())
        start = time.perf_counter()
        for c in (1, 2):
            p, t = pred == c, truth == c
            ab, ba = surface_distances(p, t, spacing)
            v = vals[c]
            v["dice"].append(2 * np.sum(p & t) / (p.sum() + t.sum()))
            v["hd"].append(max(ab.max(), ba.max()))
            v["hd95"].append(max(np.percentile(ab, 95), np.percentile(ba, 95)))
            v["assd"].append(np.concatenate([ab, ba]).mean())
            v["nsd"].append((np.sum(ab <= 1) + np.sum(ba <= 1)) / (len(ab) + len(ba)))
        elapsed += time.perf_counter() - start
    print("scipy %s: %d volumes, dice + hd + hd95 + assd + nsd for 2 labels: %.2f s, %.2f ms per volume (one core, reading excluded)"
          % (__import__("scipy").__version__, len(files), elapsed, 1000 * elapsed / len(files)))
    for c in (1, 2):
        print("label %d: " % c + "  ".join("%s %.6f" % (m, np.mean(x)) for m, x in vals[c].items()))


main()
