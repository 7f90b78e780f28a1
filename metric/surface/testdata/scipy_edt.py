"""Times scipy.ndimage.distance_transform_edt on the volume of
BenchmarkDistanceTransform256 (metric/surface/bench_test.go): distances to
the voxels outside a ball of radius 100 in a 256^3 grid, spacing (1, 1, 1.5).

Run: /usr/bin/python3 metric/surface/testdata/scipy_edt.py
(scipy's transform is single-threaded.)
"""
import time

import numpy as np
from scipy import ndimage

n = 256
z, y, x = np.ogrid[:n, :n, :n]
inside = (z - 128) ** 2 + (y - 128) ** 2 + (x - 128) ** 2 <= 100 ** 2
ndimage.distance_transform_edt(inside[:64, :64, :64], sampling=(1, 1, 1.5))  # warm up
times = []
for _ in range(3):
    t = time.perf_counter()
    ndimage.distance_transform_edt(inside, sampling=(1, 1, 1.5))
    times.append(time.perf_counter() - t)
print("scipy %s distance_transform_edt 256^3: best %.3f s, mean %.3f s over %d runs"
      % (__import__("scipy").__version__, min(times), sum(times) / len(times), len(times)))
