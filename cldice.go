package segloss

import "github.com/segloss/segloss/internal/kernel"

// clDice (Shit et al. 2021, MONAI SoftclDiceLoss) and its soft skeleton,
// with the exact subgradient of PyTorch CPU's pooling tie rules (golden2
// conventions, morphology): a max-pool passes the gradient to the first
// maximal element of its window in row-major order, torch.minimum(a, b)
// at a == b gives half to each, relu'(0) = 0.

// morph is the soft morphology of one (sample, channel) plane.
type morph struct {
	shape   []int // spatial dims
	strides []int
	size    int
}

func newMorph(shape []int) *morph {
	m := &morph{shape: shape, strides: make([]int, len(shape)), size: 1}
	for a := len(shape) - 1; a >= 0; a-- {
		m.strides[a] = m.size
		m.size *= shape[a]
	}
	return m
}

// erosion is one soft erosion and its gradient routing: output i takes
// w[a][i] of its gradient to idx[a][i], one source per axis.
type erosion struct {
	idx [][]int32
	w   [][]float64
}

// erode writes into dst the minimum over the in-bounds axis cross of each
// pixel of src, computed as torch.minimum of the 1-D min-pools along each
// axis in order, and records the routing into e.
func (m *morph) erode(dst, src []float64, e *erosion) {
	nd := len(m.shape)
	if len(e.idx) != nd {
		e.idx = make([][]int32, nd)
		e.w = make([][]float64, nd)
		for a := range e.idx {
			e.idx[a] = make([]int32, m.size)
			e.w[a] = make([]float64, m.size)
		}
	}
	for i := 0; i < m.size; i++ {
		var cur float64
		for a := 0; a < nd; a++ {
			st, n := m.strides[a], m.shape[a]
			pos := (i / st) % n
			// First minimum of the window in increasing index order.
			best, bv := i, src[i]
			if pos > 0 {
				best, bv = i-st, src[i-st]
				if src[i] < bv {
					best, bv = i, src[i]
				}
			}
			if pos < n-1 && src[i+st] < bv {
				best, bv = i+st, src[i+st]
			}
			e.idx[a][i] = int32(best)
			if a == 0 {
				cur = bv
				e.w[0][i] = 1
				continue
			}
			// cur = torch.minimum(cur, bv): cur's sources keep their share.
			switch {
			case cur < bv:
				e.w[a][i] = 0
			case cur > bv:
				for b := 0; b < a; b++ {
					e.w[b][i] = 0
				}
				e.w[a][i] = 1
				cur = bv
			default:
				for b := 0; b < a; b++ {
					e.w[b][i] *= 0.5
				}
				e.w[a][i] = 0.5
			}
		}
		dst[i] = cur
	}
}

// back adds into gsrc the gradient of the erosion's input from gdst.
func (e *erosion) back(gsrc, gdst []float64) {
	for a := range e.idx {
		idx, w := e.idx[a], e.w[a]
		for i, g := range gdst {
			if g != 0 && w[i] != 0 {
				gsrc[idx[i]] += w[i] * g
			}
		}
	}
}

// dilate writes into dst the maximum of src over the in-bounds 3^nd window
// of each pixel and into arg the first maximal element in row-major
// order. It runs as separable 1-D passes, last axis first: the first
// maximum of a lexicographic window is the first row (in the outer axis)
// holding the maximum, at that row's own first maximum, so the passes
// pick the same element as a row-major scan.
func (m *morph) dilate(dst, src []float64, arg []int32) {
	nd := len(m.shape)
	val := make([]float64, m.size)
	idx := make([]int32, m.size)
	copy(dst, src)
	for i := range arg {
		arg[i] = int32(i)
	}
	for a := nd - 1; a >= 0; a-- {
		st, n := m.strides[a], m.shape[a]
		if n == 1 {
			continue
		}
		copy(val, dst)
		copy(idx, arg)
		for i := 0; i < m.size; i++ {
			pos := (i / st) % n
			best := i
			if pos > 0 {
				best = i - st
				if val[i] > val[best] {
					best = i
				}
			}
			if pos < n-1 && val[i+st] > val[best] {
				best = i + st
			}
			dst[i], arg[i] = val[best], idx[best]
		}
	}
}

// skeleton is the soft skeleton of one plane with what its backward pass needs.
type skeleton struct {
	m    *morph
	iter int
	I    [][]float64 // I[0] the input, I[j+1] = erode(I[j]), j = 0..iter
	er   []erosion   // er[j]: I[j] -> I[j+1]
	O    [][]float64 // O[j] = dilate(I[j+1]) = open(I[j])
	arg  [][]int32   // dilation routing of O[j]
	S    [][]float64 // S[0] = relu(I0 - O0), S[j] after iteration j
	D    [][]float64 // D[j] = relu(I[j] - O[j]), j >= 1
}

// forward computes the soft skeleton of in (iter iterations):
// S = relu(I - open(I)); iter times: I = erode(I), D = relu(I - open(I)),
// S = S + relu(D - S D). It returns S (owned by k).
func (k *skeleton) forward(in []float64) []float64 {
	n, it := k.m.size, k.iter
	alloc := func(c int) [][]float64 {
		out := make([][]float64, c)
		for i := range out {
			out[i] = make([]float64, n)
		}
		return out
	}
	if k.I == nil {
		k.I, k.O, k.S, k.D = alloc(it+2), alloc(it+1), alloc(it+1), alloc(it+1)
		k.er = make([]erosion, it+1)
		k.arg = make([][]int32, it+1)
		for j := range k.arg {
			k.arg[j] = make([]int32, n)
		}
	}
	copy(k.I[0], in)
	for j := 0; j <= it; j++ {
		k.m.erode(k.I[j+1], k.I[j], &k.er[j])
		k.m.dilate(k.O[j], k.I[j+1], k.arg[j])
	}
	for i := range k.S[0] {
		k.S[0][i] = max(k.I[0][i]-k.O[0][i], 0)
	}
	for j := 1; j <= it; j++ {
		S, prev, D := k.S[j], k.S[j-1], k.D[j]
		for i := range S {
			D[i] = max(k.I[j][i]-k.O[j][i], 0)
			S[i] = prev[i] + max(D[i]-prev[i]*D[i], 0)
		}
	}
	return k.S[it]
}

