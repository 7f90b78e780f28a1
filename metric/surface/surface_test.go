package surface

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// coords returns the multi-index of voxel i in shape.
func coords(i int, shape []int) []int {
	c := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		c[a] = i % shape[a]
		i /= shape[a]
	}
	return c
}

func dist(i, j int, shape []int, spacing []float64) float64 {
	ci, cj := coords(i, shape), coords(j, shape)
	var s float64
	for a := range ci {
		d := float64(ci[a]-cj[a]) * spacing[a]
		s += d * d
	}
	return math.Sqrt(s)
}

// bruteEDT is the O(n²) reference distance transform.
func bruteEDT(feature []bool, shape []int, spacing []float64) []float64 {
	out := make([]float64, len(feature))
	for i := range out {
		out[i] = math.Inf(1)
		for j, f := range feature {
			if f {
				out[i] = math.Min(out[i], dist(i, j, shape, spacing))
			}
		}
	}
	return out
}

// bruteBoundary marks foreground voxels with a background face neighbour,
// treating voxels outside the image as background.
func bruteBoundary(mask []bool, shape []int) []bool {
	out := make([]bool, len(mask))
	for i, fg := range mask {
		if !fg {
			continue
		}
		c := coords(i, shape)
		for a := range shape {
			for _, step := range []int{-1, 1} {
				n := append([]int(nil), c...)
				n[a] += step
				if n[a] < 0 || n[a] >= shape[a] {
					out[i] = true
					continue
				}
				j := 0
				for k := range n {
					j = j*shape[k] + n[k]
				}
				if !mask[j] {
					out[i] = true
				}
			}
		}
	}
	return out
}

// bruteDirected returns, for each surface voxel of a, the distance to the
// nearest surface voxel of b, by trying every pair.
func bruteDirected(a, b []bool, shape []int, spacing []float64) []float64 {
	sa, sb := bruteBoundary(a, shape), bruteBoundary(b, shape)
	out := []float64{}
	for i, f := range sa {
		if !f {
			continue
		}
		m := math.Inf(1)
		for j, g := range sb {
			if g {
				m = math.Min(m, dist(i, j, shape, spacing))
			}
		}
		out = append(out, m)
	}
	return out
}

func randomMask(rng *rand.Rand, n int, p float64) []bool {
	m := make([]bool, n)
	for i := range m {
		m[i] = rng.Float64() < p
	}
	return m
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) || (math.IsNaN(a) && math.IsNaN(b))
}

var geometries = []struct {
	shape   []int
	spacing []float64
}{
	{[]int{17}, []float64{0.7}},
	{[]int{9, 13}, []float64{1, 1}},
	{[]int{11, 6}, []float64{2.5, 0.4}},
	{[]int{5, 7, 6}, []float64{1, 1, 1}},
	{[]int{6, 5, 8}, []float64{3, 1.25, 0.5}},
	{[]int{3, 4, 2, 5}, []float64{1, 2, 1, 0.5}},
	{[]int{40, 1, 3}, []float64{1, 1, 1}},
}

