#!/usr/bin/env bash
# Runs in one go the Go benchmarks of the exact distance transform (256³) and
# of segloss eval on the whole hippocampus split, and the scipy references on
# the same inputs. Needs /usr/bin/python3 with python3-scipy and ../shared.
# Usage, from the repository root: metric/surface/testdata/bench_vs_scipy.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
go test ./metric/surface -run '^$' -bench DistanceTransform256 -benchtime 5x
(cd app && go test ./cli -run '^$' -bench EvalHippocampus -benchtime 3x)
/usr/bin/python3 metric/surface/testdata/scipy_edt.py
/usr/bin/python3 metric/surface/testdata/scipy_hippocampus.py ../shared/data/hippocampus
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
