package metric

import (
	"math"
	"math/rand"
	"testing"
)

func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestSquares checks the metrics of a 4x4 square against the same square
// shifted by one pixel right in an 8x8 image, derived by hand: TP = 12,
// FP = 4, FN = 4, TN = 44.
func TestSquares(t *testing.T) {
	pred, truth := make([]int32, 64), make([]int32, 64)
	for y := 2; y < 6; y++ {
		for x := 2; x < 6; x++ {
			truth[y*8+x] = 1
			pred[y*8+x+1] = 1
		}
	}
	c, err := CountLabels(pred, truth, []int32{1})
	if err != nil {
		t.Fatal(err)
	}
	if c[0] != (Counts{TP: 12, FP: 4, FN: 4, TN: 44}) {
		t.Fatalf("counts %+v", c[0])
	}
	for _, tc := range []struct {
		f    Func
		want float64
	}{
		{Dice, 24.0 / 32},
		{IoU, 12.0 / 20},
		{Precision, 12.0 / 16},
		{Recall, 12.0 / 16},
		{Specificity, 44.0 / 48},
		{Accuracy, 56.0 / 64},
		{BalancedAccuracy, (12.0/16 + 44.0/48) / 2},
		{MCC, (12.0*44 - 16) / math.Sqrt(16*16*48*48)},
		{FBeta(2), 5 * 12.0 / (5*12 + 4*4 + 4)},
	} {
		if v, u := tc.f(c[0]); u || !close(v, tc.want) {
			t.Errorf("got %v (undefined %v), want %v", v, u, tc.want)
		}
	}
}

func TestSpecialCases(t *testing.T) {
	empty := Counts{TN: 10}
	spurious := Counts{FP: 3, TN: 7}
	missed := Counts{FN: 3, TN: 7}
	full := Counts{TP: 10}
	for _, tc := range []struct {
		name string
		f    Func
		c    Counts
		want float64
		und  bool
	}{
		{"dice empty", Dice, empty, 0, true},
		{"dice spurious", Dice, spurious, 0, false},
		{"iou missed", IoU, missed, 0, false},
		{"precision missed", Precision, missed, 0, false},
		{"recall spurious", Recall, spurious, 0, false},
		{"mcc spurious", MCC, spurious, 0, false},
		{"specificity full", Specificity, full, 0, true},
		{"specificity empty", Specificity, empty, 1, false},
		{"accuracy none", Accuracy, Counts{}, 0, true},
		{"balanced empty", BalancedAccuracy, empty, 0.5, true},
	} {
		v, u := tc.f(tc.c)
		if u != tc.und || (!u && !close(v, tc.want)) {
			t.Errorf("%s: got %v undefined=%v, want %v undefined=%v", tc.name, v, u, tc.want, tc.und)
		}
	}
	for _, tc := range []struct {
		p    EmptyPolicy
		want float64
		keep bool
	}{{EmptyOne, 1, true}, {EmptyNaN, math.NaN(), true}, {EmptySkip, math.NaN(), false}} {
		v, keep := tc.p.Apply(Dice(empty))
		if !close(v, tc.want) || keep != tc.keep {
			t.Errorf("%v: got %v %v", tc.p, v, keep)
		}
	}
}

// TestCountLabels compares CountLabels with a direct per-class count on
// random label maps, including labels outside 0..255 and outside classes.
func TestCountLabels(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	labels := []int32{0, 1, 2, 300, -4, 7}
	classes := []int32{1, 2, 300, -4, 0}
	for trial := 0; trial < 20; trial++ {
		n := 1 + rng.Intn(500)
		pred, truth := make([]int32, n), make([]int32, n)
		for i := range pred {
			pred[i], truth[i] = labels[rng.Intn(len(labels))], labels[rng.Intn(len(labels))]
		}
		got, err := CountLabels(pred, truth, classes)
		if err != nil {
			t.Fatal(err)
		}
		for k, c := range classes {
			var want Counts
			for i := range pred {
				p, g := pred[i] == c, truth[i] == c
				switch {
				case p && g:
					want.TP++
				case p:
					want.FP++
				case g:
					want.FN++
				default:
					want.TN++
				}
			}
			if got[k] != want {
				t.Fatalf("class %d: got %+v, want %+v", c, got[k], want)
			}
		}
	}
	if _, err := CountLabels(make([]int32, 2), make([]int32, 3), classes); err == nil {
		t.Error("length mismatch accepted")
	}
}

