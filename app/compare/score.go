package compare

import (
	"fmt"
	"math"
	"sort"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/stats"
	"github.com/segloss/segloss/metric"
	"github.com/segloss/segloss/metric/surface"
)

// Metrics are the held-out metrics of a compare, per foreground class: the
// overlap metrics of package metric and the 95th-percentile Hausdorff
// distance of package metric/surface.
var Metrics = []string{"dice", "iou", "precision", "recall", "hd95"}

// overlapFuncs are the overlap metrics, in the order of Metrics.
var overlapFuncs = []metric.Func{metric.Dice, metric.IoU, metric.Precision, metric.Recall}

// hd95 is the index of the HD95 in Metrics.
const hd95 = 4

// CaseScore holds the metrics of one validation case: Values[metric][class]
// for the foreground classes 1..K-1. A metric is null (NaN) when it is
// undefined: the class is absent from both masks, or, for HD95, from one
// of them.
type CaseScore struct {
	Case   string  `json:"case"`
	Values [][]Num `json:"values"`
}

// Stat is a metric of one class over the held-out cases: mean, standard
// deviation and bootstrap interval over the N cases where it is defined
// (each case's value averaged over the loss's seeds first).
type Stat struct {
	Mean      Num `json:"mean"`
	SD        Num `json:"sd"`
	Low       Num `json:"ci_low"`  // bootstrap 95 % interval of the mean (cases, and seeds within cases, resampled)
	High      Num `json:"ci_high"` //
	N         int `json:"n"`
	Undefined int `json:"undefined"` // cases left out: class absent from both masks (HD95: from either)
}

// volume is one validation case: the indices of its examples in set.Val,
// in slice order, and its shape ([H, W] or [slices, H, W]).
type volume struct {
	Case  string
	Index []int
	Shape []int
}

// volumes groups the validation examples by case, in the order cases
// first appear.
func volumes(set *dataset.Set) []volume {
	var out []volume
	at := map[string]int{}
	for i, ex := range set.Val {
		k, ok := at[ex.Case]
		if !ok {
			k = len(out)
			at[ex.Case] = k
			out = append(out, volume{Case: ex.Case})
		}
		out[k].Index = append(out[k].Index, i)
	}
	for k := range out {
		idx := out[k].Index
		sort.SliceStable(idx, func(a, b int) bool { return set.Val[idx[a]].Slice < set.Val[idx[b]].Slice })
		out[k].Shape = []int{set.H, set.W}
		if len(idx) > 1 {
			out[k].Shape = []int{len(idx), set.H, set.W}
		}
	}
	return out
}

// gather concatenates the label maps of a volume's examples.
func gather(v volume, maps func(i int) []int32) []int32 {
	var out []int32
	for _, i := range v.Index {
		out = append(out, maps(i)...)
	}
	return out
}

// Score computes the metrics of every validation case of set for the
// predictions pred (one label map per set.Val example). Distances are in
// mm for the 3-D cases whose files give a voxel size (set.Spacing; the
// frame fitting pads or crops, it never resamples), in pixels otherwise.
func Score(set *dataset.Set, pred [][]int32) ([]CaseScore, error) {
	if len(pred) != len(set.Val) {
		return nil, fmt.Errorf("score: %d predictions for %d validation examples", len(pred), len(set.Val))
	}
	for i, p := range pred {
		if len(p) != len(set.Val[i].Label) {
			return nil, fmt.Errorf("score: prediction %d has %d pixels, its example %d", i, len(p), len(set.Val[i].Label))
		}
	}
	classes := make([]int32, set.Classes-1)
	for k := range classes {
		classes[k] = int32(k + 1)
	}
	var out []CaseScore
	for _, v := range volumes(set) {
		truth := gather(v, func(i int) []int32 { return set.Val[i].Label })
		pl := gather(v, func(i int) []int32 { return pred[i] })
		counts, err := metric.CountLabels(pl, truth, classes)
		if err != nil {
			return nil, err
		}
		cs := CaseScore{Case: v.Case, Values: make([][]Num, len(Metrics))}
		for m := range Metrics {
			cs.Values[m] = make([]Num, len(classes))
		}
		spacing := set.Spacing[v.Case]
		if len(spacing) != len(v.Shape) {
			spacing = nil // pixels
		}
		for k, c := range classes {
			for m, f := range overlapFuncs {
				val, undefined := f(counts[k])
				val, _ = metric.EmptyNaN.Apply(val, undefined)
				cs.Values[m][k] = Num(val)
			}
			ab, ba, err := surface.LabelDistances(pl, truth, c, v.Shape, spacing, 1)
			if err != nil {
				return nil, err
			}
			h := surface.HausdorffPercentile(ab, ba, 95)
			if counts[k].Empty() {
				h = math.NaN()
			}
			cs.Values[hd95][k] = Num(h)
		}
		out = append(out, cs)
	}
	return out, nil
}

// Summarize returns Stats[metric][class] over the cases of one run: the
// mean and standard deviation of the defined values (no interval).
func Summarize(cases []CaseScore, classes int) [][]Stat {
	out := make([][]Stat, len(Metrics))
	for m := range Metrics {
		out[m] = make([]Stat, classes)
		for k := range out[m] {
			vals := make([]float64, len(cases))
			for i, c := range cases {
				vals[i] = float64(c.Values[m][k])
			}
			d := stats.Describe(vals)
			out[m][k] = Stat{Mean: Num(d.Mean), SD: Num(d.SD), N: d.N, Undefined: d.NaN + d.Inf,
				Low: Num(math.NaN()), High: Num(math.NaN())}
		}
	}
	return out
}
