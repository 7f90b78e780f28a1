package surface

import (
	"math"
	"testing"
)

// These cases are written from the behaviour MONAI documents for
// HausdorffDistanceMetric (distance_metric, percentile, directed) and
// SurfaceDistanceMetric (symmetric), with values worked out by hand.

// points returns a mask of the given shape true at the given row-major
// indices.
func points(n int, idx ...int) []bool {
	m := make([]bool, n)
	for _, i := range idx {
		m[i] = true
	}
	return m
}

// TestDistanceMetrics checks one voxel against another 3 rows and 4
// columns away: Euclidean 5, taxicab 7, chessboard 4 (spacing ignored by
// the last two, as MONAI does).
func TestDistanceMetrics(t *testing.T) {
	shape := []int{5, 6}
	a, b := points(30, 0), points(30, 3*6+4)
	for m, want := range map[DistanceMetric]float64{Euclidean: 5, Taxicab: 7, Chessboard: 4} {
		r, err := Compare(a, b, shape, nil, Options{Metric: m})
		if err != nil {
			t.Fatal(err)
		}
		if r.Hausdorff != want || r.HausdorffPercentile != want || r.ASSD != want || r.DirectedHausdorff != want {
			t.Errorf("%v: %+v, want every distance %v", m, r, want)
		}
	}
	if r, _ := Compare(a, b, shape, []float64{2, 1}, Options{Metric: Taxicab}); r.Hausdorff != 7 {
		t.Errorf("taxicab with spacing (2, 1) = %v, want 7 (spacing ignored)", r.Hausdorff)
	}
	if r, _ := Compare(a, b, shape, []float64{2, 1}, Options{}); math.Abs(r.Hausdorff-math.Sqrt(36+16)) > 1e-12 {
		t.Errorf("euclidean with spacing (2, 1) = %v, want √52", r.Hausdorff)
	}
}

// TestHausdorffPercentileNoTies pins the interpolation rule on distances
// without ties: in a 1×30 image the truth is pixel 0 and the prediction
// pixels 3, 5, 8, 13 and 21, so the directed distances are {3, 5, 8, 13,
// 21} one way and {3} the other. numpy's linear rule (MONAI) gives the
// 95th percentile 13 + 0.8·8 = 19.4 (lower, higher, nearest and midpoint
// give 13, 21, 21 and 17).
func TestHausdorffPercentileNoTies(t *testing.T) {
	shape := []int{1, 30}
	truth, pred := points(30, 0), points(30, 3, 5, 8, 13, 21)
	for _, c := range []struct{ p, want float64 }{{95, 19.4}, {50, 8}, {60, 10}, {10, 3.8}, {100, 21}, {0, 3}} {
		r, err := Compare(pred, truth, shape, nil, Options{Percentile: c.p})
		if c.p == 0 {
			ab, ba, _ := Distances(pred, truth, shape, nil, 1)
			r.HausdorffPercentile = HausdorffPercentile(ab, ba, 0)
		}
		if err != nil || math.Abs(r.HausdorffPercentile-c.want) > 1e-12 {
			t.Errorf("HD%v = %v (%v), want %v", c.p, r.HausdorffPercentile, err, c.want)
		}
	}
	r, _ := Compare(pred, truth, shape, nil, Options{})
	if r.DirectedPercentile != 19.4 || r.DirectedHausdorff != 21 || r.SurfaceDistance != 10 || r.ASSD != 53.0/6 {
		t.Errorf("directed: %+v, want HD95 19.4, HD 21, surface distance 10, ASSD 53/6", r)
	}
	// The other direction: from the truth (one pixel) to the prediction.
	r, _ = Compare(truth, pred, shape, nil, Options{})
	if r.DirectedHausdorff != 3 || r.DirectedPercentile != 3 || r.SurfaceDistance != 3 {
		t.Errorf("directed from the truth: %+v, want 3", r)
	}
}

// TestEmptyConventions checks MONAI's NaN for two empty masks (EmptyNaN)
// against segloss's default 0, and +Inf when exactly one is empty, in
// either direction.
func TestEmptyConventions(t *testing.T) {
	shape := []int{4, 4}
	empty, one := points(16), points(16, 5)
	r, _ := Compare(empty, empty, shape, nil, Options{})
	if r.Hausdorff != 0 || r.ASSD != 0 || r.DirectedHausdorff != 0 || !math.IsNaN(r.SurfaceDice) {
		t.Errorf("both empty, default: %+v", r)
	}
	r, _ = Compare(empty, empty, shape, nil, Options{EmptyNaN: true})
	for _, v := range []float64{r.Hausdorff, r.HausdorffPercentile, r.ASSD, r.DirectedHausdorff, r.DirectedPercentile, r.SurfaceDistance, r.SurfaceDice} {
		if !math.IsNaN(v) {
			t.Errorf("both empty, EmptyNaN: %+v, want NaN everywhere", r)
			break
		}
	}
	for _, pair := range [][2][]bool{{empty, one}, {one, empty}} {
		r, _ = Compare(pair[0], pair[1], shape, nil, Options{EmptyNaN: true})
		for _, v := range []float64{r.Hausdorff, r.HausdorffPercentile, r.ASSD, r.DirectedHausdorff, r.DirectedPercentile, r.SurfaceDistance} {
			if !math.IsInf(v, 1) {
				t.Errorf("one empty: %+v, want +Inf distances", r)
				break
			}
		}
		if r.SurfaceDice != 0 {
			t.Errorf("one empty: surface Dice %v, want 0", r.SurfaceDice)
		}
	}
}

// TestBoundaryIoU checks a 4×4 square against the same square shifted by
// one column in a 6×6 image with width 1: each band is the 12-pixel ring,
// they share 6 pixels, so the boundary IoU is 6/18.
func TestBoundaryIoU(t *testing.T) {
	sq := func(c0 int) []bool {
		m := make([]bool, 36)
		for y := 1; y <= 4; y++ {
			for x := c0; x < c0+4; x++ {
				m[y*6+x] = true
			}
		}
		return m
	}
	got, err := BoundaryIoU(sq(2), sq(1), []int{6, 6}, 1)
	if err != nil || math.Abs(got-1.0/3) > 1e-12 {
		t.Errorf("BoundaryIoU = %v, %v, want 1/3", got, err)
	}
	if got, _ := BoundaryIoU(sq(1), sq(1), []int{6, 6}, 0); got != 1 {
		t.Errorf("BoundaryIoU of equal masks = %v, want 1", got)
	}
	// Width 2 covers the whole square: the boundary IoU is the IoU, 12/20.
	if got, _ := BoundaryIoU(sq(2), sq(1), []int{6, 6}, 2); math.Abs(got-12.0/20) > 1e-12 {
		t.Errorf("BoundaryIoU width 2 = %v, want 0.6", got)
	}
	if got, _ := BoundaryIoU(make([]bool, 36), make([]bool, 36), []int{6, 6}, 1); !math.IsNaN(got) {
		t.Errorf("BoundaryIoU of empty masks = %v, want NaN", got)
	}
	if got, _ := BoundaryIoU(sq(1), make([]bool, 36), []int{6, 6}, 1); got != 0 {
		t.Errorf("BoundaryIoU against an empty mask = %v, want 0", got)
	}
}
