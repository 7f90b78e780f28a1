package compare

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

func TestRunFakeTrainer(t *testing.T) {
	set := syntheticSet(t, 60) // 12 held-out cases
	out := t.TempDir()
	ft := &fakeTrainer{}
	var events []EventKind
	res, err := Run(context.Background(), Config{Set: set, Losses: mustLosses(t, DefaultLosses...), Seed: 7, Budget: Budget{Steps: 4},
		Parallel: 2, Out: out, Trainer: ft, Log: func(e Event) { events = append(events, e.Kind) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Finished != 6 || len(res.Ranking) != 6 || len(ft.trained) != 6 {
		t.Fatalf("complete %v, finished %d, ranking %v, trained %v", res.Complete, res.Finished, res.Ranking, ft.trained)
	}
	if res.Classes[1] != "rare" || res.Best[1] == "bce" || res.Ranking[5].Loss != "bce" {
		t.Errorf("classes %v, best %v, ranking %v: bce misses the rare class and must rank last", res.Classes, res.Best, res.Ranking)
	}
	if last := res.Ranking[5]; last.Group == 1 || !strings.Contains(res.Answer, "beat") || !strings.Contains(res.Answer, "bce by") {
		t.Errorf("bce (group %d) is not reported as beaten: %q", last.Group, res.Answer)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "bce: Dice at chance level (rare") {
		t.Errorf("warnings %q miss bce's chance-level rare class", res.Warnings)
	}
	bce := res.run("bce")
	if d := bce.Stat("dice", 1); d.N != 0 && float64(d.Mean) != 0 {
		t.Errorf("bce rare Dice %+v, want 0", d)
	}
	var starts, dones int
	for _, e := range events {
		starts += b2i(e == RunStart)
		dones += b2i(e == RunDone)
	}
	if starts != 6 || dones != 6 {
		t.Errorf("%d starts, %d dones", starts, dones)
	}
	// results.json reads back with everything.
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Seed != 7 || len(back.Split.Val) == 0 || back.Versions["go"] == "" || back.Runs[0].Seconds != 0.5 || len(back.Runs[0].Cases) != len(back.Split.Val) {
		t.Errorf("results.json misses seed, split, versions, times or cases: %+v", back)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Which loss is best for the synthetic set?", "Answer:", "data:image/png;base64,", "hardest", "tversky"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url("} {
		if strings.Contains(string(html), bad) {
			t.Errorf("report.html is not self-contained: it holds %q", bad)
		}
	}
	var tbl strings.Builder
	if err := WriteTable(&tbl, res); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(tbl.String()), "\n"); len(lines) != 8+len(res.Warnings) || !strings.Contains(tbl.String(), " *") {
		t.Errorf("table:\n%s", tbl.String())
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRunResume interrupts a compare after its first run, then resumes it:
// only the missing runs train, and the results are those of one pass.
func TestRunResume(t *testing.T) {
	set := syntheticSet(t, 12)
	out := t.TempDir()
	losses := mustLosses(t, "dice", "bce", "jaccard")
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTrainer{onStart: func(j Job) {
		if j.Index == 1 {
			cancel()
		}
	}, block: func(ctx context.Context) error { return ctx.Err() }}
	cfg := Config{Set: set, Losses: losses, Seed: 1, Budget: Budget{Steps: 3}, Parallel: 1, Out: out, Trainer: ft}
	res, err := Run(ctx, cfg)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err %v, want ErrIncomplete", err)
	}
	if res.Finished != 1 || res.Runs[0].Status != "trained" || res.Runs[1].Done() {
		t.Fatalf("after interruption: finished %d, runs %+v", res.Finished, res.Runs)
	}
	if res.Runs[1].Status != "interrupted" { // issue 14: it was listed as "failed"
		t.Errorf("interrupted run has status %q, want interrupted", res.Runs[1].Status)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Errorf("no partial report: %v", err)
	}
	ft2 := &fakeTrainer{}
	cfg.Trainer = ft2
	res2, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ft2.trained, ",") != "bce,jaccard" || res2.Runs[0].Status != "resumed" || !res2.Complete {
		t.Errorf("resume trained %v, statuses %s %s", ft2.trained, res2.Runs[0].Status, res2.Runs[1].Status)
	}
	fresh := &fakeTrainer{}
	cfg.Trainer = fresh
	full, err := Run(context.Background(), Config{Set: set, Losses: losses, Seed: 1, Budget: Budget{Steps: 3}, Out: t.TempDir(), Trainer: fresh})
	if err != nil {
		t.Fatal(err)
	}
	for i := range full.Runs {
		if !near(float64(full.Runs[i].MeanDice), float64(res2.Runs[i].MeanDice)) {
			t.Errorf("%s: resumed Dice %v, uninterrupted %v", full.Runs[i].Loss, res2.Runs[i].MeanDice, full.Runs[i].MeanDice)
		}
	}
	// Other settings in the same folder: refused, unless --fresh.
	cfg.Budget.Steps = 5
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("changed budget: err %v, want a refusal", err)
	}
	cfg.Fresh = true
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Errorf("--fresh: %v", err)
	}
}

// TestRunFailure keeps going when one run fails and reports it.
func TestRunFailure(t *testing.T) {
	set := syntheticSet(t, 8)
	ft := &fakeTrainer{fail: "jaccard"}
	res, err := Run(context.Background(), Config{Set: set, Losses: mustLosses(t, "dice", "jaccard", "bce"), Budget: Budget{Steps: 2}, Parallel: 2, Out: t.TempDir(), Trainer: ft})
	if !errors.Is(err, ErrIncomplete) || res == nil {
		t.Fatalf("err %v", err)
	}
	if r := res.run("jaccard"); r.Status != "failed" || r.Error != "fake failure" || res.Finished != 2 {
		t.Errorf("jaccard %+v, finished %d", r, res.Finished)
	}
}

func TestConfigErrors(t *testing.T) {
	set := syntheticSet(t, 8)
	ft := &fakeTrainer{}
	for name, cfg := range map[string]Config{
		"no budget": {Set: set, Losses: mustLosses(t, "dice"), Out: t.TempDir(), Trainer: ft},
		"no losses": {Set: set, Budget: Budget{Steps: 1}, Out: t.TempDir(), Trainer: ft},
		"no out":    {Set: set, Losses: mustLosses(t, "dice"), Budget: Budget{Steps: 1}, Trainer: ft},
		"no data":   {Losses: mustLosses(t, "dice"), Budget: Budget{Steps: 1}, Out: t.TempDir(), Trainer: ft},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestInterruptedBeforeAnyRun: a compare interrupted in its first run
// lists the run as interrupted and says how to resume, not "failed".
func TestInterruptedBeforeAnyRun(t *testing.T) {
	set := syntheticSet(t, 12)
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTrainer{onStart: func(Job) { cancel() }, block: func(ctx context.Context) error { return ctx.Err() }}
	res, err := Run(ctx, Config{Set: set, Losses: mustLosses(t, "dice"), Seed: 1, Budget: Budget{Steps: 3}, Parallel: 1, Out: t.TempDir(), Trainer: ft})
	if !errors.Is(err, ErrIncomplete) || res == nil {
		t.Fatalf("err %v", err)
	}
	if res.Runs[0].Status != "interrupted" || !strings.Contains(res.Answer, "the same command resumes them") {
		t.Errorf("status %q, answer %q", res.Runs[0].Status, res.Answer)
	}
}

// mustLosses parses specs with ParseLosses.
func mustLosses(t testing.TB, specs ...string) []*segloss.Loss {
	t.Helper()
	l, err := ParseLosses(specs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
