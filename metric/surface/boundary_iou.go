package surface

import (
	"fmt"
	"math"
)

// BoundaryIoU returns the boundary IoU of two masks (Cheng et al.,
// "Boundary IoU: Improving Object-Centric Image Segmentation Evaluation",
// CVPR 2021): the IoU of their inner boundary bands, where the band of a
// mask is its foreground voxels within chessboard distance width of the
// background, everything outside the image counting as background (the
// mask minus its erosion by a (2·width+1)^n cube). width < 1 means the
// paper's default, 2 % of the image diagonal rounded, at least 1.
//
// Special cases are:
//
//	BoundaryIoU = NaN if both masks are empty (undefined)
//	BoundaryIoU = 0 if exactly one mask is empty
func BoundaryIoU(pred, truth []bool, shape []int, width int) (float64, error) {
	if len(pred) != len(truth) {
		return 0, fmt.Errorf("surface: masks have %d and %d voxels", len(pred), len(truth))
	}
	if err := checkGeometry(len(pred), shape, nil); err != nil {
		return 0, err
	}
	if width < 1 {
		var diag float64
		for _, s := range shape {
			diag += float64(s) * float64(s)
		}
		width = max(1, int(math.Round(0.02*math.Sqrt(diag))))
	}
	bp, err := band(pred, shape, width)
	if err != nil {
		return 0, err
	}
	bt, err := band(truth, shape, width)
	if err != nil {
		return 0, err
	}
	var inter, union int
	for i := range bp {
		if bp[i] && bt[i] {
			inter++
		}
		if bp[i] || bt[i] {
			union++
		}
	}
	if union == 0 {
		return math.NaN(), nil
	}
	return float64(inter) / float64(union), nil
}

// band returns the foreground voxels of mask within chessboard distance
// width of the background or of the outside of the image.
func band(mask []bool, shape []int, width int) ([]bool, error) {
	bg := make([]bool, len(mask))
	for i, m := range mask {
		bg[i] = !m
	}
	d := make([]float64, len(mask))
	if err := ChamferTransform(d, bg, shape, Chessboard); err != nil {
		return nil, err
	}
	out := make([]bool, len(mask))
	coord := make([]int, len(shape))
	for i, m := range mask {
		if m {
			near := d[i] <= float64(width)
			for k, c := range coord {
				// The outside begins one voxel beyond either end.
				near = near || c+1 <= width || shape[k]-c <= width
			}
			out[i] = near
		}
		for k := len(shape) - 1; k >= 0; k-- {
			if coord[k]++; coord[k] < shape[k] {
				break
			}
			coord[k] = 0
		}
	}
	return out, nil
}
