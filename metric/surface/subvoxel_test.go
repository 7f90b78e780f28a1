package surface

import (
	"math"
	"testing"
)

// TestSurfaceDiceSubvoxel checks values worked out by hand on a 1×3 image.
// A 1×2 bar (pixels 0, 1) has corner surfels of lengths diag, 1, diag on
// each side (diag = √2/2): perimeter 4·diag + 2. Against pixel 2 alone
// (four corners of length diag), the truth's corners lie 2, 1, 0 from the
// prediction's along each side, the prediction's 0 or 1 from the truth's:
// at τ = 1 all but the two far corners count, (2 + 6·diag)/(2 + 8·diag); at
// τ = 0 only the shared corners, 4·diag/(2 + 8·diag).
func TestSurfaceDiceSubvoxel(t *testing.T) {
	shape := []int{1, 3}
	bar, dot := []bool{true, true, false}, []bool{false, false, true}
	diag := math.Sqrt2 / 2
	for _, c := range []struct {
		pred, truth []bool
		spacing     []float64
		tol, want   float64
	}{
		{dot, bar, nil, 1, (2 + 6*diag) / (2 + 8*diag)},
		{dot, bar, nil, 0, 4 * diag / (2 + 8*diag)},
		{bar, dot, nil, 1, (2 + 6*diag) / (2 + 8*diag)},
		{bar, bar, nil, 0, 1},
		{[]bool{true, false, false}, dot, nil, 1, 0.5},
		{[]bool{true, false, false}, dot, nil, 2, 1},
		{[]bool{true, false, false}, dot, nil, 0.5, 0},
		// Spacing 2 along x: the corners are 2 and 4 apart, the lengths
		// all √(1+4)/2, so the fractions stay.
		{[]bool{true, false, false}, dot, []float64{1, 2}, 1, 0},
		{[]bool{true, false, false}, dot, []float64{1, 2}, 2, 0.5},
	} {
		got, err := SurfaceDiceSubvoxel(c.pred, c.truth, shape, c.spacing, c.tol)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("SurfaceDiceSubvoxel(%v, %v, spacing %v, τ %v) = %v, %v; want %v", c.pred, c.truth, c.spacing, c.tol, got, err, c.want)
		}
	}
	empty := make([]bool, 3)
	if got, _ := SurfaceDiceSubvoxel(empty, empty, shape, nil, 1); !math.IsNaN(got) {
		t.Errorf("both empty: %v, want NaN", got)
	}
	if got, _ := SurfaceDiceSubvoxel(bar, empty, shape, nil, 1); got != 0 {
		t.Errorf("one empty: %v, want 0", got)
	}
	if _, err := SurfaceDiceSubvoxel(make([]bool, 8), make([]bool, 8), []int{2, 2, 2}, nil, 1); err == nil {
		t.Error("3-D accepted")
	}
	// A single pixel's surfels form the marching-squares diamond, perimeter
	// 4·diag; every pixel of a larger square adds straight edges.
	_, l := surfels([]bool{true}, []int{1, 1}, 1, 1)
	var per float64
	for _, v := range l {
		per += v
	}
	if math.Abs(per-4*diag) > 1e-12 {
		t.Errorf("perimeter of one pixel = %v, want 2√2", per)
	}
}