// backward adds into gin the gradient of the input from gS, the gradient
// of the skeleton returned by forward. gS is overwritten.
func (k *skeleton) backward(gin, gS []float64) {
	n, it := k.m.size, k.iter
	gI := make([][]float64, it+2)
	for j := range gI {
		gI[j] = make([]float64, n)
	}
	// gO[j] goes through the dilation to I[j+1].
	gO := make([]float64, n)
	relu := func(j int, gD []float64) {
		clear(gO)
		for i, g := range gD {
			if g != 0 && k.I[j][i]-k.O[j][i] > 0 {
				gI[j][i] += g
				gO[i] = -g
			}
		}
		for i, g := range gO {
			if g != 0 {
				gI[j+1][k.arg[j][i]] += g
			}
		}
	}
	gD := make([]float64, n)
	for j := it; j >= 1; j-- {
		prev, D := k.S[j-1], k.D[j]
		for i, g := range gS {
			gD[i] = 0
			if D[i]-prev[i]*D[i] > 0 {
				gD[i] = g * (1 - prev[i])
				gS[i] = g * (1 - D[i])
			}
		}
		relu(j, gD)
	}
	relu(0, gS)
	for j := it + 1; j >= 1; j-- {
		k.er[j-1].back(gI[j-1], gI[j])
	}
	for i, g := range gI[0] {
		gin[i] += g
	}
}

// clDice is 1 - 2 Tprec Tsens / (Tprec + Tsens) per class (and sample),
// Tprec = (sum S_p g + s)/(sum S_p + s), Tsens = (sum S_g p + s)/(sum S_g
// + s), S the soft skeletons (S_g a constant), then the mean over classes
// (and samples). It returns the loss and adds w times its gradient with
// respect to p into dp.
//
// Special cases are:
//
//	Tprec + Tsens = 0 (only with smooth = 0): loss 1, gradient 0
func clDice(o *Options, d *dense, dp []float64, w float64) float64 {
	g := d.g
	classes := d.classList()
	G := d.groups()
	m := newMorph(d.spatial)
	K := len(classes)
	planes := g.n * K
	// Per plane: A = sum S_p g, B = sum S_p, C = sum S_g p, E = sum S_g.
	A, B, C, E := make([]float64, planes), make([]float64, planes), make([]float64, planes), make([]float64, planes)
	sg := make([][]float64, planes)
	kp := make([]*skeleton, planes)
	parallel := !hasDuplicates(classes)
	forPlanes := func(f func(i int)) {
		if !parallel {
			for i := 0; i < planes; i++ {
				f(i)
			}
			return
		}
		kernel.RunFunc(planes, 1, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				f(i)
			}
		})
	}
	forPlanes(func(i int) {
		off := d.at(i/K, classes[i%K], 0)
		p, t := d.p[off:off+g.s], d.t[off:off+g.s]
		kp[i] = &skeleton{m: m, iter: o.Iter}
		Sp := kp[i].forward(p)
		Sg := (&skeleton{m: m, iter: o.Iter}).forward(t)
		sg[i] = Sg
		for s := range p {
			A[i] += Sp[s] * t[s]
			B[i] += Sp[s]
			C[i] += Sg[s] * p[s]
			E[i] += Sg[s]
		}
		if dp == nil {
			kp[i] = nil
		}
	})
	// Sums per (group, class), in plane order.
	gA, gB, gC, gE := make([]float64, G*K), make([]float64, G*K), make([]float64, G*K), make([]float64, G*K)
	for i := 0; i < planes; i++ {
		k := d.group(i/K)*K + i%K
		gA[k] += A[i]
		gB[k] += B[i]
		gC[k] += C[i]
		gE[k] += E[i]
	}
	s := o.Smooth
	inv := 1 / float64(G*K)
	var loss float64
	dA, dB, dC := make([]float64, G*K), make([]float64, G*K), make([]float64, G*K)
	for k := range gA {
		tp := (gA[k] + s) / (gB[k] + s)
		ts := (gC[k] + s) / (gE[k] + s)
		sum := tp + ts
		if sum == 0 {
			loss += inv
			continue
		}
		loss += (1 - 2*tp*ts/sum) * inv
		dtp := -2 * ts * ts / (sum * sum) * inv
		dts := -2 * tp * tp / (sum * sum) * inv
		dA[k] = dtp / (gB[k] + s)
		dB[k] = -dtp * tp / (gB[k] + s)
		dC[k] = dts / (gE[k] + s)
	}
	if dp == nil {
		return loss
	}
	forPlanes(func(i int) {
		off := d.at(i/K, classes[i%K], 0)
		k := d.group(i/K)*K + i%K
		t := d.t[off : off+g.s]
		Sg := sg[i]
		row := dp[off : off+g.s]
		for j := range row {
			row[j] += w * dC[k] * Sg[j]
		}
		if dA[k] == 0 && dB[k] == 0 {
			return
		}
		gS := make([]float64, g.s)
		for j := range gS {
			gS[j] = w * (dA[k]*t[j] + dB[k])
		}
		kp[i].backward(row, gS)
		kp[i] = nil // its memory can go
	})
	return loss
}
