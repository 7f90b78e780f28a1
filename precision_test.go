package segloss_test

import (
	"math"
	"testing"

	"github.com/segloss/segloss"
)

// TestFloat64AccumulationKeepsSmallObjects evaluates Dice on a float32
// volume of 4M voxels with a ten-voxel object: float32 running sums would
// lose about three digits here; the float64 accumulation must match the
// closed form to 1e-9.
func TestFloat64AccumulationKeepsSmallObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 32 MB")
	}
	const d, object = 160, 10 // 160³ = 4,096,000 voxels
	size := d * d * d
	x := make([]float32, size)
	g := make([]float32, size)
	const bg, fg = float32(1e-4), float32(0.9)
	for i := range x {
		x[i] = bg
	}
	for i := 0; i < object; i++ {
		x[size/2+i], g[size/2+i] = fg, 1
	}
	l, err := segloss.Parse("dice:smooth=0")
	if err != nil {
		t.Fatal(err)
	}
	got, err := segloss.Eval(l, nil, segloss.Batch[float32]{Shape: []int{1, 1, d, d, d}, Input: x, Target: g})
	if err != nil {
		t.Fatal(err)
	}
	tp := object * float64(fg)
	sp := float64(size-object)*float64(bg) + tp
	want := 1 - 2*tp/(sp+object)
	if math.Abs(got-want) > 1e-9*want {
		t.Errorf("dice = %.15g, closed form %.15g", got, want)
	}
}
