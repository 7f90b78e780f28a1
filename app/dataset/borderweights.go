package dataset

import (
	"fmt"
	"math"

	"github.com/segloss/segloss/metric/surface"
)

// BorderOptions are the parameters of the U-Net paper's weight map.
type BorderOptions struct {
	W0    float64 // weight of the border term (the paper: 10)
	Sigma float64 // its width in pixels (voxels) (the paper: about 5)
	// ClassBalance sets w_c(x) to N / (K n_c), n_c the pixels of x's class
	// c, K the classes present and N all pixels (a mean of 1); without it
	// w_c is 1.
	ClassBalance bool
	Workers      int // goroutines of the distance transforms (< 1: 1)
}

// BorderWeights returns the weight map of Ronneberger et al. (U-Net,
// 2015) for the labels of an image or volume of the given shape
// (row-major, 2-D or 3-D):
//
//	w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))
//
// where the objects are the face-connected components of each foreground
// label (> 0) and d1, d2 are the Euclidean distances (in voxels, the
// project's exact EDT) from x to the nearest and the second nearest
// object. The border term applies to background pixels (label 0), the
// gaps that separate touching objects; it is 0 with fewer than two
// objects. Labels must be >= 0.
func BorderWeights(labels []int32, shape []int, o BorderOptions) ([]float64, error) {
	n := 1
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("dataset: border weights: shape %v", shape)
		}
		n *= d
	}
	if len(shape) < 1 || n != len(labels) {
		return nil, fmt.Errorf("dataset: border weights: %d labels for shape %v", len(labels), shape)
	}
	if !(o.Sigma > 0) || math.IsInf(o.Sigma, 0) || !(o.W0 >= 0) || math.IsInf(o.W0, 0) {
		return nil, fmt.Errorf("dataset: border weights: w0 %v and sigma %v: want w0 >= 0 and sigma > 0, finite", o.W0, o.Sigma)
	}
	w := make([]float64, n)
	counts := map[int32]int{}
	for i, l := range labels {
		if l < 0 {
			return nil, fmt.Errorf("dataset: border weights: label %d at voxel %d: labels must be >= 0", l, i)
		}
		counts[l]++
	}
	for i, l := range labels {
		w[i] = 1
		if o.ClassBalance {
			w[i] = float64(n) / float64(len(counts)*counts[l])
		}
	}
	comp, k := Components(labels, shape)
	if k < 2 || o.W0 == 0 {
		return w, nil
	}
	d1, d2 := make([]float64, n), make([]float64, n)
	for i := range d1 {
		d1[i], d2[i] = math.Inf(1), math.Inf(1)
	}
	feature := make([]bool, n)
	d := make([]float64, n)
	for c := int32(1); c <= int32(k); c++ {
		for i, ci := range comp {
			feature[i] = ci == c
		}
		if err := surface.SquaredDistanceTransform(d, feature, shape, nil, o.Workers); err != nil {
			return nil, fmt.Errorf("dataset: border weights: %w", err)
		}
		for i, v := range d {
			v = math.Sqrt(v)
			switch {
			case v < d1[i]:
				d1[i], d2[i] = v, d1[i]
			case v < d2[i]:
				d2[i] = v
			}
		}
	}
	s2 := 2 * o.Sigma * o.Sigma
	for i, l := range labels {
		if l == 0 {
			t := d1[i] + d2[i]
			w[i] += o.W0 * math.Exp(-t*t/s2)
		}
	}
	return w, nil
}

// Components labels the face-connected components of each foreground
// label (> 0) of an n-D row-major image: comp[i] is 0 for background and
// 1..k for the k objects, numbered in the order of their first voxel.
func Components(labels []int32, shape []int) (comp []int32, k int) {
	n := len(labels)
	comp = make([]int32, n)
	stride := make([]int, len(shape))
	s := 1
	for a := len(shape) - 1; a >= 0; a-- {
		stride[a] = s
		s *= shape[a]
	}
	var stack []int
	for start, l := range labels {
		if l <= 0 || comp[start] != 0 {
			continue
		}
		k++
		comp[start] = int32(k)
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for a := range shape {
				c := i / stride[a] % shape[a]
				for _, step := range [2]int{-1, 1} {
					if c+step < 0 || c+step >= shape[a] {
						continue
					}
					j := i + step*stride[a]
					if labels[j] == l && comp[j] == 0 {
						comp[j] = int32(k)
						stack = append(stack, j)
					}
				}
			}
		}
	}
	return comp, k
}
