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
}

// pow32 is base^e for base >= 0 with 0^e = 0 (e != 0), 0^0 = 1, in float32.
func pow32(base, e float32) float32 {
	switch {
	case base <= 0:
		if e == 0 {
			return 1
		}
		return 0
	case e == 2:
		return base * base
	case e == 1:
		return base
	case e == 0:
		return 1
	}
	return kernel.Exp32(e * kernel.Log32(base))
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
	ign, useIgn := ignoreLabel32(j.o)
	logits := j.o.FromLogits
	var pb, tb [kernel.MaxSoftmaxC]float32
	P, T := pb[:K], tb[:K]
	for px := s0; px < s1; px++ {
		// P, T of the pixel, checks, ignored pixels.
		var om0 float32 // 1 - P_0 = sum_{k >= 1} P_k, without cancellation
		if lab != nil {
			y := lab[px]
			if !j.labelPixel(st, x, n, px, y, ign, useIgn) {
				continue
			}
			kernel.SoftmaxPixel(P, x, px, S)
			clear(T)
			T[y] = 1
			for k := 1; k < K; k++ {
				om0 += P[k]
			}
		} else {
			xv, tv := x[px], tg[px]
			if !j.grad {
				if xv-xv != 0 || (!logits && !(xv >= 0 && xv <= 1)) {
					out[0].Bad = true
				}
				if !(j.useIgn && tv == j.ign) && !(tv >= 0 && tv <= 1) {
					out[0].Bad = true
				}
			}
			if j.useIgn && tv == j.ign {
				if j.grad {
					j.gr[n*S+px] = 0
				}
				continue
			}
			if logits {
				P[1], P[0] = sigmoidPair32(xv)
			} else {
				P[0], P[1] = 1-xv, xv
			}
			T[0], T[1] = 1-tv, tv
			om0 = P[1]
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
					out[0].Loss -= float64((1-j.delta)*pow32(om, j.gamma)) * float64(t) * lg
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
					m := pow32(om, j.gamma)
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
		if lab == nil {
			d := dP[1] - dP[0]
			if logits {
				d *= float64(P[0]) * float64(P[1])
			}
			j.gr[n*S+px] = float32(d)
			continue
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
