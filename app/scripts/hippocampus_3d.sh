#!/usr/bin/env bash
# Trains a 3-D U-Net (native engine) on the hippocampus split, predicts the
# held-out volumes whole (sliding window) and scores them per volume with
# the files' spacing (HD95 in mm), recording wall time and peak memory with
# /usr/bin/time -v. Extra arguments go to segloss train. Usage:
#   app/scripts/hippocampus_3d.sh OUT_DIR [SEGLOSS_BINARY] [train flags...]
set -euo pipefail
out=${1:?output folder}
bin=${2:-segloss}
shift $(( $# >= 2 ? 2 : $# ))
data=${SEGLOSS_HIPPOCAMPUS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/hippocampus}
run=$out/run3d
rm -rf "$run" "$run.pred"
mkdir -p "$out"
uptime >"$run.uptime"
/usr/bin/time -v -o "$run.time" "$bin" train --data "$data" --dims 3 --seed 1 --out "$run" "$@" >"$run.train.log" 2>&1
uptime >>"$run.uptime"
"$bin" predict --model "$run" --images "$data/imagesTr" --cases val --out "$run.pred" >/dev/null
"$bin" eval --pred "$run.pred" --truth "$data/labelsTr" --metrics dice,iou,hd95 >"$run.eval.txt" 2>&1 || true
grep -v '^step' "$run.train.log"
grep -E "Elapsed|Maximum resident" "$run.time"
tail -n 12 "$run.eval.txt"
cat "$run.uptime"
