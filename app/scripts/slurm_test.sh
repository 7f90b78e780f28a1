#!/bin/bash
# Runs `segloss compare --emit slurm` on a one-node Slurm started here (Debian's
# slurm-wlm: slurmctld + slurmd + munged, as root, with a throwaway slurm.conf),
# submits the job array and its collect job, waits for them, and checks that
# results.json holds every run. Exits 0 with a note when Slurm is not installed.
# Usage: app/scripts/slurm_test.sh   (from the repository root)
set -euo pipefail
for t in slurmctld slurmd munged sbatch squeue; do
	if ! command -v "$t" >/dev/null; then
		echo "slurm_test: $t not installed (apt-get install slurm-wlm); skipped"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "slurm_test: needs root to start slurmd; skipped"
	exit 0
fi
root=$(pwd)
tmp=$(mktemp -d /tmp/segloss-slurm.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
host=$(hostname -s)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/munge"
cat >"$tmp/slurm.conf" <<CONF
ClusterName=segloss
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
munged --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
	--seed-file="$tmp/munge/seed" --key-file=/etc/munge/munge.key --force -F &
pids+=($!)
sleep 1
slurmctld -D -f "$SLURM_CONF" &
pids+=($!)
sleep 2
slurmd -D -f "$SLURM_CONF" &
pids+=($!)
for _ in $(seq 60); do
	if sinfo -h -o %T 2>/dev/null | grep -q idle; then break; fi
	sleep 1
done
sinfo
(cd app && go build -o "$tmp/segloss" ./cmd/segloss)
out=$tmp/out
SEGLOSS=$tmp/segloss "$tmp/segloss" compare --data synthetic:8 --losses bce,dice --seeds 2 --budget 3 \
	--width 2 --depth 2 --batch 2 --val-every 2 --out "$out" --emit slurm
export SEGLOSS=$tmp/segloss
start=$(date +%s)
bash "$out/slurm/submit.sh"
for _ in $(seq 600); do
	if [ -z "$(squeue -h 2>/dev/null)" ]; then break; fi
	sleep 1
done
echo "slurm_test: the array and collect jobs took $(($(date +%s) - start)) s"
squeue
cat "$out/slurm/collect.log" || true
grep -q '"complete": true' "$out/results.json"
grep -q '"finished": 4' "$out/results.json"
test -s "$out/report.html"
echo "slurm_test: ok (4 runs as a Slurm job array, reported by the collect job)"
cd "$root"
