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
