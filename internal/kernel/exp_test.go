package kernel

import (
	"math"
	"os"
	"testing"
)

func TestExpVec(t *testing.T) {
	forEachSet(t, testExpVec)
}

func testExpVec(t *testing.T) {
	src := make([]float32, 0, 1<<20)
	for _, x := range dense(-110, 0, 1<<20-3, -1e30, -3.4e38, 0) {
		src = append(src, float32(x))
	}
	dst := make([]float32, len(src))
	for _, horner := range []bool{false, true} { // both evaluation schemes
		expNegVec(dst, src, horner)
		worst := 0.0
		for i, x := range src {
			w := math.Exp(float64(x))
			if w < 1.2e-38 {
				if dst[i] > 1.2e-38 || dst[i] < 0 {
					t.Fatalf("exp(%g) = %g (horner %v)", x, dst[i], horner)
				}
				continue
			}
			worst = math.Max(worst, relErr(float64(dst[i]), w))
		}
		t.Logf("exp max rel err %.3g (horner %v)", worst, horner)
		if worst > 0x1p-22 {
			t.Errorf("exp max rel err %g (horner %v)", worst, horner)
		}
	}
}

func BenchmarkExpVec(b *testing.B) {
	forEachSetB(b, benchExpVec)
}

func benchExpVec(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200) * -0.1
	}
	d := make([]float32, 4096)
	b.SetBytes(4 * 4096)
	for i := 0; i < b.N; i++ {
		expNegVec(d, x, false)
	}
}

// TestExpReduce checks Exp32's reduction: m rounds x·32/ln2 (in float32)
// to the nearest integer, ties to even, x - m·exp32L1 is exact, and the
// table holds 2^(j/32) rounded to float32.
func TestExpReduce(t *testing.T) {
	for j, v := range exp2Tab32 {
		if w := float32(math.Exp2(float64(j) / 32)); v != w {
			t.Errorf("exp2Tab32[%d] = %v, want %v", j, v, w)
		}
	}
	if float64(exp32L1)+exp32L2-math.Ln2/32 > 1e-15 || float32(exp32L1) != exp32L1 {
		t.Errorf("exp32L1 + exp32L2 != ln2/32")
	}
	xs := dense(expLo32, 88, 1<<21, 0, float64(math.Copysign(0, -1)), 0.5*math.Ln2/32, -0.5*math.Ln2/32, 1.5*math.Ln2/32)
	for _, x := range xs {
		x32 := float32(x)
		for _, y := range []float32{x32, math.Nextafter32(x32, 100), math.Nextafter32(x32, -100)} {
			y = min(max(y, expLo32), 88)
			m, r := expReduce32(y)
			if want := math.RoundToEven(float64(float32(y * exp32K))); float64(m) != want {
				t.Fatalf("expReduce32(%v): m = %d, want %v", y, m, want)
			}
			if d := float64(y) - float64(m)*exp32L1; float64(float32(d)) != d {
				t.Fatalf("expReduce32(%v): x - m L1 = %v is not exact in float32", y, d)
			}
			if math.Abs(float64(r)) > math.Ln2/64*1.001 {
				t.Fatalf("expReduce32(%v): |r| = %v > ln2/64", y, r)
			}
		}
	}
	if v := Exp32(float32(math.NaN())); v == v {
		t.Fatalf("Exp32(NaN) = %v", v)
	}
	for _, x := range dense(-746, 710, 1<<20) { // Exp64 floors by truncation
		n := math.Floor(x*log2e + 0.5)
		y := x*log2e + 0.5
		m := float64(int64(y))
		if m > y {
			m--
		}
		if n != m {
			t.Fatalf("floor(%v): %v, want %v", y, m, n)
		}
	}
}

// TestExp32Exhaustive checks Exp32's relative error against math.Exp on
// every 127th float32 in [expLo32, 88] (1/127 of the 2.2e9 arguments), or on
// all of them with SEGLOSS_EXHAUSTIVE=1 (a few minutes): the bound in
// Exp32's doc comment.
func TestExp32Exhaustive(t *testing.T) {
	step := uint32(127)
	if os.Getenv("SEGLOSS_EXHAUSTIVE") == "1" {
		step = 1
	} else if testing.Short() {
		step = 997
	}
	worst, at := 0.0, float32(0)
	check := func(lo, hi uint32) { // the bit patterns [lo, hi]
		for b := uint64(lo); b <= uint64(hi); b += uint64(step) {
			x := math.Float32frombits(uint32(b))
			want := math.Exp(float64(x))
			if want < 0x1p-126 { // a subnormal result: absolute error, checked below
				continue
			}
			if e := math.Abs(float64(Exp32(x))-want) / want; e > worst {
				worst, at = e, x
			}
		}
	}
	check(0, math.Float32bits(88)) // [0, 88]
	check(1<<31, 1<<31|expLoBits)  // [expLo32, -0]
	t.Logf("Exp32: worst relative error %.4g = %.3f × 2^-24 at %v (step %d)", worst, worst/0x1p-24, at, step)
	if worst >= 0x1p-23 {
		t.Errorf("Exp32: relative error %g at %v, bound 2^-23", worst, at)
	}
}

// BenchmarkExpBlockGo times the plain-Go block exponential (expNegAbs32),
// one per element, over the 2 Mi elements of the standard workloads
// ([8,1,512,512], or [8,4,256,256] logits) in parallel chunks: the floor
// of every plain-Go loss from logits, which needs at least one
// exponential per element (compare its ms/op with PyTorch's whole loss).
func BenchmarkExpBlockGo(b *testing.B) {
	x := make([]float32, 8*512*512)
	for i := range x {
		x[i] = float32(i%200) * -0.1
	}
	j := &expJob{x: x, e: make([]float32, len(x))}
	b.SetBytes(4 * int64(len(x)))
	for i := 0; i < b.N; i++ {
		Run(j, len(x), Chunk)
	}
}

// expJob is BenchmarkExpBlockGo's parallel job.
type expJob struct{ x, e []float32 }

func (j *expJob) Do(_, lo, hi int) { expNegAbs32(j.e[lo:hi], j.x[lo:hi]) }
