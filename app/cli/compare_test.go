package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segloss/segloss/app/compare"
	"github.com/segloss/segloss/app/dataset"
)

// TestCompareBadInput: every mistake fails before anything is loaded or
// trained, with a named error and exit code 2.
func TestCompareBadInput(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--losses", "dice,focal"}, "valid losses: asymmetric_focal, asymmetric_focal_tversky, bce"},
		{[]string{"--losses", "tversky:gamma=2"}, "valid options"},
		{[]string{"--losses", "tversky:alpha=0.9..0.1/0.1"}, "FROM <= TO"},
		{[]string{"--losses", ","}, "--losses is empty"},
		{[]string{"--budget", "soon"}, "--budget"},
		{[]string{"--data", "/no/such/folder"}, "give --budget"},
		{[]string{"--parallel", "0"}, "--workers"},
		{[]string{"--size", "64"}, "--size"},
	} {
		_, errs, code := runCLI(t, append([]string{"compare", "--out", out}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "runs")); err == nil {
		t.Error("a run started despite bad input")
	}
	// A missing data folder is named, after the flags passed.
	_, errs, code := runCLI(t, "compare", "--out", out, "--data", "/no/such/folder", "--budget", "3")
	if code != 1 || !strings.Contains(errs, "/no/such/folder") {
		t.Errorf("missing data: exit %d, stderr %q", code, errs)
	}
}

// quickTrainer is a fake trainer: the truth as prediction, bce misses the
// rare class.
type quickTrainer struct{}

func (quickTrainer) Describe() any { return "quick" }

func (quickTrainer) Train(_ context.Context, set *dataset.Set, job compare.Job, progress func(compare.Progress)) (*compare.Outcome, error) {
	pred := make([][]int32, len(set.Val))
	for i, ex := range set.Val {
		pred[i] = append([]int32(nil), ex.Label...)
		for j, l := range pred[i] {
			if l == 2 && job.Name == "bce" {
				pred[i][j] = 0
			}
		}
	}
	progress(compare.Progress{Step: 1, Steps: 1, ValDice: 0.5})
	return &compare.Outcome{Steps: 1, Seconds: 0.1, Curve: []compare.Point{{Step: 1, Dice: []compare.Num{0.5, 0.5}}}, Pred: pred}, nil
}

func TestCompareFakeTrainer(t *testing.T) {
	defer func(old func(*compareOptions) compare.Trainer) { newCompareTrainer = old }(newCompareTrainer)
	newCompareTrainer = func(*compareOptions) compare.Trainer { return quickTrainer{} }
	out := t.TempDir()
	stdout, errs, code := runCLI(t, "compare", "--data", "synthetic:10", "--out", out, "--losses", "bce", "--losses", "dice,tversky:alpha=0.3,beta=0.7")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"rank", "Dice rare", "tversky:alpha=0.3,beta=0.7", "Which loss is best for the synthetic set?", "report.html"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(errs, "[9/9]") { // 3 losses × 3 seeds, the default on the built-in set
		t.Errorf("no progress on stderr:\n%s", errs)
	}
	// The same command again resumes every run.
	_, errs, code = runCLI(t, "compare", "--data", "synthetic:10", "--out", out, "--losses", "bce", "--losses", "dice,tversky:alpha=0.3,beta=0.7")
	if code != 0 || strings.Count(errs, "stored in an earlier call") != 9 {
		t.Errorf("resume: exit %d, stderr:\n%s", code, errs)
	}
}

// TestCompareProgressBar draws the bar when standard error is a terminal.
func TestCompareProgressBar(t *testing.T) {
	defer func(old func(*compareOptions) compare.Trainer) { newCompareTrainer = old }(newCompareTrainer)
	newCompareTrainer = func(*compareOptions) compare.Trainer { return quickTrainer{} }
	var out, errb bytes.Buffer
	code := Main([]string{"compare", "--data", "synthetic:6", "--out", t.TempDir(), "--losses", "bce,dice", "--seeds", "1"},
		&Streams{In: strings.NewReader(""), Out: &out, Err: &errb, IsTerm: true})
	if code != 0 || !strings.Contains(errb.String(), "2/2 runs") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestCompareRealTinyBudget runs the whole pipeline with the GoMLX trainer
// on a tiny model, tiny images and a few steps.
func TestCompareRealTinyBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	out := t.TempDir()
	_, errs, code := runCLI(t, "compare", "--data", "synthetic:6", "--out", out, "--losses", "bce,dice", "--budget", "3", "--seeds", "1",
		"--width", "2", "--depth", "2", "--batch", "2", "--val-every", "2", "--parallel", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res compare.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Runs) != 2 || res.Runs[0].Steps != 3 || len(res.Runs[0].Curve) == 0 || len(res.Runs[1].Cases) != len(res.Split.Val) {
		t.Errorf("results: %+v", res)
	}
	if fi, err := os.Stat(filepath.Join(out, "report.html")); err != nil || fi.Size() < 10000 {
		t.Errorf("report.html: %v", err)
	}
}

