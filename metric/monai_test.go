package metric

import (
	"math"
	"testing"
)

// These cases are written from the behaviour MONAI documents for its
// metrics (DiceMetric and MeanIoU with ignore_empty, ConfusionMatrixMetric
// with NaN for a zero denominator, the mean and mean_batch reductions), with
// the values worked out by hand; they check that each convention is
// reproduced by option.

// sameOrNaN reports whether a and b are equal to 1e-12, or both NaN.
func sameOrNaN(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12
}

func value(t *testing.T, name string, p EmptyPolicy, c Counts) float64 {
	t.Helper()
	m, err := Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := p.Value(m, c)
	return v
}

// TestMONAIEmptyConventions checks ignore_empty and the zero-denominator
// NaN: a prediction on an empty truth is NaN for MONAI's ignore_empty=True
// (EmptyTruthNaN) but 0 under segloss's EmptyNaN.
func TestMONAIEmptyConventions(t *testing.T) {
	nan := math.NaN()
	predOnEmpty := Counts{FP: 5, TN: 11} // truth empty, prediction not
	bothEmpty := Counts{TN: 16}
	missed := Counts{FN: 4, TN: 12} // prediction empty, truth not
	allFG := Counts{TP: 16}         // no background anywhere
	for _, c := range []struct {
		metric string
		policy EmptyPolicy
		counts Counts
		want   float64
	}{
		// DiceMetric / MeanIoU, ignore_empty=True: NaN whenever y is empty.
		{"dice", EmptyTruthNaN, predOnEmpty, nan},
		{"dice", EmptyTruthNaN, bothEmpty, nan},
		{"dice", EmptyTruthNaN, missed, 0},
		{"iou", EmptyTruthNaN, predOnEmpty, nan},
		{"iou", EmptyTruthNaN, bothEmpty, nan},
		// ignore_empty=False: both empty is 1, a prediction on an empty truth 0.
		{"dice", EmptyOne, bothEmpty, 1},
		{"dice", EmptyOne, predOnEmpty, 0},
		{"iou", EmptyOne, bothEmpty, 1},
		// segloss's EmptyNaN: NaN only when both are empty.
		{"dice", EmptyNaN, predOnEmpty, 0},
		{"dice", EmptyNaN, bothEmpty, nan},
		// ConfusionMatrixMetric: NaN for every zero denominator.
		{"recall", EmptyDenNaN, predOnEmpty, nan},
		{"sensitivity", EmptyDenNaN, bothEmpty, nan},
		{"recall", EmptyNaN, predOnEmpty, 0},
		{"specificity", EmptyDenNaN, allFG, nan},
		{"specificity", EmptyDenNaN, missed, 1},
		{"precision", EmptyDenNaN, missed, nan},
		{"precision", EmptyNaN, missed, 0},
		{"npv", EmptyDenNaN, allFG, nan},
		{"fnr", EmptyDenNaN, predOnEmpty, nan},
		{"fpr", EmptyDenNaN, allFG, nan},
		{"fdr", EmptyDenNaN, missed, nan},
		{"for", EmptyDenNaN, allFG, nan},
		{"mcc", EmptyDenNaN, missed, nan},
		{"mcc", EmptyNaN, missed, 0},
		{"f1", EmptyDenNaN, predOnEmpty, 0},
		{"f1", EmptyDenNaN, bothEmpty, nan},
		{"balanced_accuracy", EmptyDenNaN, predOnEmpty, nan},
		{"informedness", EmptyDenNaN, allFG, nan},
		{"markedness", EmptyDenNaN, missed, nan},
		{"fowlkes_mallows", EmptyDenNaN, missed, nan},
		{"prevalence_threshold", EmptyDenNaN, Counts{TP: 1, FN: 1, FP: 1, TN: 1}, nan}, // TPR + TNR = 1
		{"prevalence_threshold", EmptyNaN, Counts{TP: 1, FN: 1, FP: 1, TN: 1}, 0},
	} {
		if got := value(t, c.metric, c.policy, c.counts); !sameOrNaN(got, c.want) {
			t.Errorf("%s under %v on %+v = %v, want %v", c.metric, c.policy, c.counts, got, c.want)
		}
	}
}

