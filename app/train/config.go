package train

import (
	"fmt"
	"time"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
)

// Config is one training run.
type Config struct {
	Data      *dataset.Set  // the data set, already split by case
	Loss      *segloss.Loss // the parsed loss (segloss.Parse("tversky:alpha=0.3,beta=0.7")); LossFor fits it to the classes
	Width     int           // U-Net width at the first level (default 8)
	Depth     int           // U-Net levels (default 3)
	Norm      bool          // instance normalization after each convolution
	Steps     int           // stop after this many steps in all (0: no step limit)
	Budget    time.Duration // stop after this much training time in this session (0: none)
	BatchSize int           // slices per step (default 8)
	LR        float64       // Adam learning rate (default 0.003)
	Seed      uint64        // seed of the weights and the batch order
	ValEvery  int           // validate (and checkpoint) every this many steps (0: only at the end)
	ValSlices int           // validation slices used during training (0: 256); the final validation uses all
	Out       string        // output folder: checkpoint, model, curve, split ("" keeps nothing)
	Resume    bool          // continue from the checkpoint in Out
	// Backend is the engine: "native" (the default when compiled in),
	// "gomlx" (GoMLX on its pure-Go backend) or "gomlx:xla[:plugin]" (built
	// with -tags xla); "go" and "xla[:plugin]" name the GoMLX backends.
	Backend string
	// Dims is 2 (slices, the default) or 3 (volumes, native backend only).
	Dims int
	// Patch is the training patch [D, H, W] (D is 1 in 2-D); zero sizes
	// take the set's: its frame in 2-D; in 3-D the largest case's depth
	// and the frame, each capped at 128. Sizes are rounded up to the
	// model's multiple.
	Patch [3]int
	// Augment flips the patches along random axes and rotates them by a
	// random multiple of 90° in the H-W plane when it is square.
	Augment bool
	// HostLoss evaluates the loss and its gradient on the host with the core
	// (segloss.Eval) between a forward pass and the backward pass, instead of
	// in the graph: exact, and much faster for the Lovász losses, whose
	// in-graph sort is slow on the pure-Go backend (they use it always).
	HostLoss bool
	// DeepSupervision scores the outputs of the decoder levels too (native
	// backend, depth >= 3): segloss.EvalDeepSupervision with nnU-Net's
	// weights. The pixel weights of the data set (Data.Weights) apply at
	// every level.
	DeepSupervision bool
}

// withDefaults returns c with the defaults filled in, or an error for
// values that cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.Width == 0 {
		c.Width = 8
	}
	if c.Depth == 0 {
		c.Depth = 3
	}
	if c.BatchSize == 0 {
		c.BatchSize = 8
	}
	if c.LR == 0 {
		c.LR = 0.003
	}
	if c.ValSlices == 0 {
		c.ValSlices = 256
	}
	if c.Dims == 0 {
		c.Dims = 2
	}
	switch {
	case c.Data == nil:
		return c, fmt.Errorf("train: no data set")
	case c.Loss == nil:
		return c, fmt.Errorf("train: no loss")
	case len(c.Data.Train) == 0 || len(c.Data.Val) == 0:
		return c, fmt.Errorf("train: data set %s has %d training and %d validation slices; need both", c.Data.Name, len(c.Data.Train), len(c.Data.Val))
	case c.Steps <= 0 && c.Budget <= 0:
		return c, fmt.Errorf("train: give a step limit or a time budget")
	case c.Steps < 0 || c.Budget < 0 || c.ValEvery < 0 || c.ValSlices < 0:
		return c, fmt.Errorf("train: steps, budget, validation frequency and slices must be >= 0")
	case c.BatchSize < 1 || c.BatchSize > 1024:
		return c, fmt.Errorf("train: batch size %d: must be between 1 and 1024", c.BatchSize)
	case !(c.LR > 0 && c.LR < 1):
		return c, fmt.Errorf("train: learning rate %v: must be in (0, 1)", c.LR)
	case c.Dims != 2 && c.Dims != 3:
		return c, fmt.Errorf("train: dims %d: want 2 or 3", c.Dims)
	case c.DeepSupervision && c.Depth < 3:
		return c, fmt.Errorf("train: --deep-supervision needs --depth 3 or more (depth %d has no decoder level below the output)", c.Depth)
	case c.Resume && c.Out == "":
		return c, fmt.Errorf("train: --resume needs the output folder of the run")
	}
	return c, nil
}
