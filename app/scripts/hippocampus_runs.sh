#!/usr/bin/env bash
# Trains, predicts and evaluates one U-Net per seed loss on the hippocampus
# split (validation cases of each run's split.json), recording wall time and
# peak memory with /usr/bin/time -v. Usage:
#   app/scripts/hippocampus_runs.sh OUT_DIR [TIME_BUDGET] [SEGLOSS_BINARY]
set -euo pipefail
out=${1:?output folder}
budget=${2:-3m}
bin=${3:-segloss}
data=${SEGLOSS_HIPPOCAMPUS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/hippocampus}
mkdir -p "$out"
for spec in bce focal_sigmoid dice dice_bce jaccard "tversky:alpha=0.3,beta=0.7"; do
	name=${spec%%:*}
	run=$out/$name
	rm -rf "$run" "$run.pred"
	/usr/bin/time -v -o "$run.time" "$bin" train --data "$data" --loss "$spec" --out "$run" \
		--time "$budget" --val-every 50 --val-slices 128 --seed 1 >"$run.train.log" 2>&1
	"$bin" predict --model "$run" --images "$data/imagesTr" --cases val --out "$run.pred" >/dev/null
	"$bin" eval --pred "$run.pred" --truth "$data/labelsTr" --metrics dice,iou >"$run.eval.txt" 2>&1 || true
	echo "== $spec"; cat "$run.train.log" | grep -v '^step'
	grep -E "Elapsed|Maximum resident" "$run.time"
done