func allMetrics(t *testing.T) []Metric {
	var ms []Metric
	for _, n := range append(Names, "fbeta:beta=0.5") {
		m, err := Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// TestAccumulatorMerge checks that accumulators filled on shards and merged
// equal one pass, and that the reductions match direct computations.
func TestAccumulatorMerge(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	ms := allMetrics(t)
	classes := []int32{1, 2, 3}
	for _, policy := range []EmptyPolicy{EmptyOne, EmptyNaN, EmptySkip} {
		whole := NewAccumulator(len(classes), ms, policy)
		shards := []*Accumulator{NewAccumulator(len(classes), ms, policy), NewAccumulator(len(classes), ms, policy)}
		var images [][]Counts
		for i := 0; i < 30; i++ {
			n := 50
			pred, truth := make([]int32, n), make([]int32, n)
			for j := range pred {
				pred[j], truth[j] = int32(rng.Intn(3)), int32(rng.Intn(3)) // class 3 is always empty
			}
			c, _ := CountLabels(pred, truth, classes)
			images = append(images, c)
			whole.Add(c)
			shards[i%2].Add(c)
		}
		if err := shards[0].Merge(shards[1]); err != nil {
			t.Fatal(err)
		}
		for m := range ms {
			for _, r := range Reductions {
				a, b := whole.Reduce(m, r), shards[0].Reduce(m, r)
				if !close(a, b) {
					t.Errorf("%v %s %v: whole %v, merged %v", policy, ms[m].Name, r, a, b)
				}
			}
		}
		// Direct image-wise Dice of class 1, and the empty class 3.
		var sum float64
		for _, c := range images {
			v, _ := Dice(c[0])
			sum += v
		}
		if got := whole.PerClass(0, ImageWise); !close(got[0], sum/30) {
			t.Errorf("imagewise dice %v, want %v", got[0], sum/30)
		}
		want3 := map[EmptyPolicy]float64{EmptyOne: 1, EmptyNaN: math.NaN(), EmptySkip: math.NaN()}[policy]
		if got := whole.PerClass(0, ImageWise)[2]; !close(got, want3) {
			t.Errorf("%v: empty class gives %v, want %v", policy, got, want3)
		}
		if policy == EmptyNaN && whole.NaNCount(0, 2) != 30 {
			t.Errorf("NaN count %d, want 30", whole.NaNCount(0, 2))
		}
		// Micro Dice pools all classes.
		var tot Counts
		for _, c := range whole.Pooled {
			tot = tot.Add(c)
		}
		if v, _ := Dice(tot); !close(whole.Reduce(0, Micro), v) {
			t.Errorf("micro dice %v, want %v", whole.Reduce(0, Micro), v)
		}
		// Weighted by support: class 3 has none.
		p := whole.PerClass(0, Weighted)
		w1, w2 := float64(whole.Pooled[0].TP+whole.Pooled[0].FN), float64(whole.Pooled[1].TP+whole.Pooled[1].FN)
		if want := (w1*p[0] + w2*p[1]) / (w1 + w2); !close(whole.Reduce(0, Weighted), want) {
			t.Errorf("weighted dice %v, want %v", whole.Reduce(0, Weighted), want)
		}
	}
	a := NewAccumulator(2, ms, EmptyOne)
	if err := a.Merge(NewAccumulator(3, ms, EmptyOne)); err == nil {
		t.Error("merge of different class counts accepted")
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"nope", "fbeta:beta=-1", "fbeta:beta=x"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	if _, err := ParseEmptyPolicy("sometimes"); err == nil {
		t.Error("bad policy accepted")
	}
	if r, err := ParseReduction("ImageWise"); err != nil || r != ImageWise {
		t.Error("ParseReduction")
	}
}

func TestThreshold(t *testing.T) {
	got := Threshold([]float64{0.2, 0.5, 0.9, math.NaN()}, 0.5)
	if got[0] != 0 || got[1] != 1 || got[2] != 1 || got[3] != 0 {
		t.Errorf("Threshold = %v", got)
	}
}
