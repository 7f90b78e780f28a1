package cli

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/segloss/segloss/maskio"
	"github.com/segloss/segloss/metric"
	"github.com/segloss/segloss/metric/surface"
	"github.com/spf13/cobra"
)

// evalOptions are the flags of segloss eval.
type evalOptions struct {
	Pred, Truth string
	Labels      string  // comma-separated labels to score; "" = dataset.json, else every non-zero label found
	LabelNames  string  // "1=Anterior,2=Posterior"; overrides dataset.json
	Dataset     string  // dataset.json naming the labels; "" = look next to --truth
	Metrics     string  // comma-separated metric names, or "all"
	Threshold   float64 // threshold of probability maps
	Prob        bool    // predictions are probability maps
	Spacing     string  // "" = from the truth files; else one value or one per axis
	Tolerance   float64 // tolerance of the normalized surface Dice, in spacing units
	Workers     int
	Empty       string // empty-case policy: one, nan or skip
	Format      string // table, json or csv
	Out         string // output file; "" = standard output
	KeepGoing   bool
	MaskValues  string // the mask-value rule (maskio.MaskValues), for truth and predictions alike
	OnlyPaired  bool   // leave unpaired files out without a line each
	CasesFrom   string // split.json: score only its validation cases
	MaxVoxels   int    // ceiling on the voxels of one input file
	Distance    string // distance of the surface metrics: euclidean, taxicab or chessboard
	Subvoxels   bool   // nsd on DeepMind's surface elements (2-D)
}

// evalConfig is evalOptions checked and parsed.
type evalConfig struct {
	classes     []int32 // nil = every non-zero label present
	names       map[int32]string
	metrics     []evalMetric
	overlap     []metric.Metric
	needSurface bool
	policy      metric.EmptyPolicy
	spacing     []float64 // nil = from the files
	tolerance   float64
	threshold   float64
	prob        bool
	workers     int
	edtWorkers  int               // goroutines per distance transform: the workers left over when files are fewer
	rule        maskio.MaskValues // how stored mask values become labels (resolved before the cases are read)
	declared    int               // classes declared by dataset.json (0: none): labels 0..declared-1
	datasetPath string            // that dataset.json
	read        maskio.ReadOptions
	distance    surface.DistanceMetric
	subvoxels   bool
}

