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
