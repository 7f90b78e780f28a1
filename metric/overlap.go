package metric

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Func computes a metric from confusion counts. It reports undefined when
// the metric is 0/0 because what it measures is absent from both
// prediction and truth (see Empty); any other zero denominator gives 0.
type Func func(c Counts) (v float64, undefined bool)

// Metric is a named overlap metric.
type Metric struct {
	Name string
	Func Func
	// ZeroDen, when set, reports whether the metric's denominator is 0 for
	// the given counts: the cases EmptyDenNaN scores NaN, as MONAI's
	// confusion-matrix metrics do. Parse sets it for every metric.
	ZeroDen func(c Counts) bool
}

// ratio returns num/den, or 0 when den is 0.
func ratio(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

// Dice returns 2TP / (2TP + FP + FN).
//
// Special cases are:
//
//	Dice = undefined if TP = FP = FN = 0 (class absent from both masks)
//	Dice = 0 if the class is predicted but absent from the truth
func Dice(c Counts) (float64, bool) { return FBeta(1)(c) }

// IoU returns the Jaccard index TP / (TP + FP + FN).
//
// Special cases are:
//
//	IoU = undefined if TP = FP = FN = 0
func IoU(c Counts) (float64, bool) {
	tp := float64(c.TP)
	return ratio(tp, tp+float64(c.FP+c.FN)), c.Empty()
}

// Precision returns TP / (TP + FP).
//
// Special cases are:
//
//	Precision = undefined if TP = FP = FN = 0
//	Precision = 0 if TP + FP = 0 and FN > 0 (nothing predicted)
func Precision(c Counts) (float64, bool) {
	return ratio(float64(c.TP), float64(c.TP+c.FP)), c.Empty()
}

// Recall returns the sensitivity TP / (TP + FN).
//
// Special cases are:
//
//	Recall = undefined if TP = FP = FN = 0
//	Recall = 0 if TP + FN = 0 and FP > 0 (predicted on an empty truth)
func Recall(c Counts) (float64, bool) {
	return ratio(float64(c.TP), float64(c.TP+c.FN)), c.Empty()
}

// Specificity returns TN / (TN + FP).
//
// Special cases are:
//
//	Specificity = undefined if TN = FP = FN = 0 (no background in either mask)
//	Specificity = 0 if TN + FP = 0 and FN > 0
func Specificity(c Counts) (float64, bool) {
	return ratio(float64(c.TN), float64(c.TN+c.FP)), c.TN+c.FP+c.FN == 0
}

// Accuracy returns (TP + TN) / (TP + FP + FN + TN).
//
// Special cases are:
//
//	Accuracy = undefined if there are no voxels
func Accuracy(c Counts) (float64, bool) {
	return ratio(float64(c.TP+c.TN), float64(c.Total())), c.Total() == 0
}

// BalancedAccuracy returns (Recall + Specificity) / 2.
//
// Special cases are:
//
//	BalancedAccuracy = undefined if Recall or Specificity is undefined
func BalancedAccuracy(c Counts) (float64, bool) {
	r, ur := Recall(c)
	s, us := Specificity(c)
	return (r + s) / 2, ur || us
}

// MCC returns the Matthews correlation coefficient
// (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)).
//
// Special cases are:
//
//	MCC = undefined if TP = FP = FN = 0
//	MCC = 0 if any other factor under the root is 0
func MCC(c Counts) (float64, bool) {
	tp, fp, fn, tn := float64(c.TP), float64(c.FP), float64(c.FN), float64(c.TN)
	den := math.Sqrt(tp+fp) * math.Sqrt(tp+fn) * math.Sqrt(tn+fp) * math.Sqrt(tn+fn)
	return ratio(tp*tn-fp*fn, den), c.Empty()
}

// FBeta returns the F-beta score (1+β²)TP / ((1+β²)TP + β²FN + FP); recall
// weighs β times as much as precision. FBeta(1) is Dice.
//
// Special cases are:
//
//	FBeta = undefined if TP = FP = FN = 0
func FBeta(beta float64) Func {
	b2 := beta * beta
	return func(c Counts) (float64, bool) {
		num := (1 + b2) * float64(c.TP)
		return ratio(num, num+b2*float64(c.FN)+float64(c.FP)), c.Empty()
	}
}

// Names lists the metric names Parse accepts, besides "fbeta:beta=B" and
// the aliases of Aliases.
var Names = []string{"dice", "iou", "precision", "recall", "specificity", "accuracy", "balanced_accuracy", "mcc",
	"npv", "fnr", "fpr", "fdr", "for", "prevalence_threshold", "fowlkes_mallows", "informedness", "markedness"}

// Aliases maps the other names Parse accepts (MONAI's among them) to one
// of Names.
var Aliases = map[string]string{
	"jaccard": "iou", "threat_score": "iou", "sensitivity": "recall", "tpr": "recall", "ppv": "precision",
	"tnr": "specificity", "f1": "dice", "miss_rate": "fnr", "fall_out": "fpr", "false_discovery_rate": "fdr",
	"false_omission_rate": "for", "negative_predictive_value": "npv", "pt": "prevalence_threshold",
	"fm": "fowlkes_mallows", "bm": "informedness", "mk": "markedness",
}

// byName holds each metric of Names with its zero-denominator test.
var byName = map[string]Metric{
	"dice":                 {Func: Dice, ZeroDen: Counts.Empty},
	"iou":                  {Func: IoU, ZeroDen: Counts.Empty},
	"precision":            {Func: Precision, ZeroDen: func(c Counts) bool { return c.TP+c.FP == 0 }},
	"recall":               {Func: Recall, ZeroDen: positivesZero},
	"specificity":          {Func: Specificity, ZeroDen: negativesZero},
	"accuracy":             {Func: Accuracy, ZeroDen: func(c Counts) bool { return c.Total() == 0 }},
	"balanced_accuracy":    {Func: BalancedAccuracy, ZeroDen: func(c Counts) bool { return positivesZero(c) || negativesZero(c) }},
	"mcc":                  {Func: MCC, ZeroDen: mccZero},
	"npv":                  {Func: NPV, ZeroDen: func(c Counts) bool { return c.TN+c.FN == 0 }},
	"fnr":                  {Func: FNR, ZeroDen: positivesZero},
	"fpr":                  {Func: FPR, ZeroDen: negativesZero},
	"fdr":                  {Func: FDR, ZeroDen: func(c Counts) bool { return c.TP+c.FP == 0 }},
	"for":                  {Func: FOR, ZeroDen: func(c Counts) bool { return c.TN+c.FN == 0 }},
	"prevalence_threshold": {Func: PrevalenceThreshold, ZeroDen: ptZero},
	"fowlkes_mallows":      {Func: FowlkesMallows, ZeroDen: func(c Counts) bool { return c.TP+c.FP == 0 || positivesZero(c) }},
	"informedness":         {Func: Informedness, ZeroDen: func(c Counts) bool { return positivesZero(c) || negativesZero(c) }},
	"markedness":           {Func: Markedness, ZeroDen: func(c Counts) bool { return c.TP+c.FP == 0 || c.TN+c.FN == 0 }},
}

func positivesZero(c Counts) bool { return c.TP+c.FN == 0 }
func negativesZero(c Counts) bool { return c.TN+c.FP == 0 }
func mccZero(c Counts) bool {
	return c.TP+c.FP == 0 || c.TP+c.FN == 0 || c.TN+c.FP == 0 || c.TN+c.FN == 0
}

// Parse returns the metric named s: one of Names or Aliases (the metric
// keeps the name given), or "fbeta:beta=B" with B > 0 ("fbeta" alone means
// β = 1).
func Parse(s string) (Metric, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	key := name
	if a, ok := Aliases[name]; ok {
		key = a
	}
	if m, ok := byName[key]; ok {
		m.Name = name
		return m, nil
	}
	if name == "fbeta" {
		return Metric{Name: "fbeta:beta=1", Func: FBeta(1), ZeroDen: Counts.Empty}, nil
	}
	if v, ok := strings.CutPrefix(name, "fbeta:beta="); ok {
		beta, err := strconv.ParseFloat(v, 64)
		if err != nil || !(beta > 0) || math.IsInf(beta, 0) {
			return Metric{}, fmt.Errorf("metric: %q: beta must be a positive number", s)
		}
		return Metric{Name: "fbeta:beta=" + v, Func: FBeta(beta), ZeroDen: Counts.Empty}, nil
	}
	return Metric{}, fmt.Errorf("metric: unknown metric %q (want one of %s, fbeta:beta=B)", s, strings.Join(Names, ", "))
}
