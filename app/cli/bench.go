package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/segloss/segloss"
	shapepkg "github.com/segloss/segloss/internal/shape"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// benchOptions are the flags of `segloss bench`.
type benchOptions struct {
	Losses    []string // spec strings; empty: the standard rows of each workload
	Workloads []string // binary, multiclass (default both unless --shape is given)
	Shape     string   // extra workload of this shape, "N,C,spatial..."
	Labels    bool     // the --shape workload has class-index labels (multiclass)
	DType     string   // float32 or float64
	Repeats   int      // timed runs per row and round
	Warmup    int      // untimed runs before them
	Rounds    int      // the whole table is run this many times; best round median reported
	Threads   int      // GOMAXPROCS for the run (0: leave as is)
	Kernels   string   // kernel set: auto, generic, avx2, avx512
	Format    string   // table or json
	Seed      uint64
	Torch     string // path of bench_torch.py: run it between our rounds and add ratios
	Python    string // interpreter for --torch
	MapCache  int    // target distance maps cached per loss (0: none)
	Train     trainBenchOptions
}

// benchWorkload is one input shape with its data.
type benchWorkload struct {
	name   string
	shape  []int
	labels bool
	specs  []string
}

// benchRow is one result line.
type benchRow struct {
	Loss      string  `json:"loss"`
	Workload  string  `json:"workload"`
	Shape     []int   `json:"shape"`
	MedianMS  float64 `json:"median_ms"`
	MinMS     float64 `json:"min_ms"`
	MelemPerS float64 `json:"melem_per_s"`
	GBPerS    float64 `json:"gb_per_s"`
	TorchMS   float64 `json:"torch_ms,omitempty"`
	TorchImpl string  `json:"torch_impl,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"` // torch_ms / median_ms
	Value     float64 `json:"value"`
	Go        string  `json:"go"`      // Go version of the build
	GOAMD64   string  `json:"goamd64"` // GOAMD64 level of the build ("" off amd64)
	KernelSet string  `json:"kernels"` // kernel set that ran: generic, avx2 or avx512
	medians   []float64
}

// The standard rows: every loss of the performance table, as spec strings,
// with the bench_torch.py rows that implement the same loss (the fastest
// one present is the comparison).
var (
	benchBinary = []string{
		"bce_logits", "focal_sigmoid", "dice:from_logits=true", "jaccard:from_logits=true",
		"tversky:from_logits=true,alpha=0.3,beta=0.7", "focal_tversky:from_logits=true",
		"log_cosh_dice:from_logits=true", "dice_bce", "mcc:from_logits=true",
		"lovasz_hinge", "lovasz_hinge:per_image=true",
		// The second family.
		"dice_focal", "boundary:from_logits=true", "hausdorff_dt:from_logits=true",
		"log_hausdorff_dt:from_logits=true", "cldice:from_logits=true", "dice_cldice:from_logits=true",
		"asymmetric_focal:from_logits=true", "asymmetric_focal_tversky:from_logits=true",
		"unified_focal:from_logits=true", "combo:from_logits=true", "sensitivity_specificity:from_logits=true",
		"dice:from_logits=true+boundary:from_logits=true",
	}
	benchMulticlass = []string{
		"cross_entropy", "dice:mode=multiclass,from_logits=true",
		"dice:mode=multiclass,from_logits=true,reduction=per_sample",
		"jaccard:mode=multiclass,from_logits=true", "generalized_dice",
		"dice_bce:mode=multiclass", "lovasz_softmax", "lovasz_softmax:per_image=true",
		// The second family.
		"dice_focal:mode=multiclass", "generalized_dice_focal", "topk_ce", "generalized_wasserstein_dice",
		"asymmetric_focal_tversky:mode=multiclass,from_logits=true", "dice:mode=multiclass,from_logits=true+topk_ce:k=10",
	}
	torchRows = map[string][]string{
		"bce_logits":                                  {"torch:F.binary_cross_entropy_with_logits", "ref:bce_logits"},
		"focal_sigmoid":                               {"ref:focal_sigmoid(a=.25, g=2)", "smp:FocalLoss('binary', alpha=.25)", "MONAI:FocalLoss(gamma=2, alpha=.25)"},
		"dice:from_logits=true":                       {"ref:dice(logits, global)", "smp:DiceLoss('binary')", "MONAI:DiceLoss(sigmoid, batch=True)"},
		"jaccard:from_logits=true":                    {"ref:jaccard(logits)"},
		"tversky:from_logits=true,alpha=0.3,beta=0.7": {"ref:tversky(logits, .3/.7)", "MONAI:TverskyLoss(sigmoid, .3/.7)"},
		"focal_tversky:from_logits=true":              {"ref:focal_tversky(logits, g=.75)"},
		"log_cosh_dice:from_logits=true":              {"ref:log_cosh_dice(logits)"},
		"dice_bce":                                    {"ref:dice_bce(logits)"},
		"mcc:from_logits=true":                        {"ref:mcc(logits)"},
		"lovasz_hinge":                                {"ref:lovasz_hinge(per_image=False)", "smp:LovaszLoss('binary')"},
		"lovasz_hinge:per_image=true":                 {"ref:lovasz_hinge(per_image=True)"},
		"cross_entropy":                               {"torch:F.cross_entropy", "ref:cross_entropy"},
		"dice:mode=multiclass,from_logits=true":       {"ref:dice(multiclass, global)", "smp:DiceLoss('multiclass')"},
		"dice:mode=multiclass,from_logits=true,reduction=per_sample": {"ref:dice(multiclass, per_sample)", "MONAI:DiceLoss(softmax, to_onehot_y)"},
		"jaccard:mode=multiclass,from_logits=true":                   {"ref:jaccard(multiclass)"},
		"generalized_dice":              {"ref:generalized_dice(square, global)", "MONAI:GeneralizedDiceLoss(softmax, to_onehot_y, batch)"},
		"dice_bce:mode=multiclass":      {"ref:dice_bce(multiclass = CE + dice)"},
		"lovasz_softmax":                {"ref:lovasz_softmax(present)", "smp:LovaszLoss('multiclass')"},
		"lovasz_softmax:per_image=true": {"ref:lovasz_softmax(per_image)"},
	}
)