// TestConfusionMetrics checks every confusion-matrix metric on one matrix,
// TP = 3, FP = 1, TN = 4, FN = 2, against values worked out by hand from
// the definitions (TPR 3/5, TNR 4/5, PPV 3/4, NPV 4/6).
func TestConfusionMetrics(t *testing.T) {
	c := Counts{TP: 3, FP: 1, TN: 4, FN: 2}
	for name, want := range map[string]float64{
		"tpr": 0.6, "tnr": 0.8, "ppv": 0.75, "npv": 4.0 / 6, "miss_rate": 0.4, "fall_out": 0.2,
		"fdr": 0.25, "for": 2.0 / 6, "threat_score": 0.5, "accuracy": 0.7, "balanced_accuracy": 0.7,
		"f1":                   6.0 / 9,
		"mcc":                  (12 - 2) / math.Sqrt(4*5*5*6),
		"prevalence_threshold": (math.Sqrt(0.6*0.2) + 0.8 - 1) / (0.6 + 0.8 - 1),
		"fm":                   math.Sqrt(0.75 * 0.6),
		"bm":                   0.4,
		"mk":                   0.75 + 4.0/6 - 1,
	} {
		for _, p := range []EmptyPolicy{EmptyOne, EmptyNaN, EmptyDenNaN, EmptyTruthNaN} {
			if got := value(t, name, p, c); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s under %v = %.15g, want %.15g", name, p, got, want)
			}
		}
	}
}

// TestMONAIMeanReduction checks the order of averaging: MONAI's mean
// averages the classes of each image first (ImageMean), its mean_batch the
// images of each class (ImageWise per class). Image 1 has Dice 0.5 and an
// empty class (NaN), image 2 has 0.2 and 0.4: mean = (0.5 + 0.3)/2 = 0.4,
// mean_batch = [0.35, 0.4], whose class mean ImageWise gives, is 0.375.
func TestMONAIMeanReduction(t *testing.T) {
	dice, _ := Parse("dice")
	a := NewAccumulator(2, []Metric{dice}, EmptyNaN)
	images := [][]Counts{
		{{TP: 1, FP: 1, FN: 1, TN: 13}, {TN: 16}},
		{{TP: 1, FP: 4, FN: 4, TN: 7}, {TP: 1, FP: 2, FN: 1, TN: 12}},
	}
	for _, im := range images {
		if _, _, err := a.Add(im); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Reduce(0, ImageMean); !sameOrNaN(got, 0.4) {
		t.Errorf("ImageMean = %v, want 0.4 (MONAI mean)", got)
	}
	if got := a.PerClass(0, ImageWise); !sameOrNaN(got[0], 0.35) || !sameOrNaN(got[1], 0.4) {
		t.Errorf("PerClass(ImageWise) = %v, want [0.35 0.4] (MONAI mean_batch)", got)
	}
	if got := a.Reduce(0, ImageWise); !sameOrNaN(got, 0.375) {
		t.Errorf("ImageWise = %v, want 0.375", got)
	}
	if a.NaNCount(0, 1) != 1 || a.NaNCount(0, 0) != 0 {
		t.Errorf("NaN counts = %d, %d, want 0, 1", a.NaNCount(0, 0), a.NaNCount(0, 1))
	}
	// Merging two halves gives the same ImageMean.
	b1, b2 := NewAccumulator(2, []Metric{dice}, EmptyNaN), NewAccumulator(2, []Metric{dice}, EmptyNaN)
	b1.Add(images[0])
	b2.Add(images[1])
	if err := b1.Merge(b2); err != nil || !sameOrNaN(b1.Reduce(0, ImageMean), 0.4) {
		t.Errorf("merged ImageMean = %v, %v", b1.Reduce(0, ImageMean), err)
	}
	// No value at all: NaN (MONAI reports 0).
	e := NewAccumulator(1, []Metric{dice}, EmptyNaN)
	e.Add([]Counts{{TN: 4}})
	if got := e.Reduce(0, ImageMean); !math.IsNaN(got) {
		t.Errorf("ImageMean of only empty cases = %v, want NaN", got)
	}
}

// TestGeneralizedDice checks the generalized Dice score against values
// worked out by hand: class A (TP 2, FP 1, FN 1) and class B (TP 1, FP 2,
// FN 3), and a class C absent from the truth (FP 2), which takes the
// largest finite weight.
func TestGeneralizedDice(t *testing.T) {
	a, b, c := Counts{TP: 2, FP: 1, FN: 1}, Counts{TP: 1, FP: 2, FN: 3}, Counts{FP: 2}
	for _, tc := range []struct {
		counts []Counts
		w      GDWeight
		want   float64
	}{
		{[]Counts{a, b}, GDSquare, 82.0 / 159},
		{[]Counts{a, b}, GDSimple, 22.0 / 45},
		{[]Counts{a, b}, GDUniform, 6.0 / 13},
		{[]Counts{a, b, c}, GDSquare, 82.0 / 191},
		{[]Counts{{TN: 9}, {TN: 9}}, GDSquare, 1},
		{[]Counts{{FP: 3}}, GDSquare, 0},
	} {
		if got := GeneralizedDice(tc.counts, tc.w); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("GeneralizedDice(%v, %v) = %v, want %v", tc.counts, tc.w, got, tc.want)
		}
	}
}
