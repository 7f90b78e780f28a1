package surface

import (
	"fmt"
	"math"
	"strings"
)

// DistanceMetric is the distance between voxels that the surface metrics
// use.
type DistanceMetric int

const (
	// Euclidean is the straight-line distance in the units of the spacing.
	Euclidean DistanceMetric = iota
	// Taxicab is the city-block (L1) distance in voxels: the number of
	// face steps. The spacing is ignored, as in MONAI (scipy's
	// distance_transform_cdt).
	Taxicab
	// Chessboard is the L∞ distance in voxels: the number of steps to
	// face, edge or corner neighbours. The spacing is ignored.
	Chessboard
)

// String returns the name ParseDistanceMetric accepts.
func (m DistanceMetric) String() string {
	switch m {
	case Euclidean:
		return "euclidean"
	case Taxicab:
		return "taxicab"
	case Chessboard:
		return "chessboard"
	}
	return fmt.Sprintf("DistanceMetric(%d)", int(m))
}

// ParseDistanceMetric parses "euclidean", "taxicab" or "chessboard" (the
// names of MONAI's distance_metric).
func ParseDistanceMetric(s string) (DistanceMetric, error) {
	for _, m := range []DistanceMetric{Euclidean, Taxicab, Chessboard} {
		if strings.EqualFold(strings.TrimSpace(s), m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("surface: unknown distance metric %q (want euclidean, taxicab or chessboard)", s)
}

// ChamferTransform writes into dst, for every voxel of an n-D image of the
// given shape, the taxicab or chessboard distance in voxels to the nearest
// voxel where feature is true (+Inf when there is none), with one forward
// and one backward raster scan over the face (taxicab) or all 3^n − 1
// (chessboard) neighbours, which is exact for these two metrics. m must be
// Taxicab or Chessboard; dst must have the length of feature.
func ChamferTransform(dst []float64, feature []bool, shape []int, m DistanceMetric) error {
	if err := checkGeometry(len(feature), shape, nil); err != nil {
		return err
	}
	if len(dst) != len(feature) {
		return fmt.Errorf("surface: destination has %d voxels, want %d", len(dst), len(feature))
	}
	if m != Taxicab && m != Chessboard {
		return fmt.Errorf("surface: ChamferTransform needs taxicab or chessboard, got %v", m)
	}
	nd := len(shape)
	strides := make([]int, nd)
	s := 1
	for a := nd - 1; a >= 0; a-- {
		strides[a] = s
		s *= shape[a]
	}
	// The neighbours that come earlier in raster order: the first non-zero
	// component of the offset is −1.
	var offs [][]int
	var lin []int
	o := make([]int, nd)
	for k := range o {
		o[k] = -1
	}
	for {
		nz, first := 0, 0
		for _, v := range o {
			if v != 0 {
				if nz == 0 {
					first = v
				}
				nz++
			}
		}
		if first == -1 && (m == Chessboard || nz == 1) {
			offs = append(offs, append([]int(nil), o...))
			l := 0
			for k, v := range o {
				l += v * strides[k]
			}
			lin = append(lin, l)
		}
		k := nd - 1
		for ; k >= 0; k-- {
			if o[k]++; o[k] <= 1 {
				break
			}
			o[k] = -1
		}
		if k < 0 {
			break
		}
	}
	for i, f := range feature {
		if f {
			dst[i] = 0
		} else {
			dst[i] = math.Inf(1)
		}
	}
	coord := make([]int, nd)
	inside := func(off []int, sign int) bool {
		for k, v := range off {
			c := coord[k] + sign*v
			if c < 0 || c >= shape[k] {
				return false
			}
		}
		return true
	}
	for i := range dst {
		for j, off := range offs {
			if inside(off, 1) {
				dst[i] = math.Min(dst[i], dst[i+lin[j]]+1)
			}
		}
		for k := nd - 1; k >= 0; k-- {
			if coord[k]++; coord[k] < shape[k] {
				break
			}
			coord[k] = 0
		}
	}
	for k := range coord {
		coord[k] = shape[k] - 1
	}
	for i := len(dst) - 1; i >= 0; i-- {
		for j, off := range offs {
			if inside(off, -1) {
				dst[i] = math.Min(dst[i], dst[i-lin[j]]+1)
			}
		}
		for k := nd - 1; k >= 0; k-- {
			if coord[k]--; coord[k] >= 0 {
				break
			}
			coord[k] = shape[k] - 1
		}
	}
	return nil
}