// TestCompareSlurmArray writes the Slurm job array, checks its content,
// runs each array task's command and then the collect job's command the
// way Slurm would (one process per task, with SLURM_ARRAY_TASK_ID), and
// compares the report with a compare run in one call: the same numbers.
func TestCompareSlurmArray(t *testing.T) {
	defer func(old func(*compareOptions) compare.Trainer) { newCompareTrainer = old }(newCompareTrainer)
	newCompareTrainer = func(*compareOptions) compare.Trainer { return quickTrainer{} }
	out := t.TempDir()
	flags := []string{"--data", "synthetic:12", "--losses", "bce,dice", "--seeds", "2", "--folds", "3", "--budget", "5"}
	stdout, errs, code := runCLI(t, append([]string{"compare", "--out", out, "--emit", "slurm"}, flags...)...)
	if code != 0 {
		t.Fatalf("emit: exit %d: %s", code, errs)
	}
	raw, err := os.ReadFile(filepath.Join(out, "slurm", "array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(raw)
	for _, want := range []string{"#SBATCH --array=0-11", "--only \"$SLURM_ARRAY_TASK_ID\"", "--folds 3", "--seeds 2", "--losses bce,dice", "--workers 1"} {
		if !strings.Contains(script, want) {
			t.Errorf("array.sbatch lacks %q:\n%s", want, script)
		}
	}
	if !strings.Contains(stdout, "submit.sh") {
		t.Errorf("stdout: %s", stdout)
	}
	for _, f := range []string{"collect.sbatch", "submit.sh"} {
		if fi, err := os.Stat(filepath.Join(out, "slurm", f)); err != nil || fi.Mode()&0o100 == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// Each task's command, as bash would split it.
	line := script[strings.Index(script, "exec \"$SEGLOSS\" ")+len("exec \"$SEGLOSS\" "):]
	line = strings.TrimSpace(line[:strings.Index(line, "\n")])
	for id := 0; id < 12; id++ {
		args := shellWords(t, strings.ReplaceAll(line, "\"$SLURM_ARRAY_TASK_ID\"", strconv.Itoa(id)))
		if _, errs, code := runCLI(t, args...); code != 0 {
			t.Fatalf("task %d (%v): exit %d: %s", id, args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "results.json")); err == nil {
		t.Error("an array task wrote the results")
	}
	craw, _ := os.ReadFile(filepath.Join(out, "slurm", "collect.sbatch"))
	cl := string(craw)
	cl = strings.TrimSpace(cl[strings.Index(cl, "exec \"$SEGLOSS\" ")+len("exec \"$SEGLOSS\" "):])
	if _, errs, code := runCLI(t, shellWords(t, cl)...); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, errs)
	}
	collected := readResults(t, out)
	one := t.TempDir()
	if _, errs, code := runCLI(t, append([]string{"compare", "--out", one}, flags...)...); code != 0 {
		t.Fatalf("one call: exit %d: %s", code, errs)
	}
	direct := readResults(t, one)
	if !collected.Complete || collected.Finished != 12 || collected.Answer != direct.Answer || len(collected.Runs[0].Cases) != 12 {
		t.Errorf("collected: complete %v, %d runs, %d cases; answer\n%s\nwant\n%s", collected.Complete, collected.Finished, len(collected.Runs[0].Cases), collected.Answer, direct.Answer)
	}
}

// TestCompareDeterministic runs the same compare twice: the same answer,
// ranking and pairwise numbers.
func TestCompareDeterministic(t *testing.T) {
	defer func(old func(*compareOptions) compare.Trainer) { newCompareTrainer = old }(newCompareTrainer)
	newCompareTrainer = func(*compareOptions) compare.Trainer { return quickTrainer{} }
	var got []string
	for i := 0; i < 2; i++ {
		out := t.TempDir()
		if _, errs, code := runCLI(t, "compare", "--data", "synthetic:30", "--out", out, "--losses", "bce,dice,jaccard"); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		r := readResults(t, out)
		raw, _ := json.Marshal([]any{r.Answer, r.Ranking, r.Pairwise, r.PerClass, r.Warnings})
		got = append(got, string(raw))
	}
	if got[0] != got[1] {
		t.Errorf("two runs differ:\n%s\n%s", got[0], got[1])
	}
}

func readResults(t *testing.T, out string) *compare.Results {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r compare.Results
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// shellWords splits a command line written by shellQuote.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	inQ, has := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQ, has = !inQ, true
		case r == ' ' && !inQ:
			if has {
				out = append(out, cur.String())
			}
			cur.Reset()
			has = false
		case r == '"' && !inQ:
			has = true
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
