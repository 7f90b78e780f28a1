package surface

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestChamferTransform compares the taxicab and chessboard transforms with
// a brute-force search over every feature voxel, in 1-D to 3-D.
func TestChamferTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 4))
	for _, shape := range [][]int{{9}, {7, 5}, {1, 6}, {5, 4, 6}, {3, 1, 4}} {
		n := 1
		for _, s := range shape {
			n *= s
		}
		for trial := 0; trial < 20; trial++ {
			f := make([]bool, n)
			for i := range f {
				f[i] = r.IntN(9) == 0
			}
			for _, m := range []DistanceMetric{Taxicab, Chessboard} {
				got := make([]float64, n)
				if err := ChamferTransform(got, f, shape, m); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					want := math.Inf(1)
					for j, fj := range f {
						if fj {
							want = math.Min(want, voxelDistance(i, j, shape, m))
						}
					}
					if got[i] != want {
						t.Fatalf("%v %v trial %d voxel %d: %v, want %v", m, shape, trial, i, got[i], want)
					}
				}
			}
		}
	}
}

// voxelDistance returns the taxicab or chessboard distance between two
// voxels given by their row-major indices.
func voxelDistance(i, j int, shape []int, m DistanceMetric) float64 {
	d := 0
	for a := len(shape) - 1; a >= 0; a-- {
		di := i%shape[a] - j%shape[a]
		if di < 0 {
			di = -di
		}
		if m == Taxicab {
			d += di
		} else {
			d = max(d, di)
		}
		i, j = i/shape[a], j/shape[a]
	}
	return float64(d)
}
