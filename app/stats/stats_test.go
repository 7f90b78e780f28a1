package stats

import (
	"encoding/json"
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestDescribe(t *testing.T) {
	s := Describe([]float64{4, 1, math.NaN(), 3, math.Inf(1), 2})
	if s.N != 4 || s.NaN != 1 || s.Inf != 1 || s.Mean != 2.5 || !near(s.SD, math.Sqrt(5.0/3), 1e-15) || s.Median != 3 || !math.IsInf(s.MeanAll, 1) {
		t.Errorf("Describe = %+v", s)
	}
	if s := Describe([]float64{math.Inf(1), math.Inf(-1)}); !math.IsNaN(s.MeanAll) || !math.IsNaN(s.Mean) || s.Inf != 2 {
		t.Errorf("both infinities: %+v", s)
	}
	if s := Describe([]float64{7}); s.Mean != 7 || s.SD != 0 || s.Median != 7 || s.MeanAll != 7 {
		t.Errorf("one value: %+v", s)
	}
	if s := Describe(nil); !math.IsNaN(s.Mean) || !math.IsNaN(s.SD) || !math.IsNaN(s.Median) || s.N != 0 {
		t.Errorf("empty: %+v", s)
	}
	if m := Mean([]float64{1, math.NaN(), 2}); m != 1.5 {
		t.Errorf("Mean = %v", m)
	}
	if m := Mean(nil); !math.IsNaN(m) {
		t.Errorf("Mean(nil) = %v", m)
	}
}

// TestSplitMix64 checks the generator against the reference outputs of
// splitmix64.c for seed 1234567 (Rosetta Code, "Pseudo-random
// numbers/Splitmix64").
func TestSplitMix64(t *testing.T) {
	r := splitMix64{state: 1234567}
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821} {
		if got := r.next(); got != want {
			t.Errorf("output %d = %d, want %d", i, got, want)
		}
	}
}

// TestBootstrapByHand follows four resamples of three one-value cases
// (1, 2, 4) with seed 1234567. The draws intn(3) are floor(3u/2^64) of the
// reference outputs above: 6457827717110365317 → 1, (intn(1) of the
// case's value: 0), 9817491932198370423 → 1, 0, 16408922859458223821 → 2,
// 0, ...; the four resampled means are 8/3 (cases 1,1,2), 2 (1,1,1),
// 8/3 (1,1,2) and 4/3 (1,0,0). Sorted: 4/3, 2, 8/3, 8/3; the 2.5 %
// quantile is 4/3 + 0.075·(2 − 4/3) = 1.38333…, the 97.5 % one 8/3.
func TestBootstrapByHand(t *testing.T) {
	iv := Bootstrap{Resamples: 4, Seed: 1234567}.CI([][]float64{{1}, {2}, {4}})
	if !near(iv.Mean, 7.0/3, 1e-15) || !near(iv.Low, 4.0/3+0.075*(2-4.0/3), 1e-15) || !near(iv.High, 8.0/3, 1e-15) || iv.Cases != 3 {
		t.Errorf("CI = %+v, want mean 2.3333, low 1.38333, high 2.66667", iv)
	}
}

// TestBootstrapFixed pins the 95 % interval of a fixed sample (ten cases ×
// three seeds, and its first seed alone) with the default 2000 resamples;
// the expected numbers come from an independent Python implementation of
// the documented algorithm (SplitMix64, multiply-shift draws, R type-7
// quantiles).
func TestBootstrapFixed(t *testing.T) {
	x := [][]float64{{0.91, 0.88, 0.93}, {0.75, 0.80, 0.78}, {0.62, 0.70, 0.66}, {0.95, 0.94, 0.96}, {0.83, 0.79, 0.85},
		{0.55, 0.60, 0.58}, {0.88, 0.90, 0.87}, {0.71, 0.69, 0.74}, {0.97, 0.96, 0.98}, {0.80, 0.84, 0.82}}
	iv := Bootstrap{Seed: 1}.CI(x)
	if !near(iv.Mean, 0.808, 1e-12) || !near(iv.Low, 0.7319916666666666, 1e-12) || !near(iv.High, 0.8816666666666666, 1e-12) {
		t.Errorf("cases × seeds: %+v, want 0.808 [0.7319917, 0.8816667]", iv)
	}
	one := make([][]float64, len(x))
	for i := range x {
		one[i] = x[i][:1]
	}
	iv = Bootstrap{Seed: 42}.CI(one)
	if !near(iv.Mean, 0.797, 1e-12) || !near(iv.Low, 0.708, 1e-12) || !near(iv.High, 0.875, 1e-12) {
		t.Errorf("cases: %+v, want 0.797 [0.708, 0.875]", iv)
	}
	// Same seed, same interval; missing values are left out.
	again := Bootstrap{Seed: 1}.CI(append(append([][]float64(nil), x...), []float64{math.NaN()}))
	if first := (Bootstrap{Seed: 1}).CI(x); again.Low != first.Low || again.Cases != 10 {
		t.Errorf("a case with no value changed the interval: %+v", again)
	}
	if iv := (Bootstrap{}).CI(nil); !math.IsNaN(iv.Mean) || !math.IsNaN(iv.Low) {
		t.Errorf("empty: %+v", iv)
	}
	if iv := (Bootstrap{}).CI([][]float64{{0.5}}); iv.Low != 0.5 || iv.High != 0.5 {
		t.Errorf("one value: %+v", iv)
	}
}

