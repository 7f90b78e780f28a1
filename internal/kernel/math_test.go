package kernel

import (
	"math"
	"testing"
)

// relErr is |got-want|/|want| (|got-want| when want is 0).
func relErr(got, want float64) float64 {
	d := math.Abs(got - want)
	if want != 0 {
		d /= math.Abs(want)
	}
	return d
}

// dense returns n points evenly spread over [lo, hi] plus edge cases.
func dense(lo, hi float64, n int, extra ...float64) []float64 {
	out := make([]float64, 0, n+len(extra))
	for i := 0; i < n; i++ {
		out = append(out, lo+(hi-lo)*float64(i)/float64(n-1))
	}
	return append(out, extra...)
}

func TestExp32(t *testing.T) {
	worst := 0.0
	negZero := math.Copysign(0, -1) // the literal -0.0 is +0 in Go
	if !math.Signbit(float64(float32(negZero))) {
		t.Fatal("negZero is not a negative zero")
	}
	if v := Exp32(float32(negZero)); v != 1 {
		t.Errorf("Exp32(-0) = %g, want 1", v)
	}
	for _, x := range dense(-87.3, 88, 2_000_001, 0, negZero, 1e-30, -1e-30, 0.5, -0.5, 0.34657359, -0.34657359) {
		x32 := float32(x)
		e := relErr(float64(Exp32(x32)), math.Exp(float64(x32)))
		worst = math.Max(worst, e)
	}
	if worst >= 0x1p-23 {
		t.Errorf("Exp32 max rel err %g >= 2^-23", worst)
	}
	t.Logf("Exp32 max rel err %.3g", worst)
	for _, x := range []float32{-1e30, -3.4e38, -88, -100, -1000} {
		if v := Exp32(x); v < 0 || v > 1.2e-38 || math.IsNaN(float64(v)) {
			t.Errorf("Exp32(%g) = %g", x, v)
		}
	}
	for _, x := range []float32{89, 1000, 3.4e38} {
		if v := Exp32(x); math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) || v < 1e38 {
			t.Errorf("Exp32(%g) = %g: must saturate, not overflow", x, v)
		}
	}
}

func TestLog32(t *testing.T) {
	worst := 0.0
	check := func(x float32) {
		want := math.Log(float64(x))
		got := float64(Log32(x))
		e := math.Abs(got-want) / math.Max(1, math.Abs(want))
		worst = math.Max(worst, e)
	}
	for _, x := range dense(1e-7, 1, 1_000_001, 1, 0.5, 0.70710678, 1.41421356) {
		check(float32(x))
	}
	for _, x := range dense(1, 1e6, 500_001) {
		check(float32(x))
	}
	for _, x := range []float32{1e-45, 1e-40, 1.1754944e-38, 3.4e38, 1e-20} {
		check(x)
	}
	if worst > 0x1p-22 {
		t.Errorf("Log32 max err %g > 2^-22", worst)
	}
	t.Logf("Log32 max err %.3g", worst)
	if !math.IsInf(float64(Log32(0)), -1) {
		t.Errorf("Log32(0) = %g", Log32(0))
	}
}

func TestLog1pSmall32(t *testing.T) {
	worst := 0.0
	for _, u := range dense(0, 1, 1_000_001, 1e-38, 1e-20, 1e-10, 1e-7, 3e-8) {
		u32 := float32(u)
		worst = math.Max(worst, relErr(float64(Log1pSmall32(u32)), math.Log1p(float64(u32))))
	}
	if worst > 0x1p-22 {
		t.Errorf("Log1pSmall32 max rel err %g > 2^-22", worst)
	}
	t.Logf("Log1pSmall32 max rel err %.3g", worst)
}

func TestSigmoidSoftplus32(t *testing.T) {
	ws, wp := 0.0, 0.0
	xs := dense(-100, 100, 2_000_001, 0, 1e-30, -1e-30, 1e4, -1e4, 3.4e38, -3.4e38, 87.5, -87.5, 88.5, -88.5)
	for _, x := range xs {
		x32 := float32(x)
		xf := float64(x32)
		sw := 1 / (1 + math.Exp(-xf))
		pw := math.Max(xf, 0) + math.Log1p(math.Exp(-math.Abs(xf)))
		s, p := float64(Sigmoid32(x32)), float64(Softplus32(x32))
		if math.IsNaN(s) || math.IsNaN(p) || math.IsInf(p, 0) {
			t.Fatalf("x=%g: sigmoid %g softplus %g", xf, s, p)
		}
		if sw > 1e-37 {
			ws = math.Max(ws, relErr(s, sw))
		}
		if pw > 1e-37 {
			wp = math.Max(wp, relErr(p, pw))
		}
	}
	if ws > 0x1p-21 || wp > 0x1p-20 {
		t.Errorf("Sigmoid32 max rel err %g (bound 2^-21), Softplus32 %g (bound 2^-20)", ws, wp)
	}
	t.Logf("Sigmoid32 %.3g Softplus32 %.3g", ws, wp)
}

func TestFloat64Approximations(t *testing.T) {
	we, wl, wl1, ws, wp := 0.0, 0.0, 0.0, 0.0, 0.0
	for _, x := range dense(-708, 709, 1_000_001, 0, 1e-300, -1e-300, 0.34657359028, -0.34657359028) {
		we = math.Max(we, relErr(Exp64(x), math.Exp(x)))
	}
	for _, x := range dense(1e-12, 4, 1_000_001, 1e-300, 1e300, 1, 0.5, 2) {
		want := math.Log(x)
		wl = math.Max(wl, math.Abs(Log64(x)-want)/math.Max(1, math.Abs(want)))
	}
	for _, u := range dense(-0.9, 1, 1_000_001, 1e-300, 1e-17, 1e-10, -1e-10) {
		wl1 = math.Max(wl1, relErr(Log1p64(u), math.Log1p(u)))
	}
	for _, x := range dense(-700, 700, 1_000_001, 1e4, -1e4, 1e300, -1e300, 0) {
		sw := 1 / (1 + math.Exp(-x))
		pw := math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
		if sw > 1e-300 {
			ws = math.Max(ws, relErr(Sigmoid64(x), sw))
		}
		if pw > 1e-300 {
			wp = math.Max(wp, relErr(Softplus64(x), pw))
		}
	}
	t.Logf("Exp64 %.3g Log64 %.3g Log1p64 %.3g Sigmoid64 %.3g Softplus64 %.3g", we, wl, wl1, ws, wp)
	if we > 0x1p-50 || wl > 0x1p-52 || wl1 > 0x1p-50 || ws > 0x1p-49 || wp > 0x1p-49 {
		t.Errorf("float64 bounds exceeded: Exp64 %g Log64 %g Log1p64 %g Sigmoid64 %g Softplus64 %g", we, wl, wl1, ws, wp)
	}
	if Exp64(-800) != 0 || !math.IsInf(Exp64(800), 1) || math.IsNaN(Softplus64(1e308)) {
		t.Errorf("edge cases")
	}
}

func BenchmarkExp32(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200) * -0.1
	}
	b.SetBytes(4 * 4096)
	var s float32
	for i := 0; i < b.N; i++ {
		for _, v := range x {
			s += Exp32(v)
		}
	}
	_ = s
}
