#!/usr/bin/env bash
# faults.sh: kill -9 segloss `eval --out`, `train` and `compare` at random
# points, rerun each, and check that the rerun resumes or restarts cleanly,
# that every finished output is complete and valid, and that no partial
# (temporary) file remains; then a full disk (a 1 MiB tmpfs) and a read-only
# --out must give a clear error and keep what was written before.
#
# Usage (slow, about 15 minutes on 2 cores; not part of CI):
#
#	scripts/faults.sh [N]          # N kills per command, default 20
#	PARTS="compare disk" scripts/faults.sh 20   # only some parts (eval train compare disk)
#
# Kill times are drawn uniformly in [0, 1.2·T), T the duration of an
# uninterrupted run measured first, so that the kills fall before, during and
# after the writes of finished outputs whatever the load of the machine.
# The disk tests need root (mount); they are skipped otherwise. The data are
# ../shared/data/hippocampus (eval) and the built-in synthetic set (train,
# compare). Prints one line per check that fails and a totals line per
# command; exits 1 if anything failed.
set -u
N=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HIPP=${HIPP:-$ROOT/../shared/data/hippocampus/labelsTr}
WORK=$(mktemp -d /tmp/segloss-faults.XXXXXX)
BIN=$WORK/segloss
trap 'umount "$WORK/tiny" 2>/dev/null; umount "$WORK/ro" 2>/dev/null; rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$BIN" ./app/cmd/segloss) || exit 1
RANDOM=15
FAILED=0
PARTS=${PARTS:-eval train compare disk}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

# leftovers DIR: temporary files of maskio.WriteFileAtomic (.NAME.tmpNNN).
leftovers() { find "$1" -name '.*.tmp*' 2>/dev/null; }

# validjson FILE: FILE parses as JSON (NaN/Infinity allowed).
validjson() { /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# validhtml FILE: FILE is a whole HTML page.
validhtml() { tail -c 200 "$1" | grep -q '</html>'; }

# killat SECONDS CMD...: runs CMD, sends SIGKILL after SECONDS (fractional),
# and returns 0 if it was killed, 1 if it finished first.
killat() {
	local t=$1
	shift
	"$@" >"$WORK/last.out" 2>&1 &
	local pid=$!
	sleep "$t"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		return 0
	fi
	wait "$pid" 2>/dev/null
	return 1
}

# randsec MAX: a random time in [0, MAX) seconds with two decimals (MAX in
# hundredths of a second).
randsec() { echo "scale=2; $((RANDOM % $1)) / 100" | bc; }

# duration CMD...: runs CMD and prints 1.2 times its wall time in hundredths
# of a second.
duration() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) * 12 / 100000000))
}

# --- eval --out ---
if part eval; then
survived=0 killed=0 stale=0
out=$WORK/eval
mkdir -p "$out"
"$BIN" eval --pred "$HIPP" --truth "$HIPP" --format json --out "$out/report.json" --workers 1 >/dev/null 2>&1 || fail "eval: first run"
T=$(duration "$BIN" eval --pred "$HIPP" --truth "$HIPP" --metrics dice,hd95,assd --format json --out "$out/report.json" --workers 1)
for i in $(seq "$N"); do
	before=$(sha256sum <"$out/report.json")
	if killat "$(randsec "$T")" "$BIN" eval --pred "$HIPP" --truth "$HIPP" --metrics dice,hd95,assd --format json --out "$out/report.json" --workers 1; then
		killed=$((killed + 1))
		# The report of the earlier run is intact or replaced whole.
		validjson "$out/report.json" || fail "eval kill $i: report.json invalid after kill -9"
		[ -n "$(leftovers "$out")" ] && stale=$((stale + 1))
	fi
	"$BIN" eval --pred "$HIPP" --truth "$HIPP" --metrics dice,hd95,assd --format json --out "$out/report.json" --workers 1 >/dev/null 2>&1 || { fail "eval rerun $i: exit $?"; continue; }
	validjson "$out/report.json" || { fail "eval rerun $i: invalid report"; continue; }
	if [ -n "$(leftovers "$out")" ]; then
		fail "eval rerun $i: partial files remain: $(leftovers "$out" | xargs -n1 basename | tr '\n' ' ')"
		continue
	fi
	survived=$((survived + 1))
	: "$before"
done
echo "eval --out: $N tries, $killed killed mid-run, $survived reruns clean, $stale kills left a temporary file behind"
fi

