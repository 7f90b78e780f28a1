package surface

import (
	"fmt"
	"runtime"
	"testing"
)

// benchVolume returns the 256³ feature mask of the distance-transform
// benchmark: every voxel outside a ball of radius 100 around the centre,
// the same volume testdata/scipy_edt.py times with scipy.
func benchVolume() ([]bool, []int) {
	const n = 256
	f := make([]bool, n*n*n)
	for z := 0; z < n; z++ {
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				dz, dy, dx := z-128, y-128, x-128
				f[(z*n+y)*n+x] = dz*dz+dy*dy+dx*dx > 100*100
			}
		}
	}
	return f, []int{n, n, n}
}

// BenchmarkDistanceTransform256 times the exact Euclidean distance
// transform (square root and allocation included, as scipy's) of a 256³
// volume with anisotropic spacing on one goroutine and on every CPU.
func BenchmarkDistanceTransform256(b *testing.B) {
	f, shape := benchVolume()
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := DistanceTransform(f, shape, []float64{1, 1, 1.5}, workers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTwoSided512 times both transforms of one 512² plane (a disk of
// radius 150, the plane workload of the distance losses) on a reused
// Scratch: in one TwoSided run, and as two DistanceTransform runs of the
// mask and of its complement.
func BenchmarkTwoSided512(b *testing.B) {
	const n = 512
	mask, inv := make([]bool, n*n), make([]bool, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dy, dx := y-200, x-260
			mask[y*n+x] = dy*dy+dx*dx <= 150*150
			inv[y*n+x] = !mask[y*n+x]
		}
	}
	shape := []int{n, n}
	toFG, toBG := make([]float64, n*n), make([]float64, n*n)
	var s Scratch
	b.Run("fused", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := s.TwoSided(toFG, toBG, mask, shape, nil, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("separate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := s.DistanceTransform(toFG, mask, shape, nil, 1); err != nil {
				b.Fatal(err)
			}
			if err := s.DistanceTransform(toBG, inv, shape, nil, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
