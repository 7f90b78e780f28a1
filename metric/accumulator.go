package metric

import (
	"fmt"
	"math"
	"strings"
)

// Reduction says how per-image, per-class counts become one number, as in
// segmentation_models_pytorch's get_stats reductions.
type Reduction int

const (
	// Micro pools the counts of every image and class, then takes the metric.
	Micro Reduction = iota
	// Macro pools the counts of every image per class, takes the metric per
	// class, and averages the classes.
	Macro
	// Weighted is Macro with classes weighted by their support (TP + FN,
	// the true voxel count) or by Accumulator.Weights when set.
	Weighted
	// ImageWise takes the metric per image and class, averages the images
	// per class, then averages the classes: MONAI's mean_batch reduction
	// followed by a mean over classes. It equals MONAI's mean reduction
	// only when no value is NaN; ImageMean is that reduction.
	ImageWise
	// ImageMean takes the metric per image and class, averages the classes
	// of each image, then averages the images (MONAI's mean reduction).
	// NaN values are left out at both steps, and so is an image whose
	// classes are all NaN.
	ImageMean
)

// Reductions lists every reduction.
var Reductions = []Reduction{Micro, Macro, Weighted, ImageWise, ImageMean}

// String returns the name ParseReduction accepts.
func (r Reduction) String() string {
	switch r {
	case Micro:
		return "micro"
	case Macro:
		return "macro"
	case Weighted:
		return "weighted"
	case ImageWise:
		return "imagewise"
	case ImageMean:
		return "imagemean"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// ParseReduction parses "micro", "macro", "weighted", "imagewise" or
// "imagemean".
func ParseReduction(s string) (Reduction, error) {
	for _, r := range Reductions {
		if strings.EqualFold(strings.TrimSpace(s), r.String()) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("metric: unknown reduction %q (want micro, macro, weighted, imagewise or imagemean)", s)
}

// An Accumulator adds up the counts of a data set image by image. It keeps
// the pooled counts of each class and, for each metric and class, the sum
// and number of the per-image values, so that accumulators filled on
// separate workers or shards merge exactly.
type Accumulator struct {
	Metrics []Metric    // the metrics of the per-image values
	Policy  EmptyPolicy // the value of empty cases
	Classes int         // the number of classes of every image
	// Weights, when non-nil, are the class weights of the Weighted
	// reduction instead of the class support.
	Weights []float64
	// Images is the number of images added.
	Images int64
	// Pooled holds the counts of each class summed over images.
	Pooled []Counts

	sum [][]float64 // [metric][class]: sum of per-image values that are kept and not NaN
	n   [][]int64   // [metric][class]: number of those values
	nan [][]int64   // [metric][class]: number of NaN values

	imgSum []float64 // [metric]: sum over images of the mean of their non-NaN class values
	imgN   []int64   // [metric]: number of images with at least one such value
}

// NewAccumulator returns an empty accumulator for the given number of
// classes and metrics.
func NewAccumulator(classes int, metrics []Metric, policy EmptyPolicy) *Accumulator {
	a := &Accumulator{Metrics: metrics, Policy: policy, Classes: classes, Pooled: make([]Counts, classes)}
	a.sum = make([][]float64, len(metrics))
	a.n = make([][]int64, len(metrics))
	a.nan = make([][]int64, len(metrics))
	a.imgSum = make([]float64, len(metrics))
	a.imgN = make([]int64, len(metrics))
	for m := range metrics {
		a.sum[m] = make([]float64, classes)
		a.n[m] = make([]int64, classes)
		a.nan[m] = make([]int64, classes)
	}
	return a
}

// Add adds the per-class counts of one image and returns its metric values
// indexed [metric][class]. A value left out by EmptySkip is NaN in the
// result, and kept[m][k] is false for it.
func (a *Accumulator) Add(counts []Counts) (values [][]float64, kept [][]bool, err error) {
	if len(counts) != a.Classes {
		return nil, nil, fmt.Errorf("metric: Accumulator.Add: %d classes, want %d", len(counts), a.Classes)
	}
	a.Images++
	values = make([][]float64, len(a.Metrics))
	kept = make([][]bool, len(a.Metrics))
	for k, c := range counts {
		a.Pooled[k] = a.Pooled[k].Add(c)
	}
	for m, met := range a.Metrics {
		values[m] = make([]float64, a.Classes)
		kept[m] = make([]bool, a.Classes)
		var img float64
		var nimg int
		for k, c := range counts {
			v, keep := a.Policy.Value(met, c)
			values[m][k], kept[m][k] = v, keep
			switch {
			case !keep:
			case math.IsNaN(v):
				a.nan[m][k]++
			default:
				a.sum[m][k] += v
				a.n[m][k]++
				img += v
				nimg++
			}
		}
		if nimg > 0 {
			a.imgSum[m] += img / float64(nimg)
			a.imgN[m]++
		}
	}
	return values, kept, nil
}

// Merge adds the contents of o into a. Both must have the same classes,
// metrics (by name) and policy.
func (a *Accumulator) Merge(o *Accumulator) error {
	if a.Classes != o.Classes || a.Policy != o.Policy || len(a.Metrics) != len(o.Metrics) {
		return fmt.Errorf("metric: Accumulator.Merge: %d classes, %d metrics, policy %v vs %d, %d, %v",
			a.Classes, len(a.Metrics), a.Policy, o.Classes, len(o.Metrics), o.Policy)
	}
	for m := range a.Metrics {
		if a.Metrics[m].Name != o.Metrics[m].Name {
			return fmt.Errorf("metric: Accumulator.Merge: metric %d is %q vs %q", m, a.Metrics[m].Name, o.Metrics[m].Name)
		}
	}
	a.Images += o.Images
	for k := range a.Pooled {
		a.Pooled[k] = a.Pooled[k].Add(o.Pooled[k])
	}
	for m := range a.Metrics {
		a.imgSum[m] += o.imgSum[m]
		a.imgN[m] += o.imgN[m]
		for k := 0; k < a.Classes; k++ {
			a.sum[m][k] += o.sum[m][k]
			a.n[m][k] += o.n[m][k]
			a.nan[m][k] += o.nan[m][k]
		}
	}
	return nil
}

// NaNCount returns the number of per-image values of metric m and class k
// that were NaN.
func (a *Accumulator) NaNCount(m, k int) int64 { return a.nan[m][k] }

// PerClass returns one value per class for metric m: the mean over images
// for ImageWise and ImageMean, the metric of the pooled counts otherwise.
// Classes with no value (every case skipped or NaN) are NaN.
func (a *Accumulator) PerClass(m int, r Reduction) []float64 {
	out := make([]float64, a.Classes)
	for k := range out {
		if r == ImageWise || r == ImageMean {
			out[k] = math.NaN()
			if a.n[m][k] > 0 {
				out[k] = a.sum[m][k] / float64(a.n[m][k])
			}
			continue
		}
		out[k], _ = a.Policy.Value(a.Metrics[m], a.Pooled[k])
	}
	return out
}

// Reduce returns metric m over the whole data set under reduction r.
//
// Special cases are:
//
//	Reduce = NaN if no class has a value (or, for Weighted, all weights are 0)
//	Reduce = NaN for ImageMean if no image has a value (MONAI gives 0)
func (a *Accumulator) Reduce(m int, r Reduction) float64 {
	switch r {
	case Micro:
		var total Counts
		for _, c := range a.Pooled {
			total = total.Add(c)
		}
		v, _ := a.Policy.Value(a.Metrics[m], total)
		return v
	case ImageMean:
		if a.imgN[m] == 0 {
			return math.NaN()
		}
		return a.imgSum[m] / float64(a.imgN[m])
	}
	per := a.PerClass(m, r)
	var sum, wsum float64
	for k, v := range per {
		if math.IsNaN(v) {
			continue
		}
		w := 1.0
		if r == Weighted {
			w = float64(a.Pooled[k].TP + a.Pooled[k].FN)
			if a.Weights != nil {
				w = a.Weights[k]
			}
		}
		sum += w * v
		wsum += w
	}
	if wsum == 0 {
		return math.NaN()
	}
	return sum / wsum
}
