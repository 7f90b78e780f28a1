package metric

import "math"

// These are the confusion-matrix metrics of MONAI's ConfusionMatrixMetric
// that the overlap metrics do not already cover. Under the default
// policies a metric is undefined when what it measures is absent from both
// masks (no positives, or no negatives, in either), and any other zero
// denominator gives 0; EmptyDenNaN makes every zero denominator NaN, as
// MONAI does.

// undefinedNegatives reports whether the background is absent from both
// masks: the case in which the negative-class metrics are undefined.
func undefinedNegatives(c Counts) bool { return c.TN+c.FP+c.FN == 0 }

// NPV returns the negative predictive value TN / (TN + FN).
//
// Special cases are:
//
//	NPV = undefined if TN = FP = FN = 0 (no background in either mask)
//	NPV = 0 if TN + FN = 0 and FP > 0
func NPV(c Counts) (float64, bool) {
	return ratio(float64(c.TN), float64(c.TN+c.FN)), undefinedNegatives(c)
}

// FNR returns the false negative rate (miss rate) FN / (TP + FN).
//
// Special cases are:
//
//	FNR = undefined if TP = FP = FN = 0
//	FNR = 0 if TP + FN = 0 and FP > 0
func FNR(c Counts) (float64, bool) {
	return ratio(float64(c.FN), float64(c.TP+c.FN)), c.Empty()
}

// FPR returns the false positive rate (fall-out) FP / (FP + TN).
//
// Special cases are:
//
//	FPR = undefined if TN = FP = FN = 0
//	FPR = 0 if FP + TN = 0 and FN > 0
func FPR(c Counts) (float64, bool) {
	return ratio(float64(c.FP), float64(c.FP+c.TN)), undefinedNegatives(c)
}

// FDR returns the false discovery rate FP / (TP + FP).
//
// Special cases are:
//
//	FDR = undefined if TP = FP = FN = 0
//	FDR = 0 if TP + FP = 0 and FN > 0 (nothing predicted)
func FDR(c Counts) (float64, bool) {
	return ratio(float64(c.FP), float64(c.TP+c.FP)), c.Empty()
}

// FOR returns the false omission rate FN / (FN + TN).
//
// Special cases are:
//
//	FOR = undefined if TN = FP = FN = 0
//	FOR = 0 if FN + TN = 0 and FP > 0
func FOR(c Counts) (float64, bool) {
	return ratio(float64(c.FN), float64(c.FN+c.TN)), undefinedNegatives(c)
}

// PrevalenceThreshold returns (√(TPR·(1−TNR)) + TNR − 1) / (TPR + TNR − 1)
// with TPR the recall and TNR the specificity.
//
// Special cases are:
//
//	PrevalenceThreshold = undefined if Recall or Specificity is undefined
//	PrevalenceThreshold = 0 if TPR + TNR = 1 (a classifier no better than chance)
func PrevalenceThreshold(c Counts) (float64, bool) {
	tpr, ur := Recall(c)
	tnr, us := Specificity(c)
	return ratio(math.Sqrt(tpr*(1-tnr))+tnr-1, tpr+tnr-1), ur || us
}

// ptZero is the zero-denominator test of PrevalenceThreshold: no positives,
// no negatives, or TPR + TNR = 1.
func ptZero(c Counts) bool {
	if positivesZero(c) || negativesZero(c) {
		return true
	}
	tpr, _ := Recall(c)
	tnr, _ := Specificity(c)
	return tpr+tnr-1 == 0
}

// FowlkesMallows returns the Fowlkes–Mallows index √(Precision·Recall).
//
// Special cases are:
//
//	FowlkesMallows = undefined if TP = FP = FN = 0
func FowlkesMallows(c Counts) (float64, bool) {
	p, _ := Precision(c)
	r, _ := Recall(c)
	return math.Sqrt(p * r), c.Empty()
}

// Informedness returns the bookmaker informedness (Youden's J)
// Recall + Specificity − 1.
//
// Special cases are:
//
//	Informedness = undefined if Recall or Specificity is undefined
func Informedness(c Counts) (float64, bool) {
	r, ur := Recall(c)
	s, us := Specificity(c)
	return r + s - 1, ur || us
}

// Markedness returns Precision + NPV − 1.
//
// Special cases are:
//
//	Markedness = undefined if Precision or NPV is undefined
func Markedness(c Counts) (float64, bool) {
	p, up := Precision(c)
	n, un := NPV(c)
	return p + n - 1, up || un
}
