package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// asymJob is the fused float32 path of asymmetric_focal,
// asymmetric_focal_tversky and unified_focal (af times the first plus aft
// times the second): a stats pass, then a gradient pass. Unit c is one
// chunk of one sample's pixels; binary reads the two channels [1-p, p]
// of a one-channel input against [1-g, g], multiclass the softmax of the
// C channels against class indices. The stats pass fills K Sums per
// unit: TP (sum P T), SG (sum T), SP (sum P), P clamped to [eps, 1-eps],
// and, in the first, the focal sum (Loss) and the kept pixels (Cnt).
type asymJob struct {
	batch32
	grad         bool
	sums         []kernel.Sums
	cpr, K       int
	af, afScale  float64   // focal weight, and it over the count
	dTP, dSP     []float64 // per (group, k): aft d loss / d TP, d SP
	perGroup     bool
	delta, gamma float32
	eps          float32
	ign          float32
	useIgn       bool
	plane        softmaxPlane // multiclass: the softmax of the batch
}

// Do runs unit c.
func (j *asymJob) Do(c, _, _ int) {
	C, S, K := j.g.c, j.g.s, j.K
	n, s0, s1 := j.chunkOf(c, j.cpr)
	x := j.x[n*C*S : (n+1)*C*S]
	var lab []int32
	var tg []float32
	if j.lab != nil {
		lab = j.lab[n*S : (n+1)*S]
	} else {
		tg = j.t[n*S : (n+1)*S]
	}
	var out []kernel.Sums
	var st *kernel.Sums // the statistics pass flags bad values here
	if !j.grad {
		out = j.sums[c*K : (c+1)*K]
		clear(out)
		st = &out[0]
	}
	kb := 0
	if j.perGroup {
		kb = n * K
	}
	if lab == nil {
		if j.grad {
			j.binaryGrad(n, s0, s1, kb)
		} else {
			j.binaryStats(out, x, tg, s0, s1)
		}
		return
	}
	// The softmax of the chunk, by the vector kernel, on the statistics
	// pass; the gradient pass reads it back.
	pr := j.plane.sample(&j.batch32, n)
	if !j.grad && j.plane.fill(&j.batch32, n, s0, s1) {
		out[0].Bad = true
	}
	ign, useIgn := ignoreLabel32(j.o)
	var pb, tb [kernel.MaxSoftmaxC]float32
	P, T := pb[:K], tb[:K]
	for px := s0; px < s1; px++ {
		// P, T of the pixel, checks, ignored pixels.
		var om0 float32 // 1 - P_0 = sum_{k >= 1} P_k, without cancellation
		y := lab[px]
		if !j.labelPixel(st, x, n, px, y, ign, useIgn) {
			continue
		}
		j.plane.pixel(P, pr, px)
		clear(T)
		T[y] = 1
		for k := 1; k < K; k++ {
			om0 += P[k]
		}
		if !j.grad {
			out[0].Cnt++
			for k := range P {
				pc, pass := clamp32(P[k], j.eps)
				t := T[k]
				out[k].TP += float64(pc) * float64(t)
				out[k].SG += float64(t)
				out[k].SP += float64(pc)
				if t == 0 || j.af == 0 {
					continue
				}
				lg := float64(kernel.Log32(pc))
				if k == 0 {
					om := om0
					if !pass {
						om = 1 - pc
					}
					out[0].Loss -= float64((1-j.delta)*kernel.Pow32(om, j.gamma)) * float64(t) * lg
				} else {
					out[0].Loss -= float64(j.delta) * float64(t) * lg
				}
			}
			continue
		}
		// Gradient with respect to P, then to the input.
		var dP [kernel.MaxSoftmaxC]float64
		for k := range P {
			pc, pass := clamp32(P[k], j.eps)
			if !pass {
				continue
			}
			t := float64(T[k])
			d := j.dTP[kb+k]*t + j.dSP[kb+k]
			if t != 0 && j.af != 0 {
				if k == 0 {
					om := om0
					m := kernel.Pow32(om, j.gamma)
					dv := -float64(m) * t / float64(pc)
					if j.gamma != 0 && om > 0 {
						// om^(gamma-1) = m / om
						dv += float64(j.gamma) * float64(m) / float64(om) * t * float64(kernel.Log32(pc))
					}
					d += j.afScale * float64(1-j.delta) * dv
				} else {
					d += j.afScale * float64(j.delta) * (-t / float64(pc))
				}
			}
			dP[k] = d
		}
		var dot float64
		for k := range P {
			dot += float64(P[k]) * dP[k]
		}
		for k := range P {
			j.gr[(n*C+k)*S+px] = float32(float64(P[k]) * (dP[k] - dot))
		}
	}
}