func newEvalCmd(s *Streams) *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "eval --pred P --truth T",
		Short: "Score predicted masks against ground truth (overlap and surface metrics, 2-D and 3-D)",
		Long: `Score predicted masks against ground-truth label maps.

--pred and --truth are two files, or two folders whose mask files (.png, .nii,
.nii.gz, .npy) are paired by name without extension; unpaired files are reported.
Labels and their names come from an MSD dataset.json next to the truth when present.
Predictions whose values are not all integers, or all of them with --prob, are
probability maps, thresholded at --threshold (grey PNG levels scaled to 0..1).

Overlap metrics: ` + strings.Join(metric.Names, ", ") + `, fbeta:beta=B.
Surface metrics (in the units of the spacing): hd (Hausdorff), hdP (percentile P,
e.g. hd95, linear interpolation as numpy), assd (average symmetric surface
distance), nsd (normalized surface Dice at --tolerance), the directed ones from
prediction to truth dhd, dhdP and asd (average surface distance), and biou /
biouW (boundary IoU with a band of W voxels, default 2 % of the diagonal);
cldice (centerline Dice, Zhang-Suen skeletons, 2-D masks only; not in all).
--subvoxels computes nsd on DeepMind's surface elements (MONAI use_subvoxels=True,
2-D only).
--distance taxicab or chessboard counts voxel steps instead (spacing ignored).
Surface voxels are foreground voxels with a background face neighbour or on the
image border. An empty prediction against a non-empty truth has distance +Inf;
both empty, 0.

A class absent from both masks is an empty case: --empty one scores it 1, nan
reports NaN and leaves it out of the means, skip leaves it out altogether.
MONAI's conventions: truth-nan gives NaN whenever the truth is empty (DiceMetric
ignore_empty=True), den-nan NaN whenever a metric's denominator is 0
(ConfusionMatrixMetric); under both, distances of two empty masks are NaN.
The summary gives, per class and metric, the mean, standard deviation (n-1) and
median and the count of NaN and Inf values; a class with an infinite distance
has mean +Inf (the JSON form adds finite_mean, the mean of the finite values);
for overlap metrics it adds the micro, macro, weighted, image-wise (per class over
images, then over classes) and image-mean (per image over classes, then over
images: MONAI's mean) reductions.

Mask values: --mask-values (the rule of segloss train) applies to truth and
predictions alike; by default masks stored as 0 and one other value (0/255) on
both sides are read as 0/1, with a line saying so. Truth and predictions whose
foreground labels have nothing in common (truth {0, 255}, prediction {0, 1})
cannot be one labelling: eval refuses them (exit 1) and suggests the flag.

--cases-from split.json (of a segloss train run, or a compare run folder's
train/split.json) scores only its validation cases; --only-paired leaves
files without a partner out with one line for all of them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEval(s, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Pred, "pred", "", "predicted mask file or folder (required)")
	f.StringVar(&o.Truth, "truth", "", "ground-truth mask file or folder (required)")
	f.StringVar(&o.Labels, "labels", "", "comma-separated labels to score (default: dataset.json labels but 0, else every non-zero label found)")
	f.StringVar(&o.LabelNames, "label-names", "", "label names, e.g. 1=Anterior,2=Posterior (default: from dataset.json)")
	f.StringVar(&o.Dataset, "dataset", "", "MSD dataset.json naming the labels (default: next to --truth or in its parent)")
	f.StringVar(&o.Metrics, "metrics", "dice,iou,hd95,assd,nsd", "comma-separated metrics, or all")
	f.Float64Var(&o.Threshold, "threshold", 0.5, "threshold of probability maps: foreground where p >= threshold")
	f.BoolVar(&o.Prob, "prob", false, "predictions are probability maps (grey PNG levels are scaled to 0..1)")
	f.StringVar(&o.Spacing, "spacing", "", "voxel spacing, one value or one per array axis (default: from the truth files)")
	f.Float64Var(&o.Tolerance, "tolerance", 1, "tolerance of nsd, in the units of the spacing")
	f.IntVar(&o.Workers, "workers", runtime.NumCPU(), "number of files evaluated in parallel (spare workers split the distance transforms of fewer files)")
	f.StringVar(&o.Empty, "empty", "nan", "value of a class absent from both masks: one, nan or skip; truth-nan (NaN whenever the truth is empty, MONAI's ignore_empty) or den-nan (NaN for every zero denominator, MONAI's confusion metrics), both with NaN distances for two empty masks")
	f.StringVar(&o.Format, "format", "table", "output format: table, json or csv")
	f.StringVar(&o.Out, "out", "", "write the output to this file (only once the run completes)")
	f.BoolVar(&o.KeepGoing, "keep-going", false, "evaluate every readable pair and list the failures at the end")
	addMaskValuesFlag(f, &o.MaskValues)
	f.BoolVar(&o.OnlyPaired, "only-paired", false, "score the files that have a partner, one line for all the others")
	f.StringVar(&o.CasesFrom, "cases-from", "", "split.json of a train run: score only its validation cases")
	addMaxVoxelsFlag(f, &o.MaxVoxels)
	f.BoolVar(&o.Subvoxels, "subvoxels", false, "nsd on DeepMind's surface elements weighted by contour length (MONAI's use_subvoxels=True; 2-D masks only)")
	f.StringVar(&o.Distance, "distance", "euclidean", "distance of the surface metrics: euclidean (in spacing units), taxicab or chessboard (in voxels, spacing ignored)")
	return cmd
}

// usageErr marks a bad flag value: exit code 2.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// config checks the options and parses them.
func (o *evalOptions) config() (*evalConfig, error) {
	if o.Pred == "" || o.Truth == "" {
		return nil, usageErr("eval: --pred and --truth are required")
	}
	cfg := &evalConfig{threshold: o.Threshold, prob: o.Prob, tolerance: o.Tolerance, workers: o.Workers, names: map[int32]string{}, read: readOptions(o.MaxVoxels), subvoxels: o.Subvoxels}
	var err error
	if cfg.rule, err = maskValues("eval", o.MaskValues); err != nil {
		return nil, err
	}
	if cfg.metrics, cfg.overlap, err = parseEvalMetrics(o.Metrics); err != nil {
		return nil, usageErr("eval: %v", err)
	}
	for _, m := range cfg.metrics {
		cfg.needSurface = cfg.needSurface || m.overlap < 0
	}
	if cfg.policy, err = metric.ParseEmptyPolicy(o.Empty); err != nil {
		return nil, usageErr("eval: --empty: %v", err)
	}
	if cfg.distance, err = surface.ParseDistanceMetric(o.Distance); err != nil {
		return nil, usageErr("eval: --distance: %v", err)
	}
	switch o.Format {
	case "table", "json", "csv":
	default:
		return nil, usageErr("eval: --format %q: want table, json or csv", o.Format)
	}
	if o.Workers < 1 {
		return nil, usageErr("eval: --workers %d: want at least 1", o.Workers)
	}
	if math.IsNaN(o.Threshold) || math.IsInf(o.Threshold, 0) {
		return nil, usageErr("eval: --threshold %v: want a finite number", o.Threshold)
	}
	if !(o.Tolerance >= 0) || math.IsInf(o.Tolerance, 0) {
		return nil, usageErr("eval: --tolerance %v: want a finite number >= 0", o.Tolerance)
	}
	if o.Spacing != "" {
		for _, f := range strings.Split(o.Spacing, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return nil, usageErr("eval: --spacing %q: want positive numbers separated by commas", o.Spacing)
			}
			cfg.spacing = append(cfg.spacing, v)
		}
	}
	if ds := findDataset(o.Dataset, o.Truth); ds != "" {
		if cfg.names, err = readDatasetLabels(ds); err != nil {
			return nil, fmt.Errorf("eval: --dataset: %w", err)
		}
		cfg.declared, cfg.datasetPath = len(cfg.names), ds
		if o.Labels == "" {
			for l := range cfg.names {
				if l != 0 {
					cfg.classes = append(cfg.classes, l)
				}
			}
			sort.Slice(cfg.classes, func(i, j int) bool { return cfg.classes[i] < cfg.classes[j] })
		}
	}
	if o.Labels != "" {
		for _, f := range strings.Split(o.Labels, ",") {
			v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
			if err != nil {
				return nil, usageErr("eval: --labels %q: want integers separated by commas", o.Labels)
			}
			cfg.classes = append(cfg.classes, int32(v))
		}
	}
	if o.LabelNames != "" {
		for _, f := range strings.Split(o.LabelNames, ",") {
			k, name, ok := strings.Cut(f, "=")
			v, err := strconv.ParseInt(strings.TrimSpace(k), 10, 32)
			if !ok || err != nil || strings.TrimSpace(name) == "" {
				return nil, usageErr("eval: --label-names %q: want LABEL=NAME pairs separated by commas", o.LabelNames)
			}
			cfg.names[int32(v)] = strings.TrimSpace(name)
		}
	}
	return cfg, nil
}

// evalFailure is a pair that could not be evaluated.
type evalFailure struct {
	evalPair
	Err error
}

func runEval(s *Streams, o *evalOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	pairs, unpaired, err := pairFiles(o.Pred, o.Truth)
	if err != nil {
		return usageErr("eval: %v", err)
	}
	if o.CasesFrom != "" {
		if pairs, unpaired, err = keepSplitCases(o.CasesFrom, pairs, unpaired); err != nil {
			return err
		}
	}
	reportUnpaired(s, unpaired, o.OnlyPaired || o.CasesFrom != "")
	if len(pairs) == 0 {
		return fmt.Errorf("eval: no pairs of files with the same name in %s and %s", o.Pred, o.Truth)
	}
	cfg.edtWorkers = max(1, cfg.workers/len(pairs))
	start := time.Now()
	if err := resolveMaskValues(s, pairs, cfg); err != nil {
		return err
	}
	results, failures := evalAll(s, pairs, cfg, o.KeepGoing)
	if len(failures) > 0 && !o.KeepGoing {
		return fmt.Errorf("eval: %w (use --keep-going to evaluate the other pairs)", failures[0].Err)
	}
	if err := checkLabelSets(results, cfg); err != nil {
		return err
	}
	if len(results) > 0 {
		if err := writeEvalReport(s, o, cfg, results, failures, unpaired, time.Since(start)); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(s.Err, "segloss eval: %d of %d pairs failed:\n", len(failures), len(pairs))
		for _, f := range failures {
			fmt.Fprintf(s.Err, "  %v\n", f.Err)
		}
		return &exitError{code: 1, err: fmt.Errorf("eval: %d of %d pairs failed", len(failures), len(pairs))}
	}
	return nil
}

// writeEvalReport builds the report and writes it to --out (atomically) or
// standard output; with --out and a json or csv format the table summary
// goes to standard output too.
func writeEvalReport(s *Streams, o *evalOptions, cfg *evalConfig, results []*caseResult, failures []evalFailure, unpaired []string, elapsed time.Duration) error {
	rep, err := buildReport(o, cfg, results, failures, unpaired, elapsed)
	if err != nil {
		return err
	}
	if o.Out == "" {
		return rep.write(s.Out, o.Format)
	}
	if err := maskio.WriteFileAtomic(o.Out, func(w io.Writer) error { return rep.write(w, o.Format) }); err != nil {
		return err
	}
	if o.Format != "table" {
		return rep.write(s.Out, "table")
	}
	return nil
}

// evalAll evaluates the pairs on cfg.workers goroutines and returns the
// results in pair order. Without keepGoing it stops at the first failure.
func evalAll(s *Streams, pairs []evalPair, cfg *evalConfig, keepGoing bool) ([]*caseResult, []evalFailure) {
	var bar *progressbar.ProgressBar
	var finished atomic.Int64
	if s.IsTerm && len(pairs) >= 10 {
		bar = progressbar.NewOptions(len(pairs), progressbar.OptionSetWriter(s.Err),
			progressbar.OptionSetDescription("eval"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		defer bar.Finish()
	} else if !s.IsTerm {
		stopLines := progressLines(s, "eval", len(pairs), &finished)
		defer stopLines()
	}
	results := make([]*caseResult, len(pairs))
	errs := make([]error, len(pairs))
	jobs := make(chan int)
	var stop sync.Once
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < min(cfg.workers, len(pairs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i], errs[i] = evalCase(pairs[i], cfg)
				if errs[i] != nil && !keepGoing {
					stop.Do(func() { close(done) })
				}
				finished.Add(1)
				if bar != nil {
					bar.Add(1)
				}
			}
		}()
	}
feed:
	for i := range pairs {
		select {
		case jobs <- i:
		case <-done:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	var ok []*caseResult
	var failures []evalFailure
	for i, r := range results {
		if errs[i] != nil {
			failures = append(failures, evalFailure{pairs[i], errs[i]})
		} else if r != nil {
			ok = append(ok, r)
		}
	}
	return ok, failures
}
