package compare

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/segloss/segloss/app/dataset"
)

// scores returns [case][seed] values base + spread·noise(case, seed).
func scores(cases, seeds int, base, spread float64, phase int) [][]float64 {
	out := make([][]float64, cases)
	for c := range out {
		out[c] = make([]float64, seeds)
		for r := range out[c] {
			out[c][r] = base + spread*math.Sin(float64(7*c+3*r+phase))
		}
	}
	return out
}

// TestAnalyzeGroups: two losses whose intervals overlap are tied for
// first; a clearly worse one is in group 2 with 12 cases, and tied with
// them with 4 cases, where no Wilcoxon p-value can fall below 0.125.
func TestAnalyzeGroups(t *testing.T) {
	x := [][][]float64{scores(12, 3, 0.80, 0.05, 0), scores(12, 3, 0.81, 0.05, 1), scores(12, 3, 0.40, 0.05, 2)}
	rk, pairs := analyze([]string{"a", "b", "c"}, x)
	if rk[0].Loss != "b" || rk[1].Loss != "a" || rk[0].Group != 1 || rk[1].Group != 1 || rk[2].Group != 2 {
		t.Fatalf("ranking %+v", rk)
	}
	if !(float64(rk[1].High) > float64(rk[0].Low)) {
		t.Errorf("the intervals of a and b do not overlap: %+v", rk[:2])
	}
	if len(pairs) != 3 || pairs[0].A != "b" || pairs[0].B != "a" || pairs[0].Separated() || !pairs[1].Separated() {
		t.Errorf("pairs %+v", pairs)
	}
	if p := pairs[1]; p.Test != "wilcoxon signed-rank, exact" || !(float64(p.PAdjusted) >= float64(p.P)) || p.N != 12 {
		t.Errorf("b vs c: %+v", p)
	}
	few := [][][]float64{x[0][:4], x[1][:4], x[2][:4]}
	rk, _ = analyze([]string{"a", "b", "c"}, few)
	for _, e := range rk {
		if e.Group != 1 {
			t.Errorf("4 cases: %s in group %d, want all tied", e.Loss, e.Group)
		}
	}
}

// TestAnswerTies: the answer names the tie of the two best and says what
// would separate them; with too few cases it warns.
func TestAnswerTies(t *testing.T) {
	set := syntheticSet(t, 60)
	res, err := Run(context.Background(), Config{Set: set, Losses: mustLosses(t, "dice_bce", "focal_sigmoid", "bce"), Seed: 1, Budget: Budget{Steps: 2},
		Out: t.TempDir(), Trainer: &fakeTrainer{}})
	if err != nil {
		t.Fatal(err)
	}
	// dice_bce and focal_sigmoid get the same damage from the fake trainer.
	if !strings.Contains(res.Answer, "tied for first") || !strings.Contains(res.Answer, "What would separate them") || res.Ranking[1].Group != 1 {
		t.Errorf("answer %q, ranking %+v", res.Answer, res.Ranking)
	}
	if strings.Contains(strings.Join(res.Warnings, " "), "held-out cases (fewer") {
		t.Errorf("12 cases warned as too few: %v", res.Warnings)
	}
	small, err := Run(context.Background(), Config{Set: syntheticSet(t, 20), Losses: mustLosses(t, "dice", "bce"), Seed: 1, Budget: Budget{Steps: 2},
		Out: t.TempDir(), Trainer: &fakeTrainer{}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(small.Answer, "only 4 held-out cases") || !strings.Contains(strings.Join(small.Warnings, " "), "fewer than 10") || small.Ranking[1].Group != 1 {
		t.Errorf("4 cases: answer %q", small.Answer)
	}
}

// shortTrainer stops every run after half its steps, as a time cap does.
type shortTrainer struct{ fakeTrainer }

func (s *shortTrainer) Train(ctx context.Context, set *dataset.Set, job Job, progress func(Progress)) (*Outcome, error) {
	out, err := s.fakeTrainer.Train(ctx, set, job, progress)
	if out != nil {
		out.Steps = job.Budget.Steps / 2
	}
	return out, err
}

// TestWarnShortRuns: a run short of its step budget is named.
func TestWarnShortRuns(t *testing.T) {
	res, err := Run(context.Background(), Config{Set: syntheticSet(t, 12), Losses: mustLosses(t, "dice"), Budget: Budget{Steps: 4, Time: 1e9},
		Out: t.TempDir(), Trainer: &shortTrainer{}})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "dice: 1 of 1 runs stopped short of the 4-step budget (2 steps") {
		t.Errorf("warnings %q", w)
	}
}

// TestFoldsAndSeeds: with 3 folds × 2 seeds every case is scored once per
// seed, by the run whose fold held it out.
func TestFoldsAndSeeds(t *testing.T) {
	set := syntheticSet(t, 15)
	ft := &fakeTrainer{}
	res, err := Run(context.Background(), Config{Set: set, Losses: mustLosses(t, "dice", "bce"), Seed: 5, Seeds: 2, Folds: 3, Budget: Budget{Steps: 2},
		Parallel: 2, Out: t.TempDir(), Trainer: ft})
	if err != nil {
		t.Fatal(err)
	}
	if res.Finished != 12 || len(ft.trained) != 12 || res.Data.ValCases != 15 || len(res.FoldCases) != 3 {
		t.Fatalf("finished %d, trained %d, cases %d, folds %v", res.Finished, len(ft.trained), res.Data.ValCases, res.FoldCases)
	}
	r := res.run("dice")
	if len(r.Jobs) != 6 || len(r.Cases) != 15 || r.Jobs[1].Seed != 6 || r.Jobs[2].Fold != 1 {
		t.Errorf("dice: %d jobs, %d cases, jobs %+v", len(r.Jobs), len(r.Cases), r.Jobs)
	}
	seen := map[string]int{}
	for _, j := range r.Jobs {
		for _, c := range j.Cases {
			seen[c.Case]++
		}
	}
	for c, n := range seen {
		if n != 2 {
			t.Errorf("case %s scored %d times, want once per seed", c, n)
		}
	}
	if len(seen) != 15 {
		t.Errorf("%d cases scored", len(seen))
	}
}