// clamp32 clamps p to [eps, 1-eps] (as clampProb) and reports whether
// the gradient passes.
func clamp32(p, eps float32) (float32, bool) {
	if p < eps {
		return eps, false
	}
	if p > 1-eps {
		return 1 - eps, false
	}
	return p, true
}

// fusedAsym is the fused float32 path of asymmetric_focal,
// asymmetric_focal_tversky and unified_focal (see asymmetricFocal and
// asymmetricFocalTversky).
func fusedAsym(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	multi := b.Labels != nil
	if (o.Mode == Multiclass) != multi || multi && g.c > kernel.MaxSoftmaxC || !multi && (o.Mode != Binary || g.c != 1) {
		return 0, false, false
	}
	af, aft := 1.0, 0.0
	switch l.name {
	case AsymmetricFocalTversky:
		af, aft = 0, 1
	case UnifiedFocal:
		af, aft = o.Weight, 1-o.Weight
	}
	K := 2
	if multi {
		K = g.c
	}
	j := &fw.asym
	defer func() { *j = asymJob{} }()
	*j = asymJob{batch32: newBatch32(l, g, grad, b), K: K, af: af, perGroup: o.Reduction == PerSample,
		delta: float32(o.Delta), gamma: float32(o.Gamma), eps: float32(o.Eps)}
	j.ign, j.useIgn = ignoreValue32(o)
	if multi {
		j.plane = newSoftmaxPlane(fw, &j.batch32)
	}
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * j.cpr
	j.sums = growSums(&fw.sums, units*K)
	kernel.Run(j, units, 1)
	G := 1
	if j.perGroup {
		G = g.n
	}
	gs := growSums(&fw.f2.group, G*K)
	clear(gs)
	for u := range j.sums {
		s := &j.sums[u]
		if s.Bad {
			return 0, true, true
		}
		k := u % K
		if j.perGroup {
			k += u / K / j.cpr * K
		}
		gs[k].Add(s)
	}
	var focal, count float64
	for k := range gs {
		focal += gs[k].Loss
		count += gs[k].Cnt
	}
	var loss float64
	if count > 0 {
		loss = af * focal / count
		j.afScale = af / count
	}
	// The focal Tversky part (asymmetricFocalTversky), aft times.
	j.dTP = grow(&fw.f2.dTP, G*K)
	j.dSP = grow(&fw.f2.dSP, G*K)
	inv := 1 / float64(G*K)
	delta, gamma, sm := o.Delta, o.Gamma, o.Smooth
	for e := range gs {
		s := &gs[e]
		den := delta*s.SG + (1-delta)*s.SP + sm
		ti := (s.TP + sm) / den
		var v, dl float64
		if e%K == 0 {
			v, dl = (1-ti)*inv, -inv
		} else if om := 1 - ti; om > 0 {
			v = math.Pow(om, 1-gamma) * inv
			dl = -(1 - gamma) * math.Pow(om, -gamma) * inv
		}
		loss += aft * v
		j.dTP[e] = aft * dl / den
		j.dSP[e] = -aft * dl * ti * (1 - delta) / den
	}
	if grad != nil {
		j.grad = true
		kernel.Run(j, units, 1)
	}
	return loss, true, false
}