func TestDistanceTransformBrute(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, g := range geometries {
		n := 1
		for _, s := range g.shape {
			n *= s
		}
		for _, p := range []float64{0, 0.02, 0.1, 0.5, 1} {
			for _, workers := range []int{1, 3} {
				f := randomMask(rng, n, p)
				got, err := DistanceTransform(f, g.shape, g.spacing, workers)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteEDT(f, g.shape, g.spacing)
				for i := range got {
					if !near(got[i], want[i]) {
						t.Fatalf("shape %v spacing %v p=%v: voxel %d = %v, want %v", g.shape, g.spacing, p, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestDistancesBrute(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, g := range geometries {
		n := 1
		for _, s := range g.shape {
			n *= s
		}
		for trial := 0; trial < 8; trial++ {
			a, b := randomMask(rng, n, rng.Float64()*0.6), randomMask(rng, n, rng.Float64()*0.6)
			if trial == 0 {
				b = make([]bool, n)
			}
			ab, ba, err := Distances(a, b, g.shape, g.spacing, 2)
			if err != nil {
				t.Fatal(err)
			}
			wab, wba := bruteDirected(a, b, g.shape, g.spacing), bruteDirected(b, a, g.shape, g.spacing)
			if len(ab) != len(wab) || len(ba) != len(wba) {
				t.Fatalf("shape %v: %d/%d surface voxels, want %d/%d", g.shape, len(ab), len(ba), len(wab), len(wba))
			}
			for i := range ab {
				if !near(ab[i], wab[i]) {
					t.Fatalf("shape %v: ab[%d] = %v, want %v", g.shape, i, ab[i], wab[i])
				}
			}
			for i := range ba {
				if !near(ba[i], wba[i]) {
					t.Fatalf("shape %v: ba[%d] = %v, want %v", g.shape, i, ba[i], wba[i])
				}
			}
		}
	}
}

// ball returns a [n, n, n] mask of the voxels within r of centre c.
func ball(n int, c [3]float64, r float64) []bool {
	m := make([]bool, n*n*n)
	for z := 0; z < n; z++ {
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				dz, dy, dx := float64(z)-c[0], float64(y)-c[1], float64(x)-c[2]
				m[(z*n+y)*n+x] = dz*dz+dy*dy+dx*dx <= r*r
			}
		}
	}
	return m
}

// TestSpheres checks that two spheres whose centres are one voxel apart
// along each axis are √3 apart in the Hausdorff distance, and that a
// sphere against itself scores perfectly.
func TestSpheres(t *testing.T) {
	for _, r := range []float64{3, 6, 10} {
		a := ball(32, [3]float64{15, 15, 15}, r)
		b := ball(32, [3]float64{16, 16, 16}, r)
		res, err := Compare(a, b, []int{32, 32, 32}, nil, Options{Percentile: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !near(res.Hausdorff, math.Sqrt(3)) || !near(res.HausdorffPercentile, math.Sqrt(3)) {
			t.Errorf("r=%v: Hausdorff %v, percentile 100 %v, want √3", r, res.Hausdorff, res.HausdorffPercentile)
		}
		self, _ := Compare(a, a, []int{32, 32, 32}, []float64{2, 1, 3}, Options{})
		if self != (Result{SurfaceDice: 1}) {
			t.Errorf("sphere against itself: %+v", self)
		}
	}
}

// TestSquares checks a 10x10 square against the same square shifted 2
// pixels right, derived by hand: the left column of A and the right column
// of B are 2 away from the other surface, so the Hausdorff distance is 2;
// with spacing 0.5 along x it is 1.
func TestSquares(t *testing.T) {
	a, b := make([]bool, 20*20), make([]bool, 20*20)
	for y := 5; y < 15; y++ {
		for x := 5; x < 15; x++ {
			a[y*20+x] = true
			b[y*20+x+2] = true
		}
	}
	for _, tc := range []struct {
		spacing []float64
		hd      float64
	}{{nil, 2}, {[]float64{1, 0.5}, 1}, {[]float64{3, 2}, 4}} {
		res, err := Compare(a, b, []int{20, 20}, tc.spacing, Options{Percentile: 100, Tolerance: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Hausdorff != tc.hd {
			t.Errorf("spacing %v: Hausdorff %v, want %v", tc.spacing, res.Hausdorff, tc.hd)
		}
	}
	// Surface Dice at tolerance 0: only the shared parts of the top and
	// bottom rows (8 voxels each, in both surfaces) coincide: 32 of 72.
	ab, ba, _ := Distances(a, b, []int{20, 20}, nil, 1)
	if got := SurfaceDice(ab, ba, 0); !near(got, 32.0/72) {
		t.Errorf("surface Dice at 0: %v, want %v", got, 32.0/72)
	}
}

func TestEmpty(t *testing.T) {
	empty, full := make([]bool, 25), make([]bool, 25)
	full[12] = true
	shape := []int{5, 5}
	for _, tc := range []struct {
		a, b      []bool
		hd, assd  float64
		nsd       float64
		emptyCase bool
	}{
		{empty, empty, 0, 0, math.NaN(), true},
		{empty, full, math.Inf(1), math.Inf(1), 0, false},
		{full, empty, math.Inf(1), math.Inf(1), 0, false},
	} {
		res, err := Compare(tc.a, tc.b, shape, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !near(res.Hausdorff, tc.hd) || !near(res.HausdorffPercentile, tc.hd) || !near(res.ASSD, tc.assd) || !near(res.SurfaceDice, tc.nsd) || res.Empty != tc.emptyCase {
			t.Errorf("%+v", res)
		}
	}
}

func TestErrors(t *testing.T) {
	m := make([]bool, 6)
	for _, tc := range []struct {
		shape   []int
		spacing []float64
		opt     Options
	}{
		{[]int{2, 4}, nil, Options{}},
		{[]int{2, 3}, []float64{1}, Options{}},
		{[]int{2, 3}, []float64{1, 0}, Options{}},
		{[]int{2, 3}, []float64{1, math.NaN()}, Options{}},
		{[]int{2, 3}, nil, Options{Percentile: 101}},
		{[]int{2, 3}, nil, Options{Tolerance: -1}},
	} {
		if _, err := Compare(m, m, tc.shape, tc.spacing, tc.opt); err == nil {
			t.Errorf("shape %v spacing %v %+v accepted", tc.shape, tc.spacing, tc.opt)
		}
	}
	if _, _, err := Distances(m, m[:5], []int{2, 3}, nil, 1); err == nil {
		t.Error("different mask sizes accepted")
	}
}

func TestPercentile(t *testing.T) {
	x := []float64{4, 1, 3, 2}
	for _, tc := range []struct{ p, want float64 }{{0, 1}, {50, 2.5}, {95, 3.85}, {100, 4}} {
		if got := percentile(x, tc.p); !near(got, tc.want) {
			t.Errorf("percentile %v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile([]float64{1, math.Inf(1)}, 50); !math.IsInf(got, 1) {
		t.Errorf("percentile with Inf = %v", got)
	}
}

func TestLabelDistances(t *testing.T) {
	pred := []int32{0, 2, 2, 0, 1, 0}
	truth := []int32{0, 0, 2, 2, 1, 1}
	ab, ba, err := LabelDistances(pred, truth, 2, []int{1, 6}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	wab, wba, err := Distances([]bool{false, true, true, false, false, false}, []bool{false, false, true, true, false, false}, []int{1, 6}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ab, ba) != fmt.Sprint(wab, wba) {
		t.Errorf("LabelDistances = %v %v, want %v %v", ab, ba, wab, wba)
	}
	if _, _, err := LabelDistances(pred, truth[1:], 2, []int{1, 6}, nil, 1); err == nil {
		t.Error("different lengths: no error")
	}
}

// TestShapeOverflow checks that a shape whose voxel count wraps around to
// the length of the mask is an error (issue 15, finding 1).
func TestShapeOverflow(t *testing.T) {
	if _, _, err := Distances(nil, nil, []int{2, 1, 1 << 62, 2}, nil, 1); err == nil {
		t.Error("Distances accepted a shape whose product overflows to 0")
	}
	if _, err := DistanceTransform(nil, []int{1 << 32, 1 << 32}, nil, 1); err == nil {
		t.Error("DistanceTransform accepted a shape whose product overflows to 0")
	}
}
