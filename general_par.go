package segloss

import (
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

// The general path in parallel. Its loops run as kernel.Job types over
// fixed chunks (kernel.Chunk elements or pixels, never derived from
// GOMAXPROCS); each chunk writes its own float64 partial sums, reduced in
// chunk order, so results are bit-identical for any number of threads, and
// a batch of one chunk sums exactly as a serial loop. The jobs come from
// pools (one per job type and element type), so steady-state calls
// allocate nothing.

// typeIndex is 0 for float32 and 1 for float64: the index of a job's pool.
func typeIndex[T Float]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 0
	}
	return 1
}

// pooled returns a job of type J from p (a new one when p is empty).
func pooled[J any](p *sync.Pool) *J {
	if v, ok := p.Get().(*J); ok {
		return v
	}
	return new(J)
}

// pixelTerm is the term of one element of a pixel loss at input x and
// (smoothed) target t, and its derivative with respect to x.
type pixelTerm func(o *Options, x, t float64) (loss, d float64)

// pixelMeanJob is pixelMean's pass: chunk c adds the terms of elements
// [lo, hi) into sum[c] and counts them in cnt[c].
type pixelMeanJob[T Float] struct {
	o    *Options
	g    geom
	grad []T
	b    Batch[T]
	term pixelTerm
	sum  []float64
	cnt  []int
}

var pixelMeanPools [2]sync.Pool

// Do runs chunk c.
func (j *pixelMeanJob[T]) Do(c, lo, hi int) {
	o, b, grad := j.o, &j.b, j.grad
	ign := float64(o.IgnoreIndex)
	ls := o.LabelSmoothing
	var sum float64
	count := 0
	for i := lo; i < hi; i++ {
		t := float64(b.Target[i])
		if o.Ignore && t == ign {
			if grad != nil {
				grad[i] = 0
			}
			continue
		}
		count++
		if ls != 0 {
			t = t*(1-ls) + (1-t)*ls
		}
		l, d := j.term(o, float64(b.Input[i]), t)
		if b.Weights != nil {
			w := weightAt(b.Weights, j.g, i)
			l, d = w*l, w*d
		}
		sum += l
		if grad != nil {
			grad[i] = T(d)
		}
	}
	j.sum[c], j.cnt[c] = sum, count
}

// pixelMean drives a loss made of independent per-element terms: it skips
// ignored elements, applies label smoothing, writes term'(x)/count into
// grad and returns the mean (or sum) of the terms.
//
// Special cases: when every element is ignored the loss is 0 and the
// gradient 0 (torch returns NaN).
func pixelMean[T Float](o *Options, g geom, grad []T, b Batch[T], term pixelTerm) float64 {
	pool := &pixelMeanPools[typeIndex[T]()]
	j := pooled[pixelMeanJob[T]](pool)
	n := len(b.Input)
	nc := kernel.Chunks(n, kernel.Chunk)
	sum, cnt := grow(&j.sum, nc), grow(&j.cnt, nc)
	j.o, j.g, j.grad, j.b, j.term = o, g, grad, b, term
	kernel.Run(j, n, kernel.Chunk)
	total := kernel.SumOrdered(sum)
	count := 0
	for _, k := range cnt {
		count += k
	}
	j.o, j.grad, j.b, j.term = nil, nil, Batch[T]{}, nil
	pool.Put(j)
	scale := 1.0
	if o.Reduction != Sum {
		if count == 0 {
			return 0
		}
		scale = 1 / float64(count)
	}
	scaleGrad(grad, scale)
	return total * scale
}

// scaleGradJob multiplies a gradient by f, or clears it (zero).
type scaleGradJob[T Float] struct {
	grad []T
	f    float64
	zero bool
}

var scaleGradPools [2]sync.Pool

// Do scales elements [lo, hi).
func (j *scaleGradJob[T]) Do(_, lo, hi int) {
	if j.zero {
		clear(j.grad[lo:hi])
		return
	}
	for i := lo; i < hi; i++ {
		j.grad[i] = T(float64(j.grad[i]) * j.f)
	}
}

// scaleGrad multiplies grad by f, in parallel chunks: the rescaling of
// every general path (means over counts, reduction none, the terms of
// dice_bce).
func scaleGrad[T Float](grad []T, f float64) {
	if f == 1 || len(grad) == 0 {
		return
	}
	pool := &scaleGradPools[typeIndex[T]()]
	j := pooled[scaleGradJob[T]](pool)
	j.grad, j.f = grad, f
	kernel.Run(j, len(grad), kernel.Chunk)
	j.grad = nil
	pool.Put(j)
}

// valuesJob is the parallel pre-scan of checkValues: chunk c reports in
// bad[c] whether elements [lo, hi) of the input and the target (or of
// the labels, with labels set) hold a value that the full check rejects.
type valuesJob[T Float] struct {
	l      *Loss
	g      geom
	b      Batch[T]
	labels bool
	bad    []bool
}

var valuesPools [2]sync.Pool

// Do scans chunk c.
func (j *valuesJob[T]) Do(c, lo, hi int) {
	o, d, b := &j.l.opts, j.l.d, &j.b
	bad := false
	if j.labels {
		for _, v := range b.Labels[lo:hi] {
			if (v < 0 || int(v) >= j.g.c) && !(o.Ignore && int(v) == o.IgnoreIndex) {
				bad = true
			}
		}
		j.bad[c] = bad
		return
	}
	probs := !o.FromLogits
	for _, v := range b.Input[lo:hi] {
		f := float64(v)
		if f-f != 0 || probs && (f < 0 || f > 1) { // f-f is NaN for NaN and ±Inf
			bad = true
		}
	}
	if b.Target != nil {
		ign := float64(o.IgnoreIndex)
		ignoreTarget := o.Ignore && !d.targetNoIgnore
		for _, v := range b.Target[lo:hi] {
			f := float64(v)
			if ignoreTarget && f == ign {
				continue
			}
			if !(f >= 0 && f <= 1) || d.binaryTarget && f != 0 && f != 1 {
				bad = true
			}
		}
	}
	j.bad[c] = bad
}

// valuesClean reports whether the input, the target and the labels of b
// pass checkValues's element checks, scanning them in parallel chunks; on
// false checkValues's serial loops find the first bad value for the message.
func valuesClean[T Float](l *Loss, g geom, b Batch[T]) bool {
	pool := &valuesPools[typeIndex[T]()]
	j := pooled[valuesJob[T]](pool)
	defer func() { j.l, j.b = nil, Batch[T]{}; pool.Put(j) }()
	j.l, j.g, j.b = l, g, b
	for _, labels := range []bool{false, true} {
		n := len(b.Input)
		if labels {
			n = len(b.Labels)
		}
		j.labels = labels
		bad := grow(&j.bad, kernel.Chunks(n, kernel.Chunk))
		kernel.Run(j, n, kernel.Chunk)
		for _, v := range bad {
			if v {
				return false
			}
		}
	}
	return true
}
