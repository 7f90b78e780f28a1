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
	Seeds    int
	Folds    int
	Only     string
	Collect  bool
	Emit     string
	setFlags [][2]string // flags set on the command line that define the runs (for --emit)
}

// defaultCompareBudget is the per-run budget of the built-in data set:
// 400 steps, with a 10-minute cap that only a badly overloaded machine
// reaches (a run cut short is named in the warnings): runs that reach
// their steps are reproducible bit for bit.
const defaultCompareBudget = "400,10m"

// defaultSyntheticSeeds is the number of runs per loss on the built-in set
// (--seeds 0): 3 × 6 losses = 18 runs of 400 steps, about 1.5 minutes on
// two cores with the native training engine (assumed about 10 s per
// run), within the 2 minutes a first compare should take. Other data
// sets default to 1.
const defaultSyntheticSeeds = 3

// newCompareTrainer returns the trainer of a compare; tests replace it.
var newCompareTrainer = func(o *compareOptions) compare.Trainer {
	patch, _ := parsePatch(o.Patch, o.Dims) // checked by runCompare
	return &compare.UNetTrainer{Width: o.Width, Depth: o.Depth, Norm: o.Norm, BatchSize: o.Batch, LR: o.LR,
		ValEvery: o.ValEvery, ValSlices: o.ValSlices, Backend: o.Backend, Dims: o.Dims, Patch: patch, Augment: o.Augment,
		DeepSupervision: o.DeepSuper}
}

