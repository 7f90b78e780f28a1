// Package metric computes the confusion counts of segmentation masks and
// the overlap metrics derived from them (Dice, IoU, precision, recall,
// specificity, F-beta, accuracy, balanced accuracy, MCC, and the other
// confusion-matrix metrics of MONAI: NPV, FNR, FPR, FDR, FOR, prevalence
// threshold, Fowlkes–Mallows, informedness, markedness), the generalized
// Dice score, and micro, macro, weighted, image-wise and image-mean
// reductions over a data set.
//
// # MONAI's conventions
//
// MONAI's DiceMetric and MeanIoU with ignore_empty=True are EmptyTruthNaN;
// its ConfusionMatrixMetric (NaN for every zero denominator) is
// EmptyDenNaN; its mean reduction is ImageMean and its mean_batch is
// PerClass under ImageWise. The defaults differ: a class absent from both
// masks is an empty case (EmptyPolicy), any other zero denominator gives 0.
//
// Counts are integers and add up exactly, so an Accumulator filled image by
// image on several workers or shards and merged gives the same result as
// one pass over the whole data set.
package metric

import "fmt"

// Counts are the confusion counts of one class: voxels predicted and true
// (TP), predicted but not true (FP), true but not predicted (FN), neither
// (TN).
type Counts struct {
	TP, FP, FN, TN int64
}

// Add returns the element-wise sum of c and o.
func (c Counts) Add(o Counts) Counts {
	return Counts{c.TP + o.TP, c.FP + o.FP, c.FN + o.FN, c.TN + o.TN}
}

// Total returns the number of voxels counted.
func (c Counts) Total() int64 { return c.TP + c.FP + c.FN + c.TN }

// Empty reports whether the class is absent from both prediction and truth.
func (c Counts) Empty() bool { return c.TP+c.FP+c.FN == 0 }

// CountLabels returns the confusion counts of each class in classes for a
// predicted and a true label map of equal length. A voxel counts for a
// class when its label equals the class; labels not in classes count as
// background for every class.
func CountLabels(pred, truth []int32, classes []int32) ([]Counts, error) {
	if len(pred) != len(truth) {
		return nil, fmt.Errorf("metric: prediction has %d voxels, truth has %d", len(pred), len(truth))
	}
	idx := newClassIndex(classes)
	out := make([]Counts, len(classes))
	for i, p := range pred {
		t := truth[i]
		ip, it := idx.of(p), idx.of(t)
		if p == t {
			if ip >= 0 {
				out[ip].TP++
			}
			continue
		}
		if ip >= 0 {
			out[ip].FP++
		}
		if it >= 0 {
			out[it].FN++
		}
	}
	for k := range out {
		out[k].TN = int64(len(pred)) - out[k].TP - out[k].FP - out[k].FN
	}
	return out, nil
}

// classIndex maps a label to its position in a class list, or -1.
type classIndex struct {
	small []int // labels 0..len(small)-1
	other map[int32]int
}

func newClassIndex(classes []int32) classIndex {
	var ci classIndex
	ci.small = make([]int, 256)
	for i := range ci.small {
		ci.small[i] = -1
	}
	for k, c := range classes {
		if c >= 0 && int(c) < len(ci.small) {
			if ci.small[c] < 0 {
				ci.small[c] = k
			}
			continue
		}
		if ci.other == nil {
			ci.other = map[int32]int{}
		}
		if _, dup := ci.other[c]; !dup {
			ci.other[c] = k
		}
	}
	return ci
}

func (ci classIndex) of(label int32) int {
	if label >= 0 && int(label) < len(ci.small) {
		return ci.small[label]
	}
	if k, ok := ci.other[label]; ok {
		return k
	}
	return -1
}

// Threshold returns binary labels of a probability map: 1 where the value
// is at least t, 0 elsewhere (NaN gives 0).
func Threshold(prob []float64, t float64) []int32 {
	out := make([]int32, len(prob))
	for i, p := range prob {
		if p >= t {
			out[i] = 1
		}
	}
	return out
}
