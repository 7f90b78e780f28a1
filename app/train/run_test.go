package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/app/dataset"
)

func syntheticSet(t testing.TB, n int) *dataset.Set {
	t.Helper()
	s, err := dataset.Load("synthetic:"+itoa(n), dataset.Options{Seed: 1, Multiple: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// TestRunLearns trains briefly on the synthetic set and checks that the
// validation Dice of the common class rises well above chance, and that
// the run folder holds every artefact.
func TestRunLearns(t *testing.T) {
	out := t.TempDir()
	cfg := Config{Data: syntheticSet(t, 24), Loss: os.Getenv("SEGLOSS_TEST_LOSS"), Steps: 60, BatchSize: 8, Seed: 3, ValEvery: 30, Out: out}
	if cfg.Loss == "" {
		cfg.Loss = "dice_bce:mode=multiclass"
	}
	res, err := Run(context.Background(), cfg, func(p Progress) {
		if p.Validated {
			t.Logf("step %d loss %.4f val dice %v", p.Step, p.Loss, p.ValDice)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steps %d in %.1fs: val Dice %v IoU %v", res.Steps, res.Elapsed, res.ValDice, res.ValIoU)
	if res.Steps != 60 || len(res.ValDice) != 2 {
		t.Fatalf("steps %d, dice %v", res.Steps, res.ValDice)
	}
	if res.ValDice[0] < 0.5 {
		t.Errorf("validation Dice of the common class %.3f after 60 steps, want >= 0.5", res.ValDice[0])
	}
	for _, f := range []string{CheckpointFile, ModelFile, "split.json", "curve.csv", "curve.json", "curve.png", "result.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}