# --- train ---
if part train; then
survived=0 killed=0 resumed=0 stale=0
T=$(duration "$BIN" train --data synthetic:12 --loss dice --steps 20 --width 4 --depth 2 --batch 4 --val-every 5 --out "$WORK/train/ref")
for i in $(seq "$N"); do
	out=$WORK/train/r$i
	args=(train --data synthetic:12 --loss dice --steps 20 --width 4 --depth 2 --batch 4 --val-every 5 --out "$out")
	if killat "$(randsec "$T")" "$BIN" "${args[@]}"; then
		killed=$((killed + 1))
		for f in "$out"/*.json; do
			[ -e "$f" ] && { validjson "$f" || fail "train kill $i: $(basename "$f") invalid after kill -9"; }
		done
		[ -n "$(leftovers "$out")" ] && stale=$((stale + 1))
	fi
	extra=()
	if [ -e "$out/checkpoint.gob" ]; then
		extra=(--resume)
		resumed=$((resumed + 1))
	fi
	"$BIN" "${args[@]}" "${extra[@]}" >"$WORK/rerun.out" 2>&1 || { fail "train rerun $i (${extra[*]:-fresh}): $(tail -1 "$WORK/rerun.out")"; continue; }
	ok=1
	for f in result.json curve.json model.json split.json; do
		validjson "$out/$f" || { fail "train rerun $i: $f missing or invalid"; ok=0; }
	done
	[ -s "$out/checkpoint.gob" ] || { fail "train rerun $i: no checkpoint"; ok=0; }
	if [ -n "$(leftovers "$out")" ]; then
		fail "train rerun $i: partial files remain: $(leftovers "$out" | xargs -n1 basename | tr '\n' ' ')"
		ok=0
	fi
	[ $ok = 1 ] && survived=$((survived + 1))
done
echo "train: $N tries, $killed killed mid-run, $resumed resumed from a checkpoint, $survived reruns clean, $stale kills left a temporary file behind"
fi

# --- compare ---
if part compare; then
survived=0 killed=0 kept=0 stale=0
T=$(duration "$BIN" compare --data synthetic:12 --losses dice,bce --budget 15 --width 4 --depth 2 --batch 4 --out "$WORK/compare/ref")
for i in $(seq "$N"); do
	out=$WORK/compare/c$i
	args=(compare --data synthetic:12 --losses dice,bce --budget 15 --width 4 --depth 2 --batch 4 --out "$out")
	if killat "$(randsec "$T")" "$BIN" "${args[@]}"; then
		killed=$((killed + 1))
		[ -e "$out/results.json" ] && { validjson "$out/results.json" || fail "compare kill $i: results.json invalid"; }
		[ -e "$out/report.html" ] && { validhtml "$out/report.html" || fail "compare kill $i: report.html cut short"; }
		for f in "$out"/runs/*/run.json; do
			[ -e "$f" ] && { validjson "$f" || fail "compare kill $i: $f invalid"; }
		done
		[ -n "$(leftovers "$out")" ] && stale=$((stale + 1))
	fi
	"$BIN" "${args[@]}" >"$WORK/rerun.out" 2>&1 || { fail "compare rerun $i: $(tail -1 "$WORK/rerun.out")"; continue; }
	kept=$((kept + $(grep -c 'stored in an earlier call' "$WORK/rerun.out")))
	ok=1
	validjson "$out/results.json" || { fail "compare rerun $i: results.json invalid"; ok=0; }
	validhtml "$out/report.html" || { fail "compare rerun $i: report.html invalid"; ok=0; }
	[ "$(ls "$out"/runs/*/run.json 2>/dev/null | wc -l)" = 2 ] || { fail "compare rerun $i: not 2 stored runs"; ok=0; }
	if [ -n "$(leftovers "$out")" ]; then
		fail "compare rerun $i: partial files remain: $(leftovers "$out" | xargs -n1 basename | tr '\n' ' ')"
		ok=0
	fi
	[ $ok = 1 ] && survived=$((survived + 1))
done
echo "compare: $N tries, $killed killed mid-run, $kept finished runs kept by the rerun, $survived reruns clean, $stale kills left a temporary file behind"
fi

# --- full disk and read-only --out ---
if ! part disk; then
	echo "failures: $FAILED"
	[ $FAILED = 0 ]
	exit
fi
if [ "$(id -u)" != 0 ]; then
	echo "disk tests skipped (need root for mount)"
	[ $FAILED = 0 ]
	exit
