package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/train"
	"github.com/segloss/segloss/internal/shape"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// trainOptions are the flags of segloss train.
type trainOptions struct {
	modelOptions
	Loss     string
	Out      string
	Budget   string
	Steps    int
	Time     time.Duration
	Resume   bool
	HostLoss bool
}

func newTrainCmd(s *Streams) *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train --data DIR --loss SPEC --out DIR",
		Short: "Train a 2-D or 3-D U-Net with a segloss loss (native engine; GoMLX with --backend gomlx)",
		Long: `Train a U-Net on a data set with any segloss loss.

--data is a Medical Segmentation Decathlon folder (dataset.json, imagesTr/,
labelsTr/; intensities z-scored per volume), a folder with images/ and masks/
holding PNG files paired by name, or "synthetic" (or "synthetic:N"), a built-in
set of N 64×64 images. Cases (not slices) are split into training and
validation from --seed; split.json records it.

--backend native (the default) trains with the project's own engine (package
nn: hand-written forward and backward passes, the loss and its gradient straight
from the core, segloss.Eval on the logits); --backend gomlx trains the GoMLX graph
(2-D only; gomlx:xla[:plugin] when built with -tags xla).

--dims 3 trains on whole volumes (the default for 3-D data sets with the native
backend), --dims 2 slice by slice. Each step draws --batch random patches
(--patch, default the whole frame; in 3-D the largest volume, capped at 128 per
axis), a third of them centred on a foreground voxel as nnU-Net does;
--augment adds random flips and 90° rotations. Validation and predict label whole
volumes with a sliding window (overlap 1/2, Gaussian weighting).

--loss is a spec string such as dice, "tversky:alpha=0.3,beta=0.7" or
"dice_bce:mode=multiclass" (see segloss losses). Softmax losses (mode
multiclass) get one output channel per class; sigmoid losses one per
foreground class (a binary region loss becomes multilabel with more than
one foreground class).

Training stops at the end of --budget: a number of steps (300), a training
time (4m) or both (2000,4m: whichever comes first), as in segloss compare;
--steps and --time are kept as aliases of its two parts. Ctrl-C
stops it after the current step. Every --val-every steps it validates and
writes the checkpoint atomically, so an interrupted run keeps the last good
one; --resume continues it (a native run bit for bit). --out receives checkpoint.gob, model.json,
split.json, curve.csv, curve.json, curve.png and result.json. Without a
terminal, a progress line (step, loss, steps/s, ETA) is printed at least every
10 s and at every validation.

The model defaults (width 8, batch 8, Adam 0.003) are larger than segloss
compare's (width 4, batch 4, Adam 0.01), which trains one model per loss.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return runTrain(ctx, s, o)
		},
	}
	f := cmd.Flags()
	o.addFlags(f, modelDefaults{
		width: 8, widthHelp: "U-Net channels at the first level (doubled per level)",
		batch: 8, lr: 0.003, seedHelp: "seed of the split, the weights and the batch order",
		valEvery: 50, valEveryHelp: "validate and checkpoint every this many steps (0: only at the end)",
		valSlices: 256, valSlicesHelp: "validation slices (cases with --dims 3) used during training (the final validation uses all)",
	})
	f.StringVar(&o.Loss, "loss", "", "loss spec, e.g. dice or tversky:alpha=0.3,beta=0.7")
	f.StringVar(&o.Out, "out", "", "output folder of the run")
	f.StringVar(&o.Budget, "budget", "", "training budget: steps (300), time (4m) or both (2000,4m)")
	f.IntVar(&o.Steps, "steps", 0, "the step part of --budget: stop after this many steps")
	f.DurationVar(&o.Time, "time", 0, "the time part of --budget: stop after this much training time, e.g. 3m")
	f.BoolVar(&o.Resume, "resume", false, "continue the run in --out from its checkpoint")
	f.BoolVar(&o.HostLoss, "host-loss", false, "evaluate the loss and its gradient on the host with the core (always for lovasz_*)")
	return cmd
}

// parseSize reads "HxW" ("" is [0, 0], automatic).
func parseSize(s string) ([2]int, error) {
	if s == "" {
		return [2]int{}, nil
	}
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	h, err1 := strconv.Atoi(hs)
	w, err2 := strconv.Atoi(ws)
	if !ok || err1 != nil || err2 != nil || h < 1 || w < 1 {
		return [2]int{}, fmt.Errorf("--size %q: want HxW, e.g. 64x48", s)
	}
	if _, err := shape.ProductMax([]int{h, w}, maskio.DefaultMaxVoxels); err != nil {
		return [2]int{}, fmt.Errorf("--size %q: %v", s, err)
	}
	return [2]int{h, w}, nil
}

func runTrain(ctx context.Context, s *Streams, o *trainOptions) error {
	switch {
	case o.Data == "":
		return usageErr("train: --data is required")
	case o.Loss == "":
		return usageErr("train: --loss is required")
	case o.Out == "":
		return usageErr("train: --out is required")
	case o.Budget != "" && (o.Steps != 0 || o.Time != 0):
		return usageErr("train: give --budget, or its aliases --steps and --time, not both")
	case o.Budget == "" && o.Steps <= 0 && o.Time <= 0:
		return usageErr("train: give --budget (steps, e.g. 300, a time, e.g. 4m, or both, 2000,4m)")
	}
	if o.Budget != "" {
		b, err := parseBudget(o.Budget)
		if err != nil {
			return usageErr("train: %v", err)
		}
		o.Steps, o.Time = b.Steps, b.Time
	}
	size, err := parseSize(o.Size)
	if err != nil {
		return usageErr("train: %v", err)
	}
	loss, err := segloss.Parse(o.Loss)
	if err != nil {
		return usageErr("train: %v", err)
	}
	if _, _, err := train.LossFor(loss, 2); err != nil {
		return usageErr("train: %v", err)
	}
	data, err := o.loadData(s, "train", size)
	if err != nil {
		return err
	}
	dims, patch, err := o.volumeConfig(data)
	if err != nil {
		return err
	}
	cfg := train.Config{Data: data, Loss: loss, Width: o.Width, Depth: o.Depth, Norm: o.Norm, Steps: o.Steps, Budget: o.Time,
		BatchSize: o.Batch, LR: o.LR, Seed: o.Seed, ValEvery: o.ValEvery, ValSlices: o.ValSlices, Out: o.Out,
		Resume: o.Resume, Backend: o.Backend, HostLoss: o.HostLoss, Dims: dims, Patch: patch, Augment: o.Augment, DeepSupervision: o.DeepSuper}
	if !s.IsTerm {
		fmt.Fprintf(s.Err, "training %s (the first step also compiles the model) ...\n", o.Loss)
	}
	report := newTrainReporter(s, o)
	res, err := train.Run(ctx, cfg, report.step)
	report.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "loss %s: %d steps in %.1fs\n", res.Loss, res.Steps, res.Elapsed)
	for i, n := range res.ClassNames {
		fmt.Fprintf(s.Out, "  %-12s val Dice %.4f  IoU %.4f\n", n, res.ValDice[i], res.ValIoU[i])
	}
	fmt.Fprintf(s.Out, "  %-12s val Dice %.4f\n", "mean", res.MeanDice)
	fmt.Fprintf(s.Out, "run written to %s\n", o.Out)
	return nil
}

// progressEvery is the longest time between two progress lines without a
// terminal.
var progressEvery = 10 * time.Second

// trainReporter shows progress: a bar with the loss and the validation
// Dice on a terminal; otherwise a line at the first step, at every
// validation and at least every progressEvery.
type trainReporter struct {
	s    *Streams
	bar  *progressbar.ProgressBar
	dice string
	last time.Time
}

func newTrainReporter(s *Streams, o *trainOptions) *trainReporter {
	r := &trainReporter{s: s, dice: "-"}
	if s.IsTerm {
		max := int64(o.Steps)
		if max == 0 {
			max = -1 // time budget only: a spinner
		}
		r.bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(s.Err), progressbar.OptionSetDescription("train"),
			progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionThrottle(200*time.Millisecond))
	}
	return r
}

func (r *trainReporter) step(p train.Progress) {
	if p.Validated {
		r.dice = formatDice(p.ValDice)
	}
	if r.bar != nil {
		r.bar.Describe(fmt.Sprintf("train loss %.4f val Dice %s", p.Loss, r.dice))
		_ = r.bar.Set(p.Step)
		return
	}
	if p.Validated || p.Step == 1 || time.Since(r.last) >= progressEvery {
		r.last = time.Now()
		fmt.Fprintf(r.s.Err, "%s  val Dice %s\n", progressLine(p.Step, p.Steps, p.Elapsed, p.Budget, p.Loss), r.dice)
	}
}

// progressLine writes the step, the loss, the rate and the time left of a
// training run: "step 40/400  12s  loss 0.4312  3.3 steps/s  ETA 1m49s".
func progressLine(step, steps int, elapsed, budget time.Duration, loss float64) string {
	of := ""
	if steps > 0 {
		of = "/" + strconv.Itoa(steps)
	}
	rate := float64(step) / math.Max(elapsed.Seconds(), 1e-9)
	eta := time.Duration(-1)
	if steps > 0 && rate > 0 {
		eta = time.Duration(float64(steps-step) / rate * float64(time.Second))
	}
	if budget > 0 && (eta < 0 || budget-elapsed < eta) {
		eta = max(budget-elapsed, 0)
	}
	etaText := "?"
	if eta >= 0 {
		etaText = eta.Round(time.Second).String()
	}
	return fmt.Sprintf("step %d%s  %.0fs  loss %.4f  %.2f steps/s  ETA %s", step, of, elapsed.Seconds(), loss, rate, etaText)
}

func (r *trainReporter) finish() {
	if r.bar != nil {
		_ = r.bar.Finish()
		fmt.Fprintln(r.s.Err)
	}
}

func formatDice(d []float64) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.FormatFloat(v, 'f', 3, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