func newCompareCmd(s *Streams) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare [--data DIR] [--losses SPEC,...] [--budget N|DURATION] [--out DIR]",
		Short: "Which loss is best for my data? Train one model per loss, score them on held-out cases, write report.html",
		Long: `Train the same U-Net with every loss - --seeds times each (seed s: the same
initialization and data order for every loss), on one split or on --folds
cross-validation folds - score every run on its held-out cases (per-class Dice,
IoU, precision, recall and HD95), and answer with what the evidence supports:
means with bootstrap 95% intervals, paired Wilcoxon signed-rank tests with
Holm's correction, the losses tied for first, and warnings (runs short of their
budget, models at chance level, fewer than 10 held-out cases). Prints the
ranking and writes results.json and report.html (one self-contained page) into
--out.

Every run is an independent job with a run ID (--emit list): --only ID trains
just that run into a shared --out, --collect reports the stored runs, and
--emit slurm writes a Slurm job array (one task per run) and its collect job.

--data is a Decathlon folder, a PNG folder (images/, masks/) or "synthetic[:N]",
the built-in class-imbalanced set (the default), as for segloss train.

--losses lists loss specs (repeat the flag or separate them with commas;
key=value pieces continue the previous spec): "bce,tversky:alpha=0.3,beta=0.7".
Default: ` + strings.Join(compare.DefaultLosses, ", ") + `.
A value FROM..TO/STEP sweeps one option, and 1-KEY follows it:
"tversky:alpha=0.1..0.9/0.2,beta=1-alpha" is five runs.

--budget is per run: a number of steps (300), a training time (4m), or both
(2000,4m: whichever ends first). Runs go --workers at a time.

The model defaults are smaller than segloss train's (width 4, batch 4,
Adam 0.01 here; width 8, batch 8, Adam 0.003 there), since compare trains one
model per loss; pass --width, --batch and --lr to match a train run.

Every finished run is stored under --out/runs; Ctrl-C stops the runs in progress,
writes the results of the finished ones, and the same command resumes the rest.
--fresh discards stored runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			o.setFlags = runFlags(cmd)
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
	f.IntVar(&o.Parallel, "workers", runtime.NumCPU(), "runs trained at the same time")
	aliasFlag(f, "parallel", "workers")
	f.BoolVar(&o.Fresh, "fresh", false, "discard the runs stored in --out instead of resuming them")
	f.IntVar(&o.Seeds, "seeds", 0, fmt.Sprintf("runs per loss (and fold), with seeds --seed, --seed+1, ...: other weights and batch orders on the same split (default %d on the built-in set, 1 otherwise)", defaultSyntheticSeeds))
	f.IntVar(&o.Folds, "folds", 0, "K-fold cross-validation by case: every case is held out exactly once (0: one split by --val-fraction)")
	f.StringVar(&o.Only, "only", "", "train only these run IDs (\"3\", \"0,4-7\"; see --emit list) into --out and write no report: one job of a scheduler")
	f.BoolVar(&o.Collect, "collect", false, "train nothing: score and report the runs stored in --out")
	f.StringVar(&o.Emit, "emit", "", "write a recipe instead of training: \"list\" prints the run IDs, \"slurm\" writes a Slurm job-array script into --out/slurm")
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
		return nil, b, size, usageErr("compare: --workers %d: want at least 1", o.Parallel)
	case o.ValEvery < 1:
		return nil, b, size, usageErr("compare: --val-every %d: want at least 1", o.ValEvery)
	case o.Seeds < 0:
		return nil, b, size, usageErr("compare: --seeds %d: want at least 1", o.Seeds)
	case o.Folds < 0 || o.Folds == 1:
		return nil, b, size, usageErr("compare: --folds %d: want at least 2 (or 0: one split)", o.Folds)
	case o.Emit != "" && o.Emit != "slurm" && o.Emit != "list":
		return nil, b, size, usageErr("compare: --emit %q: want slurm or list", o.Emit)
	case o.Collect && o.Only != "":
		return nil, b, size, usageErr("compare: --collect trains nothing; it cannot take --only")
	}
	if o.Seeds == 0 {
		o.Seeds = 1
		if strings.HasPrefix(o.Data, "synthetic") {
			o.Seeds = defaultSyntheticSeeds
		}
	}
	if _, err := parseOnly(o.Only); err != nil {
		return nil, b, size, usageErr("compare: %v", err)
	}
	return losses, b, size, nil
}

func runCompare(ctx context.Context, s *Streams, o *compareOptions, command string) error {
	losses, budget, size, err := o.check()
	if err != nil {
		return err
	}
	data, err := o.loadData(s, "compare", size)
	if err != nil {
		return err
	}
	if o.Dims, _, err = o.volumeConfig(data); err != nil {
		return err
	}
	only, _ := parseOnly(o.Only)
	cfg := compare.Config{Set: data, Losses: losses, Seed: o.Seed, Seeds: o.Seeds, Folds: o.Folds, Budget: budget, Parallel: o.Parallel,
		Out: o.Out, Fresh: o.Fresh, Only: only, Collect: o.Collect, Trainer: newCompareTrainer(o), Command: command}
	plan, err := cfg.Plan()
	if err != nil {
		return usageErr("%v", err)
	}
	if o.Emit != "" {
		return emitCompare(s, o, plan, cfg)
	}
	runs := len(plan.Jobs)
	if len(only) > 0 {
		runs = len(only)
	}
	fmt.Fprintf(s.Err, "comparing %s, %s (%d seed(s) × %d fold(s) each), %s each, %d at a time: %s\n", plural(len(losses), "loss", "losses"), plural(len(plan.Jobs), "run", "runs"), o.Seeds, len(plan.Sets), budget, min(o.Parallel, runs), strings.Join(compare.Names(losses), " | "))
	rep := newCompareReporter(s, runs, budget)
	cfg.Log = rep.event
	start := time.Now()
	res, err := compare.Run(ctx, cfg)
	rep.finish()
	if res == nil && err == nil && len(only) > 0 {
		fmt.Fprintf(s.Out, "stored run(s) %s in %s; report them with the same command and --collect\n", o.Only, o.Out)
	}
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

// runFlags returns the flags set on the command line that define the runs
// of a compare: all but the ones that pick what one call does.
func runFlags(cmd *cobra.Command) [][2]string {
	var out [][2]string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "emit", "only", "collect", "fresh", "parallel", "workers", "out", "seeds":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, [2]string{f.Name, v})
			}
			return
		}
		out = append(out, [2]string{f.Name, f.Value.String()})
	})
	return out
}

// fmtDuration writes a duration rounded to the second.
func fmtDuration(d time.Duration) string { return d.Round(time.Second).String() }