fi
mkdir -p "$WORK/tiny" "$WORK/ro"
mount -t tmpfs -o size=1m tmpfs "$WORK/tiny" || { fail "mount tmpfs"; exit 1; }
# eval: an earlier report survives a full disk.
echo '{"earlier": true}' >"$WORK/tiny/report.json"
head -c 1000000 /dev/zero >"$WORK/tiny/filler" 2>/dev/null
"$BIN" eval --pred "$HIPP" --truth "$HIPP" --format json --out "$WORK/tiny/report.json" --workers 1 >/dev/null 2>"$WORK/err" && fail "eval on a full disk: exit 0"
grep -qi 'no space left' "$WORK/err" || fail "eval on a full disk: unclear error: $(tail -1 "$WORK/err")"
grep -q earlier "$WORK/tiny/report.json" || fail "eval on a full disk: earlier report lost"
[ -n "$(leftovers "$WORK/tiny")" ] && fail "eval on a full disk: partial file left"
echo "eval, full disk: $(tail -1 "$WORK/err")"
# compare: the runs stored before the disk filled are kept, the rerun resumes.
rm -f "$WORK/tiny/filler" "$WORK/tiny/report.json"
cargs=(compare --data synthetic:12 --budget 15 --width 4 --depth 2 --batch 4 --parallel 1 --out "$WORK/tiny/cmp" --losses)
"$BIN" "${cargs[@]}" dice >/dev/null 2>&1 || fail "compare on tmpfs: first run"
used=$(du -sk "$WORK/tiny" | cut -f1)
head -c $(((1024 - used - 40) * 1024)) /dev/zero >"$WORK/tiny/filler" 2>/dev/null
"$BIN" "${cargs[@]}" dice,bce >/dev/null 2>"$WORK/err" && fail "compare on a full disk: exit 0"
echo "compare, full disk: $(grep -i 'space' "$WORK/err" | tail -1)"
grep -qi 'no space left' "$WORK/err" || fail "compare on a full disk: unclear error: $(tail -1 "$WORK/err")"
validjson "$WORK/tiny/cmp/runs/"dice-*/run.json || fail "compare on a full disk: the earlier run was lost"
[ -n "$(leftovers "$WORK/tiny")" ] && fail "compare on a full disk: partial files left: $(leftovers "$WORK/tiny")"
rm -f "$WORK/tiny/filler"
"$BIN" "${cargs[@]}" dice,bce >"$WORK/rerun.out" 2>&1 || fail "compare after freeing space: $(tail -1 "$WORK/rerun.out")"
grep -q 'stored in an earlier call' "$WORK/rerun.out" || fail "compare after freeing space: the stored run was not kept"
# train on a full disk.
used=$(du -sk "$WORK/tiny" | cut -f1)
head -c $(((1024 - used - 8) * 1024)) /dev/zero >"$WORK/tiny/filler" 2>/dev/null
"$BIN" train --data synthetic:12 --loss dice --steps 10 --width 4 --depth 2 --batch 4 --out "$WORK/tiny/train" >/dev/null 2>"$WORK/err" && fail "train on a full disk: exit 0"
grep -qi 'no space left' "$WORK/err" || fail "train on a full disk: unclear error: $(tail -1 "$WORK/err")"
[ -n "$(leftovers "$WORK/tiny")" ] && fail "train on a full disk: partial files left: $(leftovers "$WORK/tiny")"
echo "train, full disk: $(tail -1 "$WORK/err")"
umount "$WORK/tiny"
# Read-only --out: a read-only bind mount (root ignores file modes).
mkdir -p "$WORK/rosrc"
echo '{"earlier": true}' >"$WORK/rosrc/report.json"
mount --bind "$WORK/rosrc" "$WORK/ro" && mount -o remount,ro,bind "$WORK/ro" || { fail "read-only bind mount"; exit 1; }
"$BIN" eval --pred "$HIPP" --truth "$HIPP" --format json --out "$WORK/ro/report.json" --workers 1 >/dev/null 2>"$WORK/err" && fail "eval to a read-only --out: exit 0"
grep -qi 'read-only' "$WORK/err" || fail "eval to a read-only --out: unclear error: $(tail -1 "$WORK/err")"
grep -q earlier "$WORK/ro/report.json" || fail "eval to a read-only --out: earlier report lost"
echo "eval, read-only: $(tail -1 "$WORK/err")"
for c in "train --data synthetic:12 --loss dice --steps 5 --width 4 --depth 2 --out $WORK/ro/t" \
	"compare --data synthetic:12 --losses dice --budget 5 --width 4 --depth 2 --out $WORK/ro/c"; do
	# shellcheck disable=SC2086
	"$BIN" $c >/dev/null 2>"$WORK/err" && fail "${c%% *} to a read-only --out: exit 0"
	grep -qi 'read-only' "$WORK/err" || fail "${c%% *} to a read-only --out: unclear error: $(tail -1 "$WORK/err")"
	echo "${c%% *}, read-only: $(tail -1 "$WORK/err")"
done
umount "$WORK/ro"
echo "failures: $FAILED"
[ $FAILED = 0 ]
