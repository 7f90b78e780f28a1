package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
		{[]string{"--parallel", "0"}, "--parallel"},
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
	for _, want := range []string{"rank", "Dice rare", "tversky:alpha=0.3,beta=0.7", "Which loss is best for synthetic?", "report.html"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(errs, "[3/3]") {
		t.Errorf("no progress on stderr:\n%s", errs)
	}
	// The same command again resumes every run.
	_, errs, code = runCLI(t, "compare", "--data", "synthetic:10", "--out", out, "--losses", "bce", "--losses", "dice,tversky:alpha=0.3,beta=0.7")
	if code != 0 || strings.Count(errs, "stored in an earlier call") != 3 {
		t.Errorf("resume: exit %d, stderr:\n%s", code, errs)
	}
}

// TestCompareProgressBar draws the bar when standard error is a terminal.
func TestCompareProgressBar(t *testing.T) {
	defer func(old func(*compareOptions) compare.Trainer) { newCompareTrainer = old }(newCompareTrainer)
	newCompareTrainer = func(*compareOptions) compare.Trainer { return quickTrainer{} }
	var out, errb bytes.Buffer
	code := Main([]string{"compare", "--data", "synthetic:6", "--out", t.TempDir(), "--losses", "bce,dice"},
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
	_, errs, code := runCLI(t, "compare", "--data", "synthetic:6", "--out", out, "--losses", "bce,dice", "--budget", "3",
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