// binaryPixel returns the two channels [1-p, p] of a binary pixel, its
// target t and whether it takes part (not ignored); on the statistics
// pass (out not nil) it flags bad values in out[0].Bad.
func (j *asymJob) binaryPixel(out []kernel.Sums, xv, tv float32) (p0, p1, t float32, ok bool) {
	logits := j.o.FromLogits
	if out != nil {
		if xv-xv != 0 || (!logits && !(xv >= 0 && xv <= 1)) {
			out[0].Bad = true
		}
		if !(j.useIgn && tv == j.ign) && !(tv >= 0 && tv <= 1) {
			out[0].Bad = true
		}
	}
	if j.useIgn && tv == j.ign {
		return 0, 0, 0, false
	}
	if logits {
		p1, p0 = sigmoidPair32(xv)
	} else {
		p0, p1 = 1-xv, xv
	}
	return p0, p1, tv, true
}

// binaryStats is the statistics pass of a binary chunk, pixels [s0, s1)
// of one sample (x, tg): the loop of Do for K = 2 with its sums in
// registers, added in the same order.
func (j *asymJob) binaryStats(out []kernel.Sums, x, tg []float32, s0, s1 int) {
	var tp0, sg0, sp0, tp1, sg1, sp1, cnt, loss float64
	eps, delta, gamma := j.eps, j.delta, j.gamma
	focal := j.af != 0
	for px := s0; px < s1; px++ {
		p0, p1, tv, ok := j.binaryPixel(out, x[px], tg[px])
		if !ok {
			continue
		}
		cnt++
		t0 := 1 - tv
		pc0, pass0 := clamp32(p0, eps)
		tp0 += float64(pc0) * float64(t0)
		sg0 += float64(t0)
		sp0 += float64(pc0)
		if t0 != 0 && focal {
			lg := float64(kernel.Log32(pc0))
			om := p1
			if !pass0 {
				om = 1 - pc0
			}
			loss -= float64((1-delta)*kernel.Pow32(om, gamma)) * float64(t0) * lg
		}
		pc1, _ := clamp32(p1, eps)
		tp1 += float64(pc1) * float64(tv)
		sg1 += float64(tv)
		sp1 += float64(pc1)
		if tv != 0 && focal {
			loss -= float64(delta) * float64(tv) * float64(kernel.Log32(pc1))
		}
	}
	out[0].TP, out[0].SG, out[0].SP, out[0].Cnt, out[0].Loss = tp0, sg0, sp0, cnt, loss
	out[1].TP, out[1].SG, out[1].SP = tp1, sg1, sp1
}

// binaryGrad is the gradient pass of a binary chunk of sample n, with
// the Tversky coefficients of group kb.
func (j *asymJob) binaryGrad(n, s0, s1, kb int) {
	S := j.g.s
	x, tg, gr := j.x[n*S:(n+1)*S], j.t[n*S:(n+1)*S], j.gr[n*S:(n+1)*S]
	eps, delta, gamma := j.eps, j.delta, j.gamma
	focal := j.af != 0
	dTP0, dSP0, dTP1, dSP1 := j.dTP[kb], j.dSP[kb], j.dTP[kb+1], j.dSP[kb+1]
	afScale := j.afScale
	logits := j.o.FromLogits
	for px := s0; px < s1; px++ {
		p0, p1, tv, ok := j.binaryPixel(nil, x[px], tg[px])
		if !ok {
			gr[px] = 0
			continue
		}
		var d0, d1 float64
		if pc, pass := clamp32(p0, eps); pass {
			t := float64(1 - tv)
			d0 = dTP0*t + dSP0
			if t != 0 && focal {
				om := p1
				m := kernel.Pow32(om, gamma)
				dv := -float64(m) * t / float64(pc)
				if gamma != 0 && om > 0 {
					dv += float64(gamma) * float64(m) / float64(om) * t * float64(kernel.Log32(pc))
				}
				d0 += afScale * float64(1-delta) * dv
			}
		}
		if pc, pass := clamp32(p1, eps); pass {
			t := float64(tv)
			d1 = dTP1*t + dSP1
			if t != 0 && focal {
				d1 += afScale * float64(delta) * (-t / float64(pc))
			}
		}
		d := d1 - d0
		if logits {
			d *= float64(p0) * float64(p1)
		}
		gr[px] = float32(d)
	}
}
