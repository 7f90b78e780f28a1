package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/compare"
	"github.com/segloss/segloss/app/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// compareOptions are the flags of segloss compare.
type compareOptions struct {
	modelOptions
	Losses   []string
	Budget   string
	Out      string
	Parallel int
	Fresh    bool
}

// defaultCompareBudget is the per-loss budget of the built-in data set:
// 400 steps and no time cap, so that every run reaches its full budget
// and two compares give the same numbers (the native engine trains the
// six default runs in about a minute on two cores).
const defaultCompareBudget = "400"

// newCompareTrainer returns the trainer of a compare; tests replace it.
var newCompareTrainer = func(o *compareOptions) compare.Trainer {
	patch, _ := parsePatch(o.Patch, o.Dims) // checked by runCompare
	return &compare.UNetTrainer{Width: o.Width, Depth: o.Depth, Norm: o.Norm, BatchSize: o.Batch, LR: o.LR,
		ValEvery: o.ValEvery, ValSlices: o.ValSlices, Backend: o.Backend, Dims: o.Dims, Patch: patch, Augment: o.Augment}
}

func newCompareCmd(s *Streams) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare [--data DIR] [--losses SPEC,...] [--budget N|DURATION] [--out DIR]",
		Short: "Which loss is best for my data? Train one model per loss, score them on held-out cases, write report.html",
		Long: `Train the same U-Net once per loss - same initialization, data order, split
and budget - score every run on the held-out cases (per-class Dice, IoU,
precision, recall and HD95: mean and spread over the cases), print the ranking
and write results.json and report.html (one self-contained page) into --out.

--data is a Decathlon folder, a PNG folder (images/, masks/) or "synthetic[:N]",
the built-in class-imbalanced set (the default), as for segloss train.

--losses lists loss specs (repeat the flag or separate them with commas;
key=value pieces continue the previous spec): "bce,tversky:alpha=0.3,beta=0.7".
Default: ` + strings.Join(compare.DefaultLosses, ", ") + `.
A value FROM..TO/STEP sweeps one option, and 1-KEY follows it:
"tversky:alpha=0.1..0.9/0.2,beta=1-alpha" is five runs.

--budget is per run: a number of steps (300), a training time (4m), or both
(2000,4m: whichever ends first). Runs go --parallel at a time.

Every finished run is stored under --out/runs; Ctrl-C stops the runs in progress,
writes the results of the finished ones, and the same command resumes the rest.
--fresh discards stored runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return runCompare(ctx, s, o, commandLine(cmd))
		},
	}
	f := cmd.Flags()
	o.addFlags(f, modelDefaults{
		data:  "synthetic",
		width: 4, widthHelp: "U-Net channels at the first level (doubled per level); small, since compare trains one model per loss",
		batch: 4, lr: 0.01, seedHelp: "seed of the split, the weights and the batch order (the same for every loss)",
		valEvery: 25, valEveryHelp: "steps between two points of the validation curve",
		valSlices: 128, valSlicesHelp: "validation slices of the curve's points (the final scoring uses all)",
	})
	f.StringArrayVar(&o.Losses, "losses", nil, "loss specs, comma-separated or repeated (default: "+strings.Join(compare.DefaultLosses, ",")+")")
	f.StringVar(&o.Budget, "budget", "", "per-run budget: steps (300), time (4m) or both (2000,4m) (default "+defaultCompareBudget+" on the built-in set; required otherwise)")
	f.StringVar(&o.Out, "out", "out/compare", "output folder: runs/, results.json, report.html")
	f.IntVar(&o.Parallel, "parallel", runtime.NumCPU(), "runs trained at the same time")
	f.BoolVar(&o.Fresh, "fresh", false, "discard the runs stored in --out instead of resuming them")
	return cmd
}

// parseBudget reads "300", "4m" or "300,4m".
func parseBudget(s string) (compare.Budget, error) {
	var b compare.Budget
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "steps"))
		if n, err := strconv.Atoi(part); err == nil && n > 0 && b.Steps == 0 {
			b.Steps = n
			continue
		}
		if d, err := time.ParseDuration(part); err == nil && d > 0 && b.Time == 0 {
			b.Time = d
			continue
		}
		return b, fmt.Errorf("--budget %q: want steps (300), a time (4m) or both (2000,4m)", s)
	}
	return b, nil
}

// compareConfig checks the options before anything is loaded or trained:
// the same early, named errors as segloss train, and every loss spec
// checked against the registry.
func (o *compareOptions) check() (losses []*segloss.Loss, b compare.Budget, size [2]int, err error) {
	var specs []string
	for _, l := range o.Losses {
		specs = append(specs, segloss.SplitSpecs(l)...)
	}
	if len(o.Losses) > 0 && len(specs) == 0 {
		return nil, b, size, usageErr("compare: --losses is empty; valid losses: %s", lossNames())
	}
	if losses, err = compare.ParseLosses(specs); err != nil {
		return nil, b, size, usageErr("compare: %v", err)
	}
	for _, l := range losses {
		if _, _, err := train.LossFor(l, 2); err != nil {
			return nil, b, size, usageErr("compare: %v", err)
		}
	}
	budget := o.Budget
	if budget == "" {
		if !strings.HasPrefix(o.Data, "synthetic") {
			return nil, b, size, usageErr("compare: give --budget (steps, e.g. 1500, or a time per run, e.g. 4m) for --data %s", o.Data)
		}
		budget = defaultCompareBudget
	}
	if b, err = parseBudget(budget); err != nil {
		return nil, b, size, usageErr("compare: %v", err)
	}
	if size, err = parseSize(o.Size); err != nil {
		return nil, b, size, usageErr("compare: %v", err)
	}
	switch {
	case o.Out == "":
		return nil, b, size, usageErr("compare: --out is required")
	case o.Parallel < 1:
		return nil, b, size, usageErr("compare: --parallel %d: want at least 1", o.Parallel)
	case o.ValEvery < 1:
		return nil, b, size, usageErr("compare: --val-every %d: want at least 1", o.ValEvery)
	}
	return losses, b, size, nil
}

func runCompare(ctx context.Context, s *Streams, o *compareOptions, command string) error {
	losses, budget, size, err := o.check()
	if err != nil {
		return err
	}
	data, err := o.loadData(s, size)
	if err != nil {
		return err
	}
	if o.Dims, _, err = o.volumeConfig(data); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "comparing %d losses, %s each, %d at a time: %s\n", len(losses), budget, min(o.Parallel, len(losses)), strings.Join(compare.Names(losses), " | "))
	rep := newCompareReporter(s, len(losses), budget)
	start := time.Now()
	res, err := compare.Run(ctx, compare.Config{Set: data, Losses: losses, Seed: o.Seed, Budget: budget, Parallel: o.Parallel,
		Out: o.Out, Fresh: o.Fresh, Trainer: newCompareTrainer(o), Command: command, Log: rep.event})
	rep.finish()
	if res != nil {
		if werr := compare.WriteTable(s.Out, res); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(s.Out, "\n%s\n%s\n", res.Question, res.Answer)
		fmt.Fprintf(s.Out, "took %s; report: %s\n", fmtDuration(time.Since(start)), filepath.Join(o.Out, "report.html"))
	}
	if errors.Is(err, compare.ErrIncomplete) && ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	return err
}

// commandLine writes the command with the flags that were set, for the
// results.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			v = strings.Join(sv.GetSlice(), ",")
		}
		if strings.ContainsAny(v, " \t\"'") || v == "" {
			v = strconv.Quote(v)
		}
		parts = append(parts, "--"+f.Name+"="+v)
	})
	return strings.Join(parts, " ")
}

// fmtDuration writes a duration rounded to the second.
func fmtDuration(d time.Duration) string { return d.Round(time.Second).String() }
