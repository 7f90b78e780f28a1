package metric

import (
	"fmt"
	"math"
	"strings"
)

// EmptyPolicy is the value given to a metric that is undefined because the
// class is absent from both the prediction and the truth. Under EmptyOne,
// EmptyNaN and EmptySkip a prediction that is non-empty on an empty truth is
// not such a case: it scores 0. EmptyTruthNaN and EmptyDenNaN reproduce
// MONAI's two conventions, which also make some of those cases NaN.
type EmptyPolicy int

const (
	// EmptyOne scores an empty case as 1: nothing to find, nothing found.
	EmptyOne EmptyPolicy = iota
	// EmptyNaN scores an empty case as NaN: reported per case and counted,
	// but left out of every mean. It is not MONAI's ignore_empty=True,
	// which is EmptyTruthNaN: here a prediction on an empty truth scores 0.
	EmptyNaN
	// EmptySkip leaves an empty case out of per-case rows and means alike.
	EmptySkip
	// EmptyTruthNaN scores NaN whenever the class is absent from the truth,
	// whatever the prediction (MONAI's DiceMetric and MeanIoU with
	// ignore_empty=True); otherwise it is EmptyNaN.
	EmptyTruthNaN
	// EmptyDenNaN scores NaN whenever the metric's denominator is 0 (MONAI's
	// ConfusionMatrixMetric: recall with no true voxels, specificity with
	// no background, ...); otherwise it is EmptyNaN. Metrics without a
	// ZeroDen test fall back to EmptyNaN.
	EmptyDenNaN
)

// ParseEmptyPolicy parses "one" (or "1"), "nan", "skip", "truth-nan" or
// "den-nan".
func ParseEmptyPolicy(s string) (EmptyPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "one", "1":
		return EmptyOne, nil
	case "nan":
		return EmptyNaN, nil
	case "skip":
		return EmptySkip, nil
	case "truth-nan":
		return EmptyTruthNaN, nil
	case "den-nan":
		return EmptyDenNaN, nil
	}
	return 0, fmt.Errorf("metric: unknown empty-case policy %q (want one, nan, skip, truth-nan or den-nan)", s)
}

// MONAI reports whether p is one of MONAI's conventions (EmptyTruthNaN or
// EmptyDenNaN), under which surface distances of two empty masks are NaN
// too.
func (p EmptyPolicy) MONAI() bool { return p == EmptyTruthNaN || p == EmptyDenNaN }

// String returns the name ParseEmptyPolicy accepts.
func (p EmptyPolicy) String() string {
	switch p {
	case EmptyOne:
		return "one"
	case EmptyNaN:
		return "nan"
	case EmptySkip:
		return "skip"
	case EmptyTruthNaN:
		return "truth-nan"
	case EmptyDenNaN:
		return "den-nan"
	}
	return fmt.Sprintf("EmptyPolicy(%d)", int(p))
}

// Apply returns the value to report for a metric value v, and whether the
// case is kept at all (false only for an undefined value under EmptySkip).
//
// Special cases are:
//
//	Apply(v, false) = v, true
//	Apply(v, true) = 1, true under EmptyOne
//	Apply(v, true) = NaN, true under EmptyNaN, EmptyTruthNaN and EmptyDenNaN
//	Apply(v, true) = NaN, false under EmptySkip
func (p EmptyPolicy) Apply(v float64, undefined bool) (float64, bool) {
	switch {
	case !undefined:
		return v, true
	case p == EmptyOne:
		return 1, true
	case p == EmptySkip:
		return math.NaN(), false
	}
	return math.NaN(), true
}

// Value returns the value to report for metric m on counts c, and whether
// the case is kept: Apply of m.Func(c), except that EmptyTruthNaN gives NaN
// when the truth is empty (TP + FN = 0) and EmptyDenNaN when m.ZeroDen(c).
func (p EmptyPolicy) Value(m Metric, c Counts) (float64, bool) {
	switch {
	case p == EmptyTruthNaN && c.TP+c.FN == 0:
		return math.NaN(), true
	case p == EmptyDenNaN && m.ZeroDen != nil && m.ZeroDen(c):
		return math.NaN(), true
	}
	return p.Apply(m.Func(c))
}