// TestWilcoxonTextbook checks exact p-values against published tables.
func TestWilcoxonTextbook(t *testing.T) {
	// Hollander & Wolfe (1973), Nonparametric Statistical Methods, Example
	// 3.1 (Hamilton depression scale before and after tranquilizer, n = 9;
	// also the example of R's wilcox.test): T+ = 40, one-sided
	// P(T+ ≥ 40) = 0.020 in their Table A.4 (exactly 10/512), two-sided
	// 20/512 = 0.0390625.
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	r := Wilcoxon(d)
	if r.N != 9 || r.WPlus != 40 || r.Method != "exact" || !near(r.P, 20.0/512, 1e-15) {
		t.Errorf("Hollander-Wolfe 3.1: %+v, want W+ 40, p 0.0390625 exact", r)
	}
	// Siegel (1956), Nonparametric Statistics, Table G: for n = 10 the
	// two-tailed 0.05 critical value is T = 8: P(T ≤ 8) = 25/1024, so the
	// two-sided p is 50/1024 = 0.0488 (< 0.05), and T = 9 gives
	// 66/1024 = 0.0645 (> 0.05).
	d = []float64{-1, 2, -3, -4, 5, 6, 7, 8, 9, 10} // T = W− = 1+3+4 = 8
	if r := Wilcoxon(d); r.WPlus != 47 || !near(r.P, 50.0/1024, 1e-15) {
		t.Errorf("n=10, T=8: %+v, want p 0.048828125", r)
	}
	d = []float64{-1, 2, 3, 4, 5, 6, 7, -8, 9, 10} // T = 9
	if r := Wilcoxon(d); !near(r.P, 66.0/1024, 1e-15) {
		t.Errorf("n=10, T=9: %+v, want p 0.064453125", r)
	}
	// The sign of the differences does not matter.
	for i := range d {
		d[i] = -d[i]
	}
	if r := Wilcoxon(d); !near(r.P, 66.0/1024, 1e-15) {
		t.Errorf("negated: p %v", r.P)
	}
}

// TestWilcoxonNormal checks the normal approximation with ties and a zero
// by hand: |d| = 1,1,2,3,3,3,4,5,6,7,8,9 (the zero dropped) have ranks
// 1.5,1.5,3,5,5,5,7,8,9,10,11,12; the positive ones sum to W+ = 67.
// n = 12: mean 39, variance 12·13·25/24 − ((2³−2)+(3³−3))/48 = 161.875,
// z = (67 − 39 − 0.5)/√161.875 = 2.161438, p = erfc(z/√2) = 0.0306615.
func TestWilcoxonNormal(t *testing.T) {
	r := Wilcoxon([]float64{1, 1, -2, 3, 3, 3, 4, -5, 6, 7, 8, 9, 0, math.NaN()})
	if r.N != 12 || r.Zeros != 1 || r.WPlus != 67 || r.Method != "normal" || !near(r.P, 0.030661513468901412, 1e-12) {
		t.Errorf("%+v, want n 12, W+ 67, normal p 0.0306615", r)
	}
	if r := Wilcoxon([]float64{0, 0}); r.P != 1 || r.N != 0 {
		t.Errorf("all zero: %+v", r)
	}
	// Large untied samples use the normal approximation too.
	d := make([]float64, 60)
	for i := range d {
		d[i] = float64(i + 1)
	}
	if r := Wilcoxon(d); r.Method != "normal" || r.P > 1e-10 {
		t.Errorf("n=60 all positive: %+v", r)
	}
}

// TestHolm checks the example of Holm's method on Wikipedia
// ("Holm–Bonferroni method"): p = 0.01, 0.04, 0.03, 0.005 for four
// hypotheses. Sorted 0.005, 0.01, 0.03, 0.04 are multiplied by 4, 3, 2, 1
// (0.02, 0.03, 0.06, 0.04) and made monotone (0.02, 0.03, 0.06, 0.06): at
// α = 0.05, H4 and H1 are rejected, H2 and H3 are not.
func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005, math.NaN()})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i, w := range want {
		if !near(got[i], w, 1e-15) {
			t.Errorf("adjusted %d = %v, want %v", i, got[i], w)
		}
	}
	if !math.IsNaN(got[4]) {
		t.Errorf("NaN p adjusted to %v", got[4])
	}
	if got := Holm([]float64{0.5, 0.9}); got[0] != 1 || got[1] != 1 {
		t.Errorf("capped at 1: %v", got)
	}
}

func TestNumJSON(t *testing.T) {
	in := []Num{1.5, Num(math.NaN()), Num(math.Inf(1)), Num(math.Inf(-1)), 0.1}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `[1.5,"NaN","+Inf","-Inf",0.1]` {
		t.Errorf("marshal: %s", raw)
	}
	var back []Num
	if err := json.Unmarshal([]byte(`[1.5,"NaN","+Inf","-Inf",0.1,null]`), &back); err != nil {
		t.Fatal(err)
	}
	if back[0] != 1.5 || !math.IsNaN(float64(back[1])) || !math.IsInf(float64(back[2]), 1) || !math.IsInf(float64(back[3]), -1) || back[4] != 0.1 || !math.IsNaN(float64(back[5])) {
		t.Errorf("unmarshal: %v", back)
	}
	if err := json.Unmarshal([]byte(`"soon"`), &back[0]); err == nil {
		t.Error(`"soon" read as a number`)
	}
}
