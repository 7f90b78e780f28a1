package nn

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// normEps is the eps of every normalization (PyTorch's default).
const normEps = 1e-5

// bnMomentum is the running-statistics momentum of NormBatch (PyTorch's).
const bnMomentum = 0.1

// normAct is the normalization and activation after a convolution, over a
// [N, c, S] tensor, as a parallel job over normalization units: one unit
// per sample and group (instance norm: groups of one channel), per channel
// (batch norm, over all samples), or per sample and channel (no norm).
type normAct struct {
	kind   NormKind
	act    ActKind
	slope  float32
	groups int // channels per unit are c/groups (instance and group norm)

	z, a, ga  []float32 // pre-activation (normalized in place), activation, its gradient
	n, c, S   int
	mean, rs  []float64 // per unit statistics
	running   []float32 // batch norm: running mean then running variance, 2c values
	inference bool      // batch norm: use the running statistics
	bwd       bool
}

// units returns the number of units and, per unit, the number of slices,
// their length and the stride between them.
func (j *normAct) units() (nu, slices, length, stride int) {
	switch j.kind {
	case NormBatch:
		return j.c, j.n, j.S, j.c * j.S
	case NormNone:
		return j.n * j.c, 1, j.S, 0
	default:
		cpg := j.c / j.groups
		return j.n * j.groups, 1, cpg * j.S, 0
	}
}

// base returns the offset of the first slice of unit u.
func (j *normAct) base(u int) int {
	if j.kind == NormBatch {
		return u * j.S
	}
	_, _, length, _ := j.units()
	return u * length
}

// Do processes units [lo, hi).
func (j *normAct) Do(_, lo, hi int) {
	_, slices, length, stride := j.units()
	for u := lo; u < hi; u++ {
		b := j.base(u)
		if j.bwd {
			j.backward(u, b, slices, length, stride)
		} else {
			j.forward(u, b, slices, length, stride)
		}
	}
}

func (j *normAct) forward(u, b, slices, length, stride int) {
	mean, rs := 0.0, 1.0
	switch {
	case j.kind == NormNone:
	case j.kind == NormBatch && j.inference:
		mean = float64(j.running[u])
		rs = 1 / math.Sqrt(float64(j.running[j.c+u])+normEps)
	default:
		var s float64
		for k := 0; k < slices; k++ {
			s += kernel.Sum64(j.z[b+k*stride : b+k*stride+length])
		}
		cnt := float64(slices * length)
		mean = s / cnt
		var q float64
		for k := 0; k < slices; k++ {
			q += kernel.SqDev64(j.z[b+k*stride:b+k*stride+length], mean)
		}
		rs = 1 / math.Sqrt(q/cnt+normEps)
	}
	j.mean[u], j.rs[u] = mean, rs
	m32, r32 := float32(mean), float32(rs) // NormNone: (z − 0)·1 = z exactly
	for k := 0; k < slices; k++ {
		kernel.NormAct(j.z[b+k*stride:b+k*stride+length], j.a[b+k*stride:b+k*stride+length], m32, r32, j.negSlope())
	}
}

// negSlope returns the activation's slope for negative inputs.
func (j *normAct) negSlope() float32 {
	if j.act == LeakyReLU {
		return j.slope
	}
	return 0
}

// backward turns the gradient of the activation (ga) into the gradient of
// the convolution output, in place.
func (j *normAct) backward(u, b, slices, length, stride int) {
	slope := j.negSlope()
	var s1, s2 float64
	for k := 0; k < slices; k++ {
		z := j.z[b+k*stride : b+k*stride+length]
		g := j.ga[b+k*stride : b+k*stride+length]
		a, q := kernel.ActGradDots(g, z, slope)
		s1 += a
		s2 += q
	}
	if j.kind == NormNone {
		return
	}
	cnt := float64(slices * length)
	rs := float32(j.rs[u])
	m1, m2 := float32(s1/cnt), float32(s2/cnt)
	for k := 0; k < slices; k++ {
		kernel.NormGrad(j.ga[b+k*stride:b+k*stride+length], j.z[b+k*stride:b+k*stride+length], rs, m1, m2)
	}
}

// updateRunning folds the batch statistics into the running ones
// (unbiased variance, like PyTorch).
func (j *normAct) updateRunning() {
	cnt := float64(j.n * j.S)
	for c := 0; c < j.c; c++ {
		v := 1/(j.rs[c]*j.rs[c]) - normEps
		if cnt > 1 {
			v *= cnt / (cnt - 1)
		}
		j.running[c] = float32((1-bnMomentum)*float64(j.running[c]) + bnMomentum*j.mean[c])
		j.running[j.c+c] = float32((1-bnMomentum)*float64(j.running[j.c+c]) + bnMomentum*v)
	}
}

// groupsFor returns the number of groups of a layer with c channels.
func groupsFor(kind NormKind, want, c int) int {
	switch kind {
	case NormInstance:
		return c
	case NormGroup:
		g := min(want, c)
		for c%g != 0 {
			g--
		}
		return g
	}
	return 1
}
