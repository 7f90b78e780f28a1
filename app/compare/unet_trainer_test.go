package compare

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/app/train"
)

// TestUNetTrainerResume interrupts the real trainer in the middle of its
// first run, then resumes: the interrupted run continues from its
// checkpoint to the full step budget and every run is scored.
func TestUNetTrainerResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	set := syntheticSet(t, 6)
	tr := &UNetTrainer{Width: 2, Depth: 2, BatchSize: 2, ValEvery: 2, Norm: true}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Set: set, Losses: mustLosses(t, "dice", "bce"), Seed: 3, Budget: Budget{Steps: 4}, Parallel: 1, Out: t.TempDir(), Trainer: tr,
		Log: func(e Event) {
			if e.Kind == RunProgress && e.Progress.Step == 2 {
				cancel()
			}
		}}
	res, err := Run(ctx, cfg)
	if !errors.Is(err, ErrIncomplete) || res.Finished != 0 {
		t.Fatalf("interrupted: err %v, finished %d", err, res.Finished)
	}
	if _, err := os.Stat(filepath.Join(jobDir(cfg.Out, Job{Name: "dice", Seed: 3}, 1), "train", train.CheckpointFile)); err != nil {
		t.Fatalf("the interrupted run left no checkpoint to resume from: %v", err)
	}
	cfg.Log = nil
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Runs[0].Curve; len(c) != 2 || c[0].Step != 2 || c[1].Step != 4 {
		t.Errorf("resumed curve %+v, want points at steps 2 and 4", c)
	}
	for _, r := range res.Runs {
		if r.Status != "trained" || r.Steps != 4 || len(r.Cases) != len(res.Split.Val) || len(r.Curve) == 0 {
			t.Errorf("%s: status %s, steps %d, %d cases, %d curve points", r.Loss, r.Status, r.Steps, len(r.Cases), len(r.Curve))
		}
	}
}
