package kernel

import (
	"math"
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
	expNegVec(dst, src)
	worst := 0.0
	for i, x := range src {
		w := math.Exp(float64(x))
		if w < 1.2e-38 {
			if dst[i] > 1.2e-38 || dst[i] < 0 {
				t.Fatalf("exp(%g) = %g", x, dst[i])
			}
			continue
		}
		worst = math.Max(worst, relErr(float64(dst[i]), w))
	}
	t.Logf("exp max rel err %.3g", worst)
	if worst > 0x1p-22 {
		t.Errorf("exp max rel err %g", worst)
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
		expNegVec(d, x)
	}
}

// TestExpFloor checks that Exp32 and Exp64, which floor by truncation,
// return exactly what the same formulas with math.Floor return.
func TestExpFloor(t *testing.T) {
	exp32 := func(x float32) float32 { // Exp32 with math.Floor
		if x < -87.33654 {
			return 0
		}
		if x > 88 {
			x = 88
		}
		n := float32(math.Floor(float64(x*log2e + 0.5)))
		r := x - n*ln2Hi32 - n*ln2Lo32
		p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
		return p * math.Float32frombits(uint32(int32(n)+127)<<23)
	}
	xs := dense(-90, 90, 1<<21, 0, float64(math.Copysign(0, -1)), 0.5/log2e, -0.5/log2e, 1.5/log2e, -1.5/log2e)
	for _, x := range xs {
		x32 := float32(x)
		if got, want := Exp32(x32), exp32(x32); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("Exp32(%v) = %v, want %v", x32, got, want)
		}
		for _, y := range []float32{x32, math.Nextafter32(x32, 100), math.Nextafter32(x32, -100)} {
			if got, want := Exp32(y), exp32(y); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("Exp32(%v) = %v, want %v", y, got, want)
			}
		}
	}
	if v := Exp32(float32(math.NaN())); v == v {
		t.Fatalf("Exp32(NaN) = %v", v)
	}
	for _, x := range dense(-746, 710, 1<<20) {
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
