package train

import (
	"fmt"
	"math"
)

// forwardFunc returns the logits [N, C, spatial...] of a model for the
// input x [N, C_in, spatial...].
type forwardFunc func(x []float32, shape []int) ([]float32, error)

// windowStarts returns the start positions along an axis of length d of
// windows of length p that overlap by half, as nnU-Net's
// compute_steps_for_sliding_window: ceil((d-p)/max(p/2, 1))+1 windows spread
// evenly from 0 to d-p. A window longer than the axis is centred on it
// (its start is negative: the parts outside read zeros).
func windowStarts(d, p int) []int {
	if d <= p {
		return []int{-(p - d) / 2}
	}
	n := int(math.Ceil(float64(d-p)/max(float64(p)/2, 1))) + 1
	step := float64(d-p) / float64(n-1)
	out := make([]int, n)
	for i := range out {
		out[i] = int(math.Round(step * float64(i)))
	}
	return out
}

// gaussianMap returns nnU-Net's importance map of a window: a Gaussian
// centred on the window (at size/2 per axis) with sigma = size/8 per
// axis, scaled to a maximum of 1, with values below the smallest weight
// nnU-Net keeps (its filter is truncated at 4 sigma) raised to it. An axis
// of length 1 has weight 1.
func gaussianMap(p [3]int) []float32 {
	var axis [3][]float64
	for a, n := range p {
		axis[a] = make([]float64, n)
		c, sigma := float64(n/2), float64(n)/8
		for i := range axis[a] {
			if n == 1 {
				axis[a][i] = 1
				continue
			}
			d := (float64(i) - c) / sigma
			axis[a][i] = math.Exp(-d * d / 2)
		}
	}
	out := make([]float32, p[0]*p[1]*p[2])
	floor := float32(math.MaxFloat32)
	for i := range p[0] {
		for j := range p[1] {
			for k := range p[2] {
				v := float32(axis[0][i] * axis[1][j] * axis[2][k])
				out[(i*p[1]+j)*p[2]+k] = v
				if v > 0 {
					floor = min(floor, v)
				}
			}
		}
	}
	for i, v := range out {
		out[i] = max(v, floor, 1e-6)
	}
	return out
}

// slide returns the logits [C, D, H, W] of a whole volume img [inC, D, H, W]
// (a 2-D image is a volume of one slice) predicted window by window:
// windows of size patch (depth 1 for a 2-D model) overlapping by half,
// each weighted by the Gaussian map, in batches of batch windows (the
// last batch is padded, so that the model always sees one shape). dims is
// the model's: its input is [B, inC, H, W] for 2, [B, inC, D, H, W] for 3.
func slide(forward forwardFunc, img []float32, shape, patch [3]int, dims, inC, channels, batch int) ([]float32, error) {
	vox := shape[0] * shape[1] * shape[2]
	inC = max(inC, 1)
	if len(img) != inC*vox {
		return nil, fmt.Errorf("predict: volume of %d values, want %d×%v", len(img), inC, shape)
	}
	if batch < 1 {
		batch = 1
	}
	var starts [3][]int
	for a := range starts {
		starts[a] = windowStarts(shape[a], patch[a])
	}
	var pos [][3]int
	for _, z := range starts[0] {
		for _, y := range starts[1] {
			for _, x := range starts[2] {
				pos = append(pos, [3]int{z, y, x})
			}
		}
	}
	g := gaussianMap(patch)
	ps := len(g)
	inShape := []int{batch, inC, patch[0], patch[1], patch[2]}
	if dims == 2 {
		inShape = []int{batch, inC, patch[1], patch[2]}
	}
	acc := make([]float32, channels*vox)
	wsum := make([]float32, vox)
	x := make([]float32, batch*inC*ps)
	// each visits the voxels of window w that lie in the volume: f(patch
	// index, volume index).
	each := func(w [3]int, f func(pi, vi int)) {
		for i := range patch[0] {
			z := w[0] + i
			if z < 0 || z >= shape[0] {
				continue
			}
			for j := range patch[1] {
				y := w[1] + j
				if y < 0 || y >= shape[1] {
					continue
				}
				for k := range patch[2] {
					if c := w[2] + k; c >= 0 && c < shape[2] {
						f((i*patch[1]+j)*patch[2]+k, (z*shape[1]+y)*shape[2]+c)
					}
				}
			}
		}
	}
	for lo := 0; lo < len(pos); lo += batch {
		hi := min(lo+batch, len(pos))
		clear(x)
		for b := lo; b < hi; b++ {
			xb := x[(b-lo)*inC*ps:]
			each(pos[b], func(pi, vi int) {
				for c := range inC {
					xb[c*ps+pi] = img[c*vox+vi]
				}
			})
		}
		logits, err := forward(x, inShape)
		if err != nil {
			return nil, err
		}
		if len(logits) != batch*channels*ps {
			return nil, fmt.Errorf("predict: the model returned %d logits for %v, want %d", len(logits), inShape, batch*channels*ps)
		}
		for b := lo; b < hi; b++ {
			lb := logits[(b-lo)*channels*ps:]
			each(pos[b], func(pi, vi int) {
				w := g[pi]
				wsum[vi] += w
				for c := range channels {
					acc[c*vox+vi] += w * lb[c*ps+pi]
				}
			})
		}
	}
	for vi, w := range wsum {
		for c := range channels {
			acc[c*vox+vi] /= w
		}
	}
	return acc, nil
}