func newBenchCmd(s *Streams) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time every loss with its gradient on the standard workloads (optionally against PyTorch)",
		Long: `Times Eval (loss and gradient with respect to the input) of each loss on
the two standard workloads: binary logits [8,1,512,512] with a 0/1 float
target (30% foreground), and multiclass logits [8,4,256,256] with class
indices. Each row runs --warmup untimed and --repeats timed evaluations;
the whole table runs --rounds times and the best round's median is
reported (the machine may be shared), with the fastest single run, input
elements per second and effective GB/s (input, target and gradient bytes,
each read or written once).

With --torch PATH (bench_torch.py), the PyTorch baseline runs between
our rounds, alternating, and each row gets the fastest matching PyTorch
implementation and the ratio torch/segloss.

With --train it times U-Net training steps instead (forward, loss, backward,
Adam) with the model flags of segloss train (--dims, --size, --batch,
--width, --depth, --backend): --rounds rounds of --steps steps after --warmup
untimed steps; median and fastest round, in ms per step. --torch PATH is then
unet_torch.py, run between our rounds with the same settings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Train.On {
				return runBenchTrain(cmd.Context(), s, o)
			}
			return runBench(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Losses, "loss", nil, "loss spec strings to time (repeatable; default: the standard rows of each workload)")
	f.StringSliceVar(&o.Workloads, "workload", nil, "standard workloads: binary, multiclass (default both, or none with --shape)")
	f.StringVar(&o.Shape, "shape", "", "time a workload of this shape too, N,C,spatial... (e.g. 1,1,512,512,512)")
	f.BoolVar(&o.Labels, "labels", false, "the --shape workload has class-index labels (multiclass losses)")
	f.StringVar(&o.DType, "dtype", "float32", "element type: float32 or float64")
	f.IntVar(&o.Repeats, "repeats", 12, "timed runs per row and round")
	f.IntVar(&o.Warmup, "warmup", 2, "untimed runs per row and round")
	f.IntVar(&o.Rounds, "rounds", 3, "rounds over the whole table (best round's median is reported)")
	f.IntVar(&o.Threads, "workers", 0, "GOMAXPROCS for the run (0: all cores)")
	aliasFlag(f, "threads", "workers")
	f.StringVar(&o.Kernels, "kernels", "auto", "kernel set: auto (the fastest this CPU supports), generic (plain Go), avx2 or avx512")
	f.StringVar(&o.Format, "format", "table", "output format: table or json (one object per line)")
	f.Uint64Var(&o.Seed, "seed", 0, "seed of the random inputs")
	f.StringVar(&o.Torch, "torch", "", "path of bench_torch.py: run the PyTorch baseline between rounds and report ratios")
	f.StringVar(&o.Python, "python", "/usr/bin/python3", "Python interpreter for --torch")
	f.IntVar(&o.MapCache, "map-cache", 0, "cache up to N target distance maps per loss (boundary, hausdorff_dt: the maps of a repeated target are looked up); 0: none")
	o.Train.addFlags(f)
	return cmd
}

// workloads builds the list of workloads to run.
func (o *benchOptions) workloads() ([]benchWorkload, error) {
	if o.MapCache < 0 {
		return nil, usageErr("bench: --map-cache %d: want N >= 0", o.MapCache)
	}
	if o.Repeats < 1 || o.Warmup < 0 || o.Rounds < 1 {
		return nil, usageErr("bench: --repeats and --rounds must be >= 1, --warmup >= 0")
	}
	if o.DType != "float32" && o.DType != "float64" {
		return nil, usageErr("bench: --dtype %q: want float32 or float64", o.DType)
	}
	if o.Format != "table" && o.Format != "json" {
		return nil, usageErr("bench: --format %q: want table or json", o.Format)
	}
	names := o.Workloads
	if names == nil && o.Shape == "" {
		names = []string{"binary", "multiclass"}
	}
	var out []benchWorkload
	for _, n := range names {
		switch n {
		case "binary":
			out = append(out, benchWorkload{name: n, shape: []int{8, 1, 512, 512}, specs: benchBinary})
		case "multiclass":
			out = append(out, benchWorkload{name: n, shape: []int{8, 4, 256, 256}, labels: true, specs: benchMulticlass})
		default:
			return nil, usageErr("bench: --workload %q: want binary or multiclass", n)
		}
	}
	if o.Shape != "" {
		var shape []int
		for _, f := range strings.Split(o.Shape, ",") {
			d, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || d < 1 {
				return nil, usageErr("bench: --shape %q: want positive integers N,C,spatial...", o.Shape)
			}
			shape = append(shape, d)
		}
		if len(shape) < 2 || len(shape) > 5 {
			return nil, usageErr("bench: --shape %q: want N,C and 0 to 3 spatial dimensions", o.Shape)
		}
		if _, err := shapepkg.ProductMax(shape, maskio.DefaultMaxVoxels); err != nil {
			return nil, usageErr("bench: --shape %q: %v", o.Shape, err)
		}
		w := benchWorkload{name: "custom", shape: shape, labels: o.Labels, specs: benchBinary}
		if o.Labels || shape[1] > 1 {
			w.labels, w.specs = true, benchMulticlass
		}
		out = append(out, w)
	}
	if o.Losses != nil {
		// --loss is a string slice, split at every comma: join it back and
		// split where specs begin, as every command does.
		specs := segloss.SplitSpecs(strings.Join(o.Losses, ","))
		for i := range out {
			out[i].specs = specs
		}
	}
	for _, w := range out {
		for _, spec := range w.specs {
			if _, err := segloss.Parse(spec); err != nil {
				return nil, usageErr("bench: --loss %q: %v", spec, err)
			}
		}
	}
	return out, nil
}

func runBench(ctx context.Context, s *Streams, o *benchOptions) error {
	ws, err := o.workloads()
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.Threads))
	}
	prev, err := segloss.SetKernels(o.Kernels)
	if err != nil {
		return usageErr("bench: --kernels: %v", err)
	}
	defer segloss.SetKernels(prev)
	var rows []*benchRow
	if o.DType == "float64" {
		rows, err = benchTables[float64](ctx, s, o, ws)
	} else {
		rows, err = benchTables[float32](ctx, s, o, ws)
	}
	if err != nil {
		return err
	}
	goVer, amd64 := buildInfo()
	for _, r := range rows {
		r.Go, r.GOAMD64, r.KernelSet = goVer, amd64, segloss.Kernels()
	}
	if o.Format == "json" {
		enc := json.NewEncoder(s.Out)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	build := goVer
	if amd64 != "" {
		build += " GOAMD64=" + amd64
	}
	fmt.Fprintf(s.Out, "# segloss bench  %s  kernels=%s  GOMAXPROCS=%d  %s  %s\n", build, segloss.Kernels(), runtime.GOMAXPROCS(0), cpuModel(), o.DType)
	fmt.Fprintf(s.Out, "# loss and gradient; per row: median of %d runs after %d warm-up runs, best of %d rounds (min = fastest run)\n", o.Repeats, o.Warmup, o.Rounds)
	tw := tabwriter.NewWriter(s.Out, 2, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "loss\tworkload\tshape\tmedian ms\tmin ms\tMelem/s\tGB/s\t"
	if o.Torch != "" {
		hdr += "torch ms\tratio\ttorch implementation\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%.3f\t%.3f\t%.1f\t%.2f\t", r.Loss, r.Workload, shapeString(r.Shape), r.MedianMS, r.MinMS, r.MelemPerS, r.GBPerS)
		if o.Torch != "" {
			if r.TorchMS > 0 {
				line += fmt.Sprintf("%.2f\t%.2f×\t%s\t", r.TorchMS, r.Ratio, r.TorchImpl)
			} else {
				line += "-\t-\t-\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// buildInfo returns the Go version and, on amd64, the GOAMD64 level the
// binary was built with (v1, Go's default, when the build info lacks it).
func buildInfo() (goVersion, goamd64 string) {
	goVersion = runtime.Version()
	if runtime.GOARCH != "amd64" {
		return goVersion, ""
	}
	goamd64 = "v1"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range bi.Settings {
			if kv.Key == "GOAMD64" && kv.Value != "" {
				goamd64 = kv.Value
			}
		}
	}
	return goVersion, goamd64
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// cpuModel returns the CPU model name from /proc/cpuinfo, or GOARCH.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					return fmt.Sprintf("%s (%d CPUs)", strings.TrimSpace(v), runtime.NumCPU())
				}
			}
		}
	}
	return fmt.Sprintf("%s (%d CPUs)", runtime.GOARCH, runtime.NumCPU())
}

// benchData is the input of one workload in element type T.
type benchData[T segloss.Float] struct {
	w     benchWorkload
	batch segloss.Batch[T]
	grad  []T
}

func makeBenchData[T segloss.Float](w benchWorkload, seed uint64) *benchData[T] {
	r := rand.New(rand.NewPCG(seed, 0x5e610553))
	n := 1
	for _, d := range w.shape {
		n *= d
	}
	d := &benchData[T]{w: w, grad: make([]T, n)}
	d.batch.Shape = w.shape
	d.batch.Input = make([]T, n)
	for i := range d.batch.Input {
		d.batch.Input[i] = T(r.NormFloat64() * 2)
	}
	if w.labels {
		c := w.shape[1]
		d.batch.Labels = make([]int32, n/c)
		for i := range d.batch.Labels {
			d.batch.Labels[i] = int32(r.IntN(c))
		}
	} else {
		d.batch.Target = make([]T, n)
		for i := range d.batch.Target {
			if r.Float64() < 0.3 {
				d.batch.Target[i] = 1
			}
		}
	}
	return d
}

// bytesPerElem is the input, target and gradient bytes per input element.
func (d *benchData[T]) bytesPerElem() float64 {
	var zero T
	sz := 8.0
	if _, ok := any(zero).(float32); ok {
		sz = 4
	}
	if d.w.labels {
		return 2*sz + 4/float64(d.w.shape[1])
	}
	return 3 * sz
}

func benchTables[T segloss.Float](ctx context.Context, s *Streams, o *benchOptions, ws []benchWorkload) ([]*benchRow, error) {
	type item struct {
		loss *segloss.Loss
		data *benchData[T]
		row  *benchRow
	}
	var items []item
	var rows []*benchRow
	for _, w := range ws {
		d := makeBenchData[T](w, o.Seed)
		n := len(d.batch.Input)
		for _, spec := range w.specs {
			l, err := segloss.Parse(spec)
			if err != nil {
				return nil, usageErr("bench: %v", err)
			}
			if o.MapCache > 0 {
				l.SetMapCache(segloss.NewMapCache(o.MapCache))
			}
			// Check once that the loss takes this workload.
			v, err := segloss.Eval(l, d.grad, d.batch)
			if err != nil {
				return nil, fmt.Errorf("bench: %s on %s: %w", spec, w.name, err)
			}
			r := &benchRow{Loss: spec, Workload: w.name, Shape: w.shape, Value: v, MedianMS: math.Inf(1), MinMS: math.Inf(1)}
			_ = n
			items = append(items, item{l, d, r})
			rows = append(rows, r)
		}
	}
	torch := map[string]float64{}
	times := make([]float64, o.Repeats)
	for round := 0; round < o.Rounds; round++ {
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for k := 0; k < o.Warmup+o.Repeats; k++ {
				t0 := time.Now()
				_, err := segloss.Eval(it.loss, it.data.grad, it.data.batch)
				el := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("bench: %s: %w", it.row.Loss, err)
				}
				if k >= o.Warmup {
					times[k-o.Warmup] = el.Seconds() * 1e3
				}
			}
			slices.Sort(times)
			med := times[len(times)/2]
			if len(times)%2 == 0 {
				med = (times[len(times)/2-1] + times[len(times)/2]) / 2
			}
			r := it.row
			r.medians = append(r.medians, med)
			r.MedianMS = math.Min(r.MedianMS, med)
			r.MinMS = math.Min(r.MinMS, times[0])
		}
		if o.Torch != "" {
			if err := runTorch(ctx, s, o, ws, torch); err != nil {
				return nil, err
			}
		}
	}
	for _, it := range items {
		r := it.row
		n := float64(len(it.data.batch.Input))
		r.MelemPerS = n / (r.MedianMS * 1e-3) / 1e6
		r.GBPerS = n * it.data.bytesPerElem() / (r.MedianMS * 1e-3) / 1e9
		for _, name := range torchRows[r.Loss] {
			if ms, ok := torch[name]; ok && r.Workload != "custom" && (r.TorchMS == 0 || ms < r.TorchMS) {
				r.TorchMS, r.TorchImpl = ms, name
			}
		}
		if r.TorchMS > 0 {
			r.Ratio = r.TorchMS / r.MedianMS
		}
	}
	return rows, nil
}

// torchLine matches a result row of bench_torch.py: name, median ms, min ms, Melem/s.
var torchLine = regexp.MustCompile(`^(\S.*?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$`)

// runTorch runs one round of bench_torch.py and keeps, per row, the best median.
func runTorch(ctx context.Context, s *Streams, o *benchOptions, ws []benchWorkload, best map[string]float64) error {
	args := []string{o.Torch, "--rounds", "1", "--repeats", strconv.Itoa(o.Repeats), "--warmup", strconv.Itoa(o.Warmup)}
	threads := o.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	args = append(args, "--threads", strconv.Itoa(threads))
	hasA, hasB := false, false
	for _, w := range ws {
		hasA = hasA || w.name == "binary"
		hasB = hasB || w.name == "multiclass"
	}
	switch {
	case hasA && !hasB:
		args = append(args, "--only", "a")
	case hasB && !hasA:
		args = append(args, "--only", "b")
	case !hasA && !hasB:
		return nil
	}
	cmd := exec.CommandContext(ctx, o.Python, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = s.Err
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bench: %s %s: %w", o.Python, strings.Join(args, " "), err)
	}
	parseTorch(&out, best)
	return nil
}

// parseTorch reads the result tables of bench_torch.py into best (ms).
func parseTorch(r io.Reader, best map[string]float64) {
	sc := bufio.NewScanner(r)
	inTable := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## (") {
			inTable = true
			continue
		}
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "loss ") || !inTable {
			continue
		}
		m := torchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ms, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		name := strings.TrimSpace(m[1])
		if old, ok := best[name]; !ok || ms < old {
			best[name] = ms
		}
	}
}
