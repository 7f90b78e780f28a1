package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/segloss/segloss/app/compare"
	"github.com/segloss/segloss/maskio"
)

// parseOnly reads --only: run IDs and ranges, "3" or "0,4-7".
func parseOnly(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, fmt.Errorf("--only %q: want run IDs like 3 or 0,4-7", s)
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// emitCompare writes the recipe --emit asks for: the list of runs, or a
// Slurm job array (one task per run, each `compare --only ID` into the
// shared --out) with a collect job that reports once every task ended.
func emitCompare(s *Streams, o *compareOptions, plan *compare.Plan, cfg compare.Config) error {
	if o.Emit == "list" {
		fmt.Fprintln(s.Out, "id\tloss\tseed\tfold")
		for _, j := range plan.Jobs {
			fmt.Fprintf(s.Out, "%d\t%s\t%d\t%d\n", j.Index, j.Loss, j.Seed, j.Fold+1)
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "segloss"
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, "slurm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	args := compareArgs(o, out)
	n := len(plan.Jobs)
	array := fmt.Sprintf(`#!/bin/bash
# segloss compare as a Slurm job array: %d runs (%d losses × %d seed(s) × %d fold(s)),
# one array task each, all writing into the shared folder %s.
# Submit with submit.sh (next to this file), which queues collect.sbatch after the array.
#SBATCH --job-name=segloss-compare
#SBATCH --array=0-%d
#SBATCH --cpus-per-task=2
#SBATCH --chdir=%s
#SBATCH --output=%s
set -euo pipefail
SEGLOSS="${SEGLOSS:-%s}"
exec "$SEGLOSS" compare %s --workers 1 --only "$SLURM_ARRAY_TASK_ID"
`, n, len(cfg.Losses), max(1, cfg.Seeds), len(plan.Sets), out, n-1, shellQuote(cwd), shellQuote(filepath.Join(dir, "run-%a.log")), exe, args)
	collect := fmt.Sprintf(`#!/bin/bash
# Scores and reports the runs of the job array (array.sbatch) stored in %s.
#SBATCH --job-name=segloss-collect
#SBATCH --cpus-per-task=2
#SBATCH --chdir=%s
#SBATCH --output=%s
set -euo pipefail
SEGLOSS="${SEGLOSS:-%s}"
exec "$SEGLOSS" compare %s --collect
`, out, shellQuote(cwd), shellQuote(filepath.Join(dir, "collect.log")), exe, args)
	submit := fmt.Sprintf(`#!/bin/bash
# Queues the %d runs as a job array, then the report once they have all ended.
set -euo pipefail
cd %s
jid=$(sbatch --parsable array.sbatch)
sbatch --dependency=afterany:"${jid%%%%;*}" collect.sbatch
`, n, shellQuote(dir))
	for name, text := range map[string]string{"array.sbatch": array, "collect.sbatch": collect, "submit.sh": submit} {
		if err := writeScript(filepath.Join(dir, name), text); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.Out, "wrote a Slurm job array of %d runs: %s\nsubmit with: bash %s\n", n, filepath.Join(dir, "array.sbatch"), filepath.Join(dir, "submit.sh"))
	return nil
}

// compareArgs writes the flags that define the compare's runs, for the
// scheduler's jobs: every flag that was set except the ones that pick
// what a call does (--emit, --only, --collect, --fresh, --workers), with
// --out absolute.
func compareArgs(o *compareOptions, out string) string {
	parts := []string{"--out", shellQuote(out), "--seeds", strconv.Itoa(o.Seeds)}
	for _, f := range o.setFlags {
		parts = append(parts, "--"+f[0], shellQuote(f[1]))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for bash, in single quotes when it needs any.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeScript writes an executable script atomically.
func writeScript(path, text string) error {
	if err := maskio.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}); err != nil {
		return err
	}
	return os.Chmod(path, 0o755)
}
