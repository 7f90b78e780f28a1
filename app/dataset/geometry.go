package dataset

import (
	"math"

	"github.com/segloss/segloss/maskio"
)

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

// FitChannels fits each of the c channels of a channel-major c×h×w image
// into an H×W frame as Fit does, filling with 0.
func FitChannels(src []float32, c, h, w, H, W int) []float32 {
	if c == 1 {
		return Fit(src, h, w, H, W, 0)
	}
	dst := make([]float32, 0, c*H*W)
	for k := 0; k < c; k++ {
		dst = append(dst, Fit(src[k*h*w:(k+1)*h*w], h, w, H, W, 0)...)
	}
	return dst
}

// InputSlices normalizes each channel of in over the whole image or
// volume (z-scores, as Normalize) and returns its 2-D slices along the
// first spatial axis, each channel-major (channels × h × w), with h and w.
func InputSlices(in *maskio.Input) (slices [][]float32, h, w int) {
	c := max(in.Channels, 1)
	var chans [][][]float32
	for k := 0; k < c; k++ {
		var sl [][]float32
		sl, h, w = Slices(Normalize(in.Channel(k)), in.Shape)
		chans = append(chans, sl)
	}
	if c == 1 {
		return chans[0], h, w
	}
	slices = make([][]float32, len(chans[0]))
	for z := range slices {
		s := make([]float32, 0, c*h*w)
		for k := 0; k < c; k++ {
			s = append(s, chans[k][z]...)
		}
		slices[z] = s
	}
	return slices, h, w
}
