package surface

import (
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// TestScratchReuse checks that one Scratch, reused across geometries and
// worker counts, gives the package function's distances, and that a
// transform of a shape it has grown to allocates nothing.
func TestScratchReuse(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var s Scratch
	for _, g := range geometries {
		n := 1
		for _, d := range g.shape {
			n *= d
		}
		for _, workers := range []int{1, 3} {
			f := randomMask(rng, n, 0.1)
			want, err := DistanceTransform(f, g.shape, g.spacing, workers)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, n)
			if err := s.DistanceTransform(got, f, g.shape, g.spacing, workers); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("shape %v workers %d: Scratch result differs from DistanceTransform", g.shape, workers)
			}
		}
	}
	if err := s.DistanceTransform(make([]float64, 3), make([]bool, 4), []int{4}, nil, 1); err == nil {
		t.Fatal("short destination: want an error")
	}
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	shape := []int{6, 40, 33}
	f := randomMask(rng, 6*40*33, 0.05)
	dst := make([]float64, len(f))
	for _, workers := range []int{1, 2} {
		_ = s.DistanceTransform(dst, f, shape, nil, workers)
		if a := testing.AllocsPerRun(5, func() { _ = s.DistanceTransform(dst, f, shape, nil, workers) }); a != 0 {
			t.Errorf("workers %d: %v allocations per transform", workers, a)
		}
	}
}
