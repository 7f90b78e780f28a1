package surface

import (
	"math"
	"math/rand"
	"runtime"
	"testing"
)

// refSquaredEDT is the transform as it was before the blocked, fused
// passes (commit 3f46452): one line at a time, the binary scan of the
// last axis, then for every other axis the envelope of each line with
// its own arithmetic (the same formulas, a separate output buffer). The
// transforms must equal it bit for bit.
func refSquaredEDT(feature []bool, shape []int, spacing []float64) []float64 {
	nd := len(shape)
	d := make([]float64, len(feature))
	last := shape[nd-1]
	s2 := sq(spacingOf(spacing, nd-1))
	for l := 0; l < len(d)/last; l++ {
		lo, hi := l*last, (l+1)*last
		prev := -1
		for i := lo; i < hi; i++ {
			if feature[i] {
				prev = i
			}
			d[i] = math.Inf(1)
			if prev >= 0 {
				d[i] = float64(i - prev)
			}
		}
		prev = -1
		for i := hi - 1; i >= lo; i-- {
			if feature[i] {
				prev = i
			}
			if prev >= 0 {
				d[i] = math.Min(d[i], float64(prev-i))
			}
			d[i] *= d[i] * s2
		}
	}
	for a := nd - 2; a >= 0; a-- {
		n, stride := shape[a], 1
		for _, s := range shape[a+1:] {
			stride *= s
		}
		s2 := sq(spacingOf(spacing, a))
		f, out := make([]float64, n), make([]float64, n)
		v, z, h := make([]int, n), make([]float64, n+1), make([]float64, n)
		for o := 0; o < len(d)/(n*stride); o++ {
			for in := 0; in < stride; in++ {
				base := o*n*stride + in
				for i := range f {
					f[i] = d[base+i*stride]
				}
				k := -1
				for q, fq := range f {
					if math.IsInf(fq, 1) {
						continue
					}
					hq := fq + s2*float64(q*q)
					var x float64
					for k >= 0 {
						x = (hq - h[k]) / (2 * s2 * float64(q-v[k]))
						if x > z[k] {
							break
						}
						k--
					}
					k++
					v[k], h[k], z[k] = q, hq, x
					if k == 0 {
						z[k] = math.Inf(-1)
					}
				}
				for p := range out {
					out[p] = math.Inf(1)
				}
				if k >= 0 {
					z[k+1] = math.Inf(1)
					j := 0
					for p := range out {
						for z[j+1] < float64(p) {
							j++
						}
						e := float64(p - v[j])
						out[p] = s2*e*e + f[v[j]]
					}
				}
				for i, x := range out {
					d[base+i*stride] = x
				}
			}
		}
	}
	return d
}

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestTransformsMatchReference checks that DistanceTransform,
// SquaredDistanceTransform and TwoSided equal the reference bit for bit
// on random 2-D and 3-D masks, with and without spacing, empty and full,
// on 1 to 3 workers and GOMAXPROCS 1 and 2.
func TestTransformsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	geoms := []struct {
		shape   []int
		spacing []float64
	}{
		{[]int{37, 53}, nil},
		{[]int{64, 48}, []float64{0.7, 1.3}},
		{[]int{19, 40}, []float64{3, 0.25}},
		{[]int{1, 33}, []float64{2, 0.9}},
		{[]int{31}, []float64{1.1}},
		{[]int{9, 21, 18}, nil},
		{[]int{12, 17, 23}, []float64{2.5, 1, 0.6}},
		{[]int{7, 1, 35}, []float64{1.5, 2, 0.3}},
		{[]int{1, 1, 20}, nil},
		{[]int{5, 6, 4, 7}, []float64{1, 0.5, 2, 1.25}},
	}
	var s Scratch
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		for _, g := range geoms {
			n := 1
			for _, d := range g.shape {
				n *= d
			}
			for _, p := range []float64{0, 0.003, 0.05, 0.3, 0.7, 0.97, 1} {
				mask := randomMask(rng, n, p)
				inv := make([]bool, n)
				for i, m := range mask {
					inv[i] = !m
				}
				wantSq, wantInvSq := refSquaredEDT(mask, g.shape, g.spacing), refSquaredEDT(inv, g.shape, g.spacing)
				want, wantInv := make([]float64, n), make([]float64, n)
				for i := range want {
					want[i], wantInv[i] = math.Sqrt(wantSq[i]), math.Sqrt(wantInvSq[i])
				}
				for _, workers := range []int{1, 2, 3} {
					got, got2 := make([]float64, n), make([]float64, n)
					check := func(what string, got, want []float64) {
						t.Helper()
						if i := sameBits(got, want); i >= 0 {
							t.Fatalf("%s shape %v spacing %v p=%v workers %d procs %d: voxel %d = %v, want %v",
								what, g.shape, g.spacing, p, workers, procs, i, got[i], want[i])
						}
					}
					if err := s.SquaredDistanceTransform(got, mask, g.shape, g.spacing, workers); err != nil {
						t.Fatal(err)
					}
					check("squared", got, wantSq)
					if err := s.DistanceTransform(got, mask, g.shape, g.spacing, workers); err != nil {
						t.Fatal(err)
					}
					check("distance", got, want)
					if err := s.TwoSided(got, got2, mask, g.shape, g.spacing, workers); err != nil {
						t.Fatal(err)
					}
					check("two-sided to FG", got, want)
					check("two-sided to BG", got2, wantInv)
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
	if err := s.TwoSided(make([]float64, 4), make([]float64, 3), make([]bool, 4), []int{4}, nil, 1); err == nil {
		t.Fatal("short second destination: want an error")
	}
}
