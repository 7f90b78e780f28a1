package segloss

import (
	"fmt"
	"math"
)

// DeepSupervisionWeights returns nnU-Net's deep-supervision weights for
// the given number of decoder levels, level 0 the full resolution:
// 1/2^i, normalised to sum 1. (nnU-Net itself also zeroes the lowest
// level; pass such weights to EvalDeepSupervision to do the same.)
func DeepSupervisionWeights(levels int) []float64 {
	w := make([]float64, max(levels, 0))
	var s float64
	for i := range w {
		w[i] = math.Ldexp(1, -i)
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	return w
}

// EvalDeepSupervision applies l to the outputs of several decoder levels
// and returns sum_i weights[i] * loss_i. outputs[i] holds level i's
// Shape [N, C, spatial_i...] and Input (its Target, Labels and Weights
// must be nil); target holds the full-resolution Shape (that of the input
// of level 0, whose spatial dims are at least those of every level), and
// Target or Labels and optionally Weights. Each level is scored against
// the target (and weights) down-sampled to its size by nearest-neighbour
// at pixel centres (torch's 'nearest-exact', what nnU-Net uses): source
// index floor((i + 0.5) * in / out). weights nil means
// DeepSupervisionWeights(len(outputs)). When grads is not nil, grads[i]
// (of outputs[i].Input's length) receives d total / d outputs[i].Input.
func EvalDeepSupervision[T Float](l *Loss, grads [][]T, outputs []Batch[T], target Batch[T], weights []float64) (float64, error) {
	if len(outputs) == 0 {
		return 0, fmt.Errorf("segloss: deep supervision: no outputs")
	}
	if weights == nil {
		weights = DeepSupervisionWeights(len(outputs))
	}
	if len(weights) != len(outputs) {
		return 0, fmt.Errorf("segloss: deep supervision: %d weights for %d outputs", len(weights), len(outputs))
	}
	if grads != nil && len(grads) != len(outputs) {
		return 0, fmt.Errorf("segloss: deep supervision: %d gradient buffers for %d outputs", len(grads), len(outputs))
	}
	full := target.Shape
	if len(full) < 2 {
		return 0, fmt.Errorf("segloss: deep supervision: target shape %v: want [N, C, spatial...]", full)
	}
	var total float64
	for i, out := range outputs {
		if out.Target != nil || out.Labels != nil || out.Weights != nil {
			return 0, fmt.Errorf("segloss: deep supervision: output %d carries a target or weights; give them once, in target", i)
		}
		if len(out.Shape) != len(full) || out.Shape[0] != full[0] || out.Shape[1] != full[1] {
			return 0, fmt.Errorf("segloss: deep supervision: output %d has shape %v, want [N=%d, C=%d] and %d spatial dims like the target shape %v", i, out.Shape, full[0], full[1], len(full)-2, full)
		}
		for a := 2; a < len(full); a++ {
			if out.Shape[a] < 1 || out.Shape[a] > full[a] {
				return 0, fmt.Errorf("segloss: deep supervision: output %d has shape %v, larger than the target shape %v (or empty)", i, out.Shape, full)
			}
		}
		b, err := downsampleTarget(target, out.Shape)
		if err != nil {
			return 0, fmt.Errorf("segloss: deep supervision: level %d: %w", i, err)
		}
		b.Input = out.Input
		var g []T
		if grads != nil {
			g = grads[i]
		}
		v, err := Eval(l, g, b)
		if err != nil {
			return 0, fmt.Errorf("segloss: deep supervision: level %d: %w", i, err)
		}
		total += weights[i] * v
		scaleGrad(g, weights[i])
	}
	return total, nil
}

// downsampleTarget returns target's Target, Labels and Weights resampled
// (nearest, pixel centres) to the spatial size of shape.
func downsampleTarget[T Float](target Batch[T], shape []int) (Batch[T], error) {
	full := target.Shape
	n, c := full[0], full[1]
	sIn, sOut := 1, 1
	for a := 2; a < len(full); a++ {
		sIn *= full[a]
		sOut *= shape[a]
	}
	// src[j] is the full-resolution spatial index of output pixel j.
	src := make([]int, sOut)
	nd := len(full) - 2
	coord := make([]int, nd)
	for j := range src {
		r := j
		for a := nd - 1; a >= 0; a-- {
			coord[a] = r % shape[a+2]
			r /= shape[a+2]
		}
		k := 0
		for a := 0; a < nd; a++ {
			in, out := full[a+2], shape[a+2]
			k = k*in + min(int(math.Floor((float64(coord[a])+0.5)*float64(in)/float64(out))), in-1)
		}
		src[j] = k
	}
	pick := func(x []T, planes int) []T {
		out := make([]T, planes*sOut)
		for p := 0; p < planes; p++ {
			for j, k := range src {
				out[p*sOut+j] = x[p*sIn+k]
			}
		}
		return out
	}
	b := Batch[T]{Shape: shape}
	switch {
	case target.Target != nil:
		if len(target.Target) != n*c*sIn {
			return b, fmt.Errorf("target has %d values, shape %v needs %d", len(target.Target), full, n*c*sIn)
		}
		b.Target = pick(target.Target, n*c)
	case target.Labels != nil:
		if len(target.Labels) != n*sIn {
			return b, fmt.Errorf("labels have %d values, shape %v needs %d", len(target.Labels), labelShape(full), n*sIn)
		}
		b.Labels = make([]int32, n*sOut)
		for p := 0; p < n; p++ {
			for j, k := range src {
				b.Labels[p*sOut+j] = target.Labels[p*sIn+k]
			}
		}
	default:
		return b, fmt.Errorf("the target has neither Target nor Labels")
	}
	switch len(target.Weights) {
	case 0:
	case n * sIn:
		b.Weights = pick(target.Weights, n)
	case n * c * sIn:
		b.Weights = pick(target.Weights, n*c)
	default:
		return b, fmt.Errorf("weights have %d values, want %d or %d for shape %v", len(target.Weights), n*sIn, n*c*sIn, full)
	}
	return b, nil
}
