package dataset

import "math"

// Fit centres an h×w row-major image in an H×W frame: it crops what does
// not fit and fills the rest with fill. Unfit undoes it.
func Fit[T any](src []T, h, w, H, W int, fill T) []T {
	dst := make([]T, H*W)
	for i := range dst {
		dst[i] = fill
	}
	oy, ox := (H-h)/2, (W-w)/2
	for y := 0; y < h; y++ {
		dy := y + oy
		if dy < 0 || dy >= H {
			continue
		}
		for x := 0; x < w; x++ {
			dx := x + ox
			if dx >= 0 && dx < W {
				dst[dy*W+dx] = src[y*w+x]
			}
		}
	}
	return dst
}

// Unfit returns the h×w image that Fit centred in the H×W frame src; the
// parts Fit cropped away are fill.
func Unfit[T any](src []T, h, w, H, W int, fill T) []T {
	return Fit(src, H, W, h, w, fill)
}

// Normalize returns the values of one volume (or image) as z-scores:
// (v - mean) / std over all its voxels; a constant volume becomes zeros.
func Normalize(data []float64) []float32 {
	var mean, sq float64
	for _, v := range data {
		mean += v
	}
	mean /= float64(max(len(data), 1))
	for _, v := range data {
		sq += (v - mean) * (v - mean)
	}
	std := math.Sqrt(sq / float64(max(len(data), 1)))
	out := make([]float32, len(data))
	if std < 1e-12 {
		return out
	}
	for i, v := range data {
		out[i] = float32((v - mean) / std)
	}
	return out
}

// Slices splits a row-major volume [d, h, w] (or an image [h, w], one
// slice) into its 2-D slices along the first axis, returning h and w.
func Slices[T any](data []T, shape []int) (slices [][]T, h, w int) {
	switch len(shape) {
	case 2:
		return [][]T{data}, shape[0], shape[1]
	case 3:
		h, w = shape[1], shape[2]
		for z := 0; z < shape[0]; z++ {
			slices = append(slices, data[z*h*w:(z+1)*h*w])
		}
		return slices, h, w
	}
	return nil, 0, 0
}
