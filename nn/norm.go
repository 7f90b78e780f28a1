package nn

import "math"

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
			s += sum64(j.z[b+k*stride : b+k*stride+length])
		}
		cnt := float64(slices * length)
		mean = s / cnt
		var q float64
		for k := 0; k < slices; k++ {
			q += sqDev64(j.z[b+k*stride:b+k*stride+length], mean)
		}
		rs = 1 / math.Sqrt(q/cnt+normEps)
	}
	j.mean[u], j.rs[u] = mean, rs
	m32, r32 := float32(mean), float32(rs)
	sb := j.slopeBits()
	for k := 0; k < slices; k++ {
		z := j.z[b+k*stride : b+k*stride+length]
		a := j.a[b+k*stride : b+k*stride+length]
		a = a[:len(z)]
		if j.kind != NormNone {
			for i, v := range z {
				v = (v - m32) * r32
				z[i] = v
				a[i] = v * actFactor(v, sb)
			}
		} else {
			for i, v := range z {
				a[i] = v * actFactor(v, sb)
			}
		}
	}
}

// slopeBits returns the bits of the activation's slope for negative inputs.
func (j *normAct) slopeBits() uint32 {
	if j.act == LeakyReLU {
		return math.Float32bits(j.slope)
	}
	return 0
}

// actFactor returns the activation's derivative at v without a branch: 1
// for v > 0 (and +0), the slope (bits sb) for negative v (and −0); ReLU's
// and leaky ReLU's output is v·actFactor(v).
func actFactor(v float32, sb uint32) float32 {
	const one = 0x3f800000
	neg := uint32(int32(math.Float32bits(v)) >> 31)
	f := math.Float32frombits(one ^ ((one ^ sb) & neg))
	if v == 0 {
		f = 0 // the subgradient 0 at 0, like PyTorch's ReLU
	}
	return f
}

// sum64 returns the float64 sum of v, with four accumulators in a fixed
// order (faster than one dependency chain, still deterministic).
func sum64(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		s0 += float64(w[0])
		s1 += float64(w[1])
		s2 += float64(w[2])
		s3 += float64(w[3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDev64 returns the float64 sum of (v − mean)², like sum64.
func sqDev64(v []float32, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(w[0])-mean, float64(w[1])-mean, float64(w[2])-mean, float64(w[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(v); i++ {
		d := float64(v[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dots64 returns the float64 sums of g and of g·z, like sum64.
func dots64(g, z []float32) (float64, float64) {
	var s0, s1, q0, q1 float64
	z = z[:len(g)]
	i := 0
	for ; i+2 <= len(g); i += 2 {
		g0, g1 := float64(g[i]), float64(g[i+1])
		s0 += g0
		s1 += g1
		q0 += g0 * float64(z[i])
		q1 += g1 * float64(z[i+1])
	}
	for ; i < len(g); i++ {
		s0 += float64(g[i])
		q0 += float64(g[i]) * float64(z[i])
	}
	return s0 + s1, q0 + q1
}

// backward turns the gradient of the activation (ga) into the gradient of
// the convolution output, in place.
func (j *normAct) backward(u, b, slices, length, stride int) {
	sb := j.slopeBits()
	var s1, s2 float64
	for k := 0; k < slices; k++ {
		z := j.z[b+k*stride : b+k*stride+length]
		g := j.ga[b+k*stride : b+k*stride+length]
		g = g[:len(z)]
		for i, v := range z {
			g[i] *= actFactor(v, sb)
		}
		if j.kind != NormNone {
			a, q := dots64(g, z)
			s1 += a
			s2 += q
		}
	}
	if j.kind == NormNone {
		return
	}
	cnt := float64(slices * length)
	rs := float32(j.rs[u])
	m1, m2 := float32(s1/cnt), float32(s2/cnt)
	for k := 0; k < slices; k++ {
		z := j.z[b+k*stride : b+k*stride+length]
		g := j.ga[b+k*stride : b+k*stride+length]
		g = g[:len(z)]
		for i, v := range z {
			g[i] = rs * (g[i] - m1 - v*m2)
		}
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
