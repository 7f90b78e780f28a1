package surface

import (
	"fmt"
	"math"
)

// SurfaceDiceSubvoxel returns the normalized surface Dice at tolerance tol
// of two 2-D masks of shape [h, w] measured on DeepMind's surface elements,
// as MONAI's compute_surface_dice with use_subvoxels=True: the surface
// points are the pixel corners whose 2×2 neighbourhood is neither all
// inside nor all outside a mask, each weighted by the length of the
// marching-squares contour through that neighbourhood (a straight edge of
// one spacing along an axis, half a pixel diagonal per cut corner, two for
// a saddle); the distances are Euclidean, between corners, in the units of
// spacing (nil means 1; spacing[0] is along the rows). Only 2-D masks are
// supported (3-D needs DeepMind's marching-cubes area table).
//
// Special cases are:
//
//	SurfaceDiceSubvoxel = NaN if both masks are empty
//	SurfaceDiceSubvoxel = 0 if exactly one mask is empty
func SurfaceDiceSubvoxel(pred, truth []bool, shape []int, spacing []float64, tol float64) (float64, error) {
	if len(shape) != 2 {
		return 0, fmt.Errorf("surface: subvoxel surface Dice needs 2-D masks, got shape %v", shape)
	}
	if len(pred) != len(truth) {
		return 0, fmt.Errorf("surface: masks have %d and %d voxels", len(pred), len(truth))
	}
	if err := checkGeometry(len(pred), shape, spacing); err != nil {
		return 0, err
	}
	if !(tol >= 0) || math.IsInf(tol, 0) {
		return 0, fmt.Errorf("surface: tolerance %v must be finite and non-negative", tol)
	}
	sy, sx := spacingOf(spacing, 0), spacingOf(spacing, 1)
	corners := []int{shape[0] + 1, shape[1] + 1}
	cp, lp := surfels(pred, shape, sy, sx)
	ct, lt := surfels(truth, shape, sy, sx)
	var total float64
	for i := range lp {
		total += lp[i] + lt[i]
	}
	if total == 0 {
		return math.NaN(), nil
	}
	within := func(from []bool, length []float64, to []bool) (float64, error) {
		d := make([]float64, len(to))
		if err := SquaredDistanceTransform(d, to, corners, []float64{sy, sx}, 1); err != nil {
			return 0, err
		}
		var sum float64
		for i, f := range from {
			if f && math.Sqrt(d[i]) <= tol {
				sum += length[i]
			}
		}
		return sum, nil
	}
	a, err := within(cp, lp, ct)
	if err != nil {
		return 0, err
	}
	b, err := within(ct, lt, cp)
	if err != nil {
		return 0, err
	}
	return (a + b) / total, nil
}

// surfels returns, on the (h+1)×(w+1) grid of pixel corners, which corners
// are surface points of mask and the contour length each carries.
func surfels(mask []bool, shape []int, sy, sx float64) ([]bool, []float64) {
	h, w := shape[0], shape[1]
	at := func(y, x int) int {
		if y < 0 || y >= h || x < 0 || x >= w || !mask[y*w+x] {
			return 0
		}
		return 1
	}
	diag := 0.5 * math.Hypot(sy, sx)
	// Neighbourhood code 8·top-left + 4·top-right + 2·bottom-left +
	// 1·bottom-right → marching-squares contour length.
	var length [16]float64
	for _, c := range []int{1, 2, 4, 8, 7, 11, 13, 14} {
		length[c] = diag // one corner cut off
	}
	length[3], length[12] = sx, sx // the top or bottom half: a horizontal edge
	length[5], length[10] = sy, sy // the left or right half: a vertical edge
	length[6], length[9] = 2*diag, 2*diag
	is := make([]bool, (h+1)*(w+1))
	ls := make([]float64, (h+1)*(w+1))
	for y := 0; y <= h; y++ {
		for x := 0; x <= w; x++ {
			c := 8*at(y-1, x-1) + 4*at(y-1, x) + 2*at(y, x-1) + at(y, x)
			i := y*(w+1) + x
			is[i], ls[i] = c != 0 && c != 15, length[c]
		}
	}
	return is, ls
}
