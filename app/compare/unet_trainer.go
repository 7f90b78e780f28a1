package compare

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/train"
)

// UNetTrainer trains the project's U-Net with package train (the native
// engine by default, GoMLX with Backend "gomlx") and predicts the validation examples from the run's
// final checkpoint. Zero fields take package train's defaults.
type UNetTrainer struct {
	Width     int     `json:"width"`      // U-Net width at the first level
	Depth     int     `json:"depth"`      // U-Net levels
	Norm      bool    `json:"norm"`       // instance normalization after each convolution
	BatchSize int     `json:"batch_size"` // slices per step
	LR        float64 `json:"lr"`         // Adam learning rate
	ValEvery  int     `json:"val_every"`  // steps between two points of the validation curve
	ValSlices int     `json:"val_slices"` // validation slices of the curve's points (the final scoring uses all)
	Backend   string  `json:"backend"`    // engine: native or gomlx ("": train's default)
	Dims      int     `json:"dims,omitempty"`
	Patch     [3]int  `json:"patch"` // training patch [D, H, W] (zeros: train's default)
	Augment   bool    `json:"augment,omitempty"`
	// DeepSupervision trains with deep supervision (native backend).
	DeepSupervision bool `json:"deep_supervision,omitempty"`
}

// Describe returns the trainer's settings.
func (t *UNetTrainer) Describe() any { return *t }

// Text describes the model and its optimizer in words, zero fields as
// package train's defaults.
func (t *UNetTrainer) Text() string {
	or := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	norm := "no normalization"
	if t.Norm {
		norm = "instance normalization"
	}
	backend := t.Backend
	if backend == "" {
		backend = "default"
	}
	lr := "the default learning rate"
	if t.LR > 0 {
		lr = fmt.Sprintf("learning rate %g", t.LR)
	}
	curve := "validation curve at the end only"
	if t.ValEvery > 0 {
		curve = fmt.Sprintf("validation curve every %d steps on up to %d slices", t.ValEvery, or(t.ValSlices, 256))
	}
	deep := ""
	if t.DeepSupervision {
		deep = ", deep supervision (decoder levels weighted 1/2^i, normalized)"
	}
	return fmt.Sprintf("2-D U-Net, %d levels, %d channels at the first level, %s%s; Adam, %s, batches of %d slices; %s; %s backend",
		or(t.Depth, 3), or(t.Width, 8), norm, deep, lr, or(t.BatchSize, 8), curve, backend)
}

// Train runs package train on job and predicts every validation example.
// An interrupted run with a step budget leaves its checkpoint in job.Dir
// and continues from it next time; a run with a time budget starts over,
// so that every run gets the same time.
func (t *UNetTrainer) Train(ctx context.Context, set *dataset.Set, job Job, progress func(Progress)) (*Outcome, error) {
	resume := false
	if _, err := os.Stat(filepath.Join(job.Dir, train.CheckpointFile)); err == nil {
		resume = job.Budget.Time == 0
		if !resume {
			if err := os.RemoveAll(job.Dir); err != nil {
				return nil, err
			}
		}
	}
	cfg := train.Config{Data: set, Loss: job.Loss, Width: t.Width, Depth: t.Depth, Norm: t.Norm, Steps: job.Budget.Steps, Budget: job.Budget.Time,
		BatchSize: t.BatchSize, LR: t.LR, Seed: job.Seed, ValEvery: t.ValEvery, ValSlices: t.ValSlices, Out: job.Dir, Resume: resume, Backend: t.Backend,
		Dims: t.Dims, Patch: t.Patch, Augment: t.Augment, DeepSupervision: t.DeepSupervision}
	start := time.Now()
	res, err := train.Run(ctx, cfg, func(p train.Progress) {
		if progress == nil {
			return
		}
		d := math.NaN()
		if p.ValDice != nil {
			d = p.MeanDice
		}
		progress(Progress{Step: p.Step, Steps: p.Steps, Elapsed: p.Elapsed, Loss: p.Loss, ValDice: d})
	})
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err() // train.Run stops early and returns what it has: not a finished run
	}
	pred, err := train.OpenPredictor(job.Dir, t.Backend)
	if err != nil {
		return nil, err
	}
	batch := t.BatchSize
	if batch < 1 {
		batch = 16
	}
	labels, err := pred.PredictExamples(set.Val, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: predict: %w", job.Name, err)
	}
	return &Outcome{Steps: res.Steps, Seconds: time.Since(start).Seconds(), Curve: curveOf(res.Curve), Pred: labels}, nil
}

// curveOf keeps the validated points of a training curve, each with the
// mean training loss of the steps since the previous one.
func curveOf(c []train.Point) []Point {
	var out []Point
	var sum float64
	n := 0
	for _, p := range c {
		sum += p.Loss
		n++
		if p.ValDice == nil {
			continue
		}
		out = append(out, Point{Step: p.Step, Seconds: p.Elapsed, Loss: Num(sum / float64(n)), Dice: nums(p.ValDice)})
		sum, n = 0, 0
	}
	return out
}
