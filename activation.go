package segloss

import (
	"math"
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

// sigmoid returns 1/(1+e^-x) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus returns log(1+e^x) without overflow; -softplus(-x) is log sigmoid(x).
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// powZero returns base^exp for base >= 0 with 0^e = 0 for e < 0 too: every
// caller multiplies the result by a factor that vanishes there, and the
// limit of the product is 0.
func powZero(base, exp float64) float64 {
	if base <= 0 {
		if exp == 0 {
			return 1
		}
		return 0
	}
	return math.Pow(base, exp)
}

// softmaxPixel writes the probabilities and log-probabilities of the C
// channels of one pixel (input x[off + c*stride]) into p and logp.
func softmaxPixel[T Float](p, logp []float64, x []T, off, stride int) {
	m := math.Inf(-1)
	for c := range p {
		if v := float64(x[off+c*stride]); v > m {
			m = v
		}
	}
	var z float64
	for c := range p {
		e := math.Exp(float64(x[off+c*stride]) - m)
		p[c] = e
		z += e
	}
	lz := math.Log(z)
	inv := 1 / z
	for c := range p {
		p[c] *= inv
		logp[c] = float64(x[off+c*stride]) - m - lz
	}
}

// probabilities writes the activated input (sigmoid, softmax over
// channels, or a copy when the input holds probabilities) into dst, in
// parallel chunks of elements (of pixels for the softmax). The scratch
// argument is unused (each chunk has its own).
func probabilities[T Float](dst []float64, o *Options, g geom, x []T, _ []float64) {
	actRun(actProb, dst, nil, nil, x, o, g)
}

// chainActivation turns dp, the gradient with respect to the
// probabilities, into the gradient with respect to the input, writing
// grad, in parallel chunks.
func chainActivation[T Float](grad []T, dp, p []float64, o *Options, g geom) {
	actRun(actChain, p, dp, grad, nil, o, g)
}

const (
	actProb  = iota // probabilities
	actChain        // chainActivation
)

// actJob is the pass of probabilities or chainActivation.
type actJob[T Float] struct {
	op      int
	p, dp   []float64
	grad, x []T
	o       *Options
	g       geom
	scratch []float64 // 2*C per chunk (the softmax)
}

var actPools [2]sync.Pool

func actRun[T Float](op int, p, dp []float64, grad, x []T, o *Options, g geom) {
	pool := &actPools[typeIndex[T]()]
	j := pooled[actJob[T]](pool)
	j.op, j.p, j.dp, j.grad, j.x, j.o, j.g = op, p, dp, grad, x, o, g
	n := g.size()
	if o.FromLogits && o.Mode == Multiclass {
		n = g.n * g.s // pixels
		grow(&j.scratch, 2*g.c*kernel.Chunks(n, kernel.Chunk))
	}
	kernel.Run(j, n, kernel.Chunk)
	j.p, j.dp, j.grad, j.x, j.o = nil, nil, nil, nil, nil
	pool.Put(j)
}

// Do runs chunk ch: elements [lo, hi), or pixels (flat n*S + s) for the softmax.
func (j *actJob[T]) Do(ch, lo, hi int) {
	o, g := j.o, j.g
	multi := o.FromLogits && o.Mode == Multiclass
	if j.op == actProb {
		dst, x := j.p, j.x
		switch {
		case !o.FromLogits:
			for i := lo; i < hi; i++ {
				dst[i] = float64(x[i])
			}
		case multi:
			p, lp := j.scratch[2*g.c*ch:2*g.c*ch+g.c], j.scratch[2*g.c*ch+g.c:2*g.c*(ch+1)]
			for q := lo; q < hi; q++ {
				off := q/g.s*g.c*g.s + q%g.s
				softmaxPixel(p, lp, x, off, g.s)
				for c, v := range p {
					dst[off+c*g.s] = v
				}
			}
		default:
			for i := lo; i < hi; i++ {
				dst[i] = sigmoid(float64(x[i]))
			}
		}
		return
	}
	grad, dp, p := j.grad, j.dp, j.p
	switch {
	case !o.FromLogits:
		for i := lo; i < hi; i++ {
			grad[i] = T(dp[i])
		}
	case multi:
		for q := lo; q < hi; q++ {
			off := q/g.s*g.c*g.s + q%g.s
			var dot float64
			for c := 0; c < g.c; c++ {
				i := off + c*g.s
				dot += p[i] * dp[i]
			}
			for c := 0; c < g.c; c++ {
				i := off + c*g.s
				grad[i] = T(p[i] * (dp[i] - dot))
			}
		}
	default:
		for i := lo; i < hi; i++ {
			grad[i] = T(dp[i] * p[i] * (1 - p[i]))
		}
	}
}
