package kernel

import "math"

// Sums are the float64 partial sums of one chunk of a fused kernel. The
// caller adds the chunks' Sums in chunk order.
type Sums struct {
	TP, SP, SG, SP2, SG2, Abs, Cnt float64 // region sums (see segloss.RegionStats)
	Loss                           float64 // sum of per-element loss terms (BCE, focal, CE)
	Den                            float64 // denominator of a weighted mean (CE with class weights)
	// Bad reports a value that fails validation: a non-finite input, a
	// probability or target outside [0, 1], a label out of range. The
	// caller then runs its full check to build the error message.
	Bad bool
}

// Add adds o into s.
func (s *Sums) Add(o *Sums) {
	s.TP += o.TP
	s.SP += o.SP
	s.SG += o.SG
	s.SP2 += o.SP2
	s.SG2 += o.SG2
	s.Abs += o.Abs
	s.Cnt += o.Cnt
	s.Loss += o.Loss
	s.Den += o.Den
	s.Bad = s.Bad || o.Bad
}

// BCEOpts configures the elementwise binary cross-entropy (and the BCE
// inside focal_sigmoid and dice_bce). The conventions are those of
// segloss: from logits, pw*t*softplus(-x) + (1-t)*softplus(x); from
// probabilities with Eps > 0 (Keras), p clipped to [Eps, 1-Eps] and
// -(t log(p+LogEps) + (1-t) log(1-p+LogEps)); with Eps = 0, torch's
// BCELoss (logs clamped at -100, gradient (p-t)/max(p(1-p), 1e-12)).
type BCEOpts struct {
	Logits      bool
	PosWeight   float32 // 1: unweighted
	Smooth      float32 // label smoothing: t <- t(1-s) + (1-t)s
	Eps, LogEps float32
	Ignore      bool
	IgnoreValue float32
	Scale       float32 // gradient multiplier (1/count for a mean)
}

// TorchBCEEps is float32(1e-12), ATen's clamp in the BCE backward pass
// (p - t)/max(p(1-p), eps); the core and the GoMLX adapter use it too.
const TorchBCEEps = 9.999999960041972e-13

// bceTerm32 returns the BCE of x against t and its derivative in x.
func bceTerm32(o *BCEOpts, x, t float32) (loss, d float32) {
	if o.Logits {
		a := x
		if a > 0 {
			a = -a
		}
		e := Exp32(a)
		l1p := Log1pSmall32(e)
		s := 1 / (1 + e)
		p, q := s, e*s // sigmoid(x), sigmoid(-x) for x >= 0
		spx, spn := x+l1p, l1p
		if x < 0 {
			p, q = q, p
			spx, spn = l1p, l1p-x
		}
		pw := o.PosWeight
		return pw*t*spn + (1-t)*spx, (1-t)*p - pw*t*q
	}
	if eps := o.Eps; eps > 0 {
		pc, in := x, true
		if pc < eps {
			pc, in = eps, false
		} else if pc > 1-eps {
			pc, in = 1-eps, false
		}
		le := o.LogEps
		loss = -(t*Log32(pc+le) + (1-t)*Log32(1-pc+le))
		if in {
			d = -t/(pc+le) + (1-t)/(1-pc+le)
		}
		return loss, d
	}
	lp := max(Log32(x), -100)
	l1p := max(Log32(1-x), -100)
	if x < 1e-4 {
		l1p = float32(math.Log1p(-float64(x)))
	}
	loss = -(t*lp + (1-t)*l1p)
	d = float32(float64(x-t) / math.Max(float64(x)*(1-float64(x)), TorchBCEEps))
	return loss, d
}

// sigmoidDeriv32 returns sigmoid(x) and its derivative e^-|x|/(1+e^-|x|)^2,
// accurate also where sigmoid(x) rounds to 1.
func sigmoidDeriv32(x float32) (p, dp float32) {
	a := x
	if a > 0 {
		a = -a
	}
	e := Exp32(a)
	s := 1 / (1 + e)
	p = s
	if x < 0 {
		p = e * s
	}
	return p, e * s * s
}

// bad32 reports a non-finite value.
func bad32(v float32) bool { return v-v != 0 }

// badTarget reports a target outside [0, 1] (or NaN).
func badTarget(v float32) bool { return !(v >= 0 && v <= 1) }

// BCE writes the gradient of the summed BCE times o.Scale into grad (nil:
// none) and returns the sum of the terms of the non-ignored elements and
// their count; ignored elements get a zero gradient.
func BCE(grad, x, t []float32, o *BCEOpts) Sums {
	if cur != setGeneric && o.Logits && !o.Ignore {
		return bceVec(grad, x, t, o)
	}
	return bceGo(grad, x, t, o)
}

func bceGo(grad, x, t []float32, o *BCEOpts) Sums {
	var s Sums
	ls := o.Smooth
	for i, xv := range x {
		tv := t[i]
		if bad32(xv) || (!o.Logits && (xv < 0 || xv > 1)) {
			s.Bad = true
		}
		if o.Ignore && tv == o.IgnoreValue {
			if grad != nil {
				grad[i] = 0
			}
			continue
		}
		if badTarget(tv) {
			s.Bad = true
		}
		s.Cnt++
		if ls != 0 {
			tv = tv*(1-ls) + (1-tv)*ls
		}
		l, d := bceTerm32(o, xv, tv)
		s.Loss += float64(l)
		if grad != nil {
			grad[i] = d * o.Scale
		}
	}
	return s
}

// FocalOpts configures the sigmoid focal loss a_t (1-p_t)^gamma BCE
// (torchvision / smp), linear p_t = p t + (1-p)(1-t) or PtExp p_t = e^-BCE.
type FocalOpts struct {
	BCE   BCEOpts // PosWeight must be 1
	Alpha float32 // < 0: no alpha weighting
	Gamma float32
	PtExp bool
}

// pow32 is base^e for base >= 0 with 0^e = 0 (e != 0), 0^0 = 1.
func pow32(base, e float32) float32 {
	if base <= 0 {
		if e == 0 {
			return 1
		}
		return 0
	}
	if e == 2 {
		return base * base
	}
	if e == 1 {
		return base
	}
	return Exp32(e * Log32(base))
}

// Focal is BCE for the sigmoid focal loss.
func Focal(grad, x, t []float32, o *FocalOpts) Sums {
	if cur != setGeneric && o.BCE.Logits && !o.BCE.Ignore && !o.PtExp && o.Gamma == 2 {
		return focalVec(grad, x, t, o)
	}
	return focalGo(grad, x, t, o)
}

func focalGo(grad, x, t []float32, o *FocalOpts) Sums {
	var s Sums
	bo := &o.BCE
	ls := bo.Smooth
	gamma, alpha := o.Gamma, o.Alpha
	for i, xv := range x {
		tv := t[i]
		if bad32(xv) || (!bo.Logits && (xv < 0 || xv > 1)) {
			s.Bad = true
		}
		if bo.Ignore && tv == bo.IgnoreValue {
			if grad != nil {
				grad[i] = 0
			}
			continue
		}
		if badTarget(tv) {
			s.Bad = true
		}
		s.Cnt++
		if ls != 0 {
			tv = tv*(1-ls) + (1-tv)*ls
		}
		ce, dce := bceTerm32(bo, xv, tv)
		var dpt, om float32
		if o.PtExp {
			pt := Exp32(-ce)
			dpt = -pt * dce
			om = 1 - pt
			if ce < 0.25 {
				om = float32(-math.Expm1(-float64(ce)))
			}
		} else {
			p, q, dp := xv, 1-xv, float32(1)
			if bo.Logits {
				p, dp = sigmoidDeriv32(xv)
				q = Sigmoid32(-xv)
			}
			dpt = (2*tv - 1) * dp
			om = tv*q + (1-tv)*p // 1 - p_t
		}
		m := pow32(om, gamma)
		l := ce * m
		d := dce * m
		if ce != 0 {
			// dpt first: ce*gamma overflows for |x| near MaxFloat32, where dpt = 0.
			d -= gamma * pow32(om, gamma-1) * dpt * ce
		}
		if alpha >= 0 {
			at := alpha*tv + (1-alpha)*(1-tv)
			l, d = at*l, at*d
		}
		s.Loss += float64(l)
		if grad != nil {
			grad[i] = d * bo.Scale
		}
	}
	return s
}

// Binary configures the region kernels of binary and multilabel losses:
// p = sigmoid(x) (Logits) or p = x, against a float target t.
type Binary struct {
	Logits      bool
	Ignore      bool
	IgnoreValue float32
	// BCE adds, for dice_bce, the BCE of each element (pos weight 1, no
	// smoothing, BCEEps as BCEOpts.Eps) to Sums.Loss and BCEScale times
	// its derivative to the gradient.
	BCE      bool
	BCEEps   float32
	BCEScale float32
	// Extra asks BinaryStats for SP2, SG2 and Abs too (squared Dice, l1 TP form).
	Extra bool
	// Gradient coefficients: d loss / d p = DSP + 2 DSP2 p + DTP g + DAbs sign(p-g).
	DSP, DSP2, DTP, DAbs float32
	// D1 is DSP + DTP rounded once from float64, used where g = 1: the two
	// nearly cancel in some losses (mcc on a full target).
	D1 float32
	// TWeight says that t is a weight, not a target (boundary's distance
	// map): BinaryStatsDP does not range-check it.
	TWeight bool
}

// BinaryStats returns the region sums of p against t over one chunk, and
// with o.BCE the BCE sum.
func BinaryStats(x, t []float32, o *Binary) Sums {
	if cur != setGeneric && !o.Ignore && (o.Logits || !o.BCE) {
		return binaryStatsVec(x, t, o)
	}
	return binaryStatsGo(x, t, o)
}

func binaryStatsGo(x, t []float32, o *Binary) Sums {
	var s Sums
	bo := BCEOpts{Logits: o.Logits, PosWeight: 1, Eps: o.BCEEps}
	for i, xv := range x {
		tv := t[i]
		if bad32(xv) || (!o.Logits && (xv < 0 || xv > 1)) {
			s.Bad = true
		}
		if o.Ignore && tv == o.IgnoreValue {
			continue
		}
		if badTarget(tv) {
			s.Bad = true
		}
		p := xv
		if o.Logits {
			p = Sigmoid32(xv)
		}
		pf, gf := float64(p), float64(tv)
		s.Cnt++
		s.TP += pf * gf
		s.SP += pf
		s.SG += gf
		s.SP2 += pf * pf
		s.SG2 += gf * gf
		s.Abs += math.Abs(pf - gf)
		if o.BCE {
			l, _ := bceTerm32(&bo, xv, tv)
			s.Loss += float64(l)
		}
	}
	return s
}

// BinaryGrad writes d loss / d x of one chunk into grad, from the
// coefficients of o (zero for ignored elements).
func BinaryGrad(grad, x, t []float32, o *Binary) {
	if cur != setGeneric && !o.Ignore && (o.Logits || !o.BCE) {
		binaryGradVec(grad, x, t, o)
		return
	}
	binaryGradGo(grad, x, t, o)
}

func binaryGradGo(grad, x, t []float32, o *Binary) {
	bo := BCEOpts{Logits: o.Logits, PosWeight: 1, Eps: o.BCEEps}
	for i, xv := range x {
		tv := t[i]
		if o.Ignore && tv == o.IgnoreValue {
			grad[i] = 0
			continue
		}
		p, dp := xv, float32(1)
		if o.Logits {
			p, dp = sigmoidDeriv32(xv)
		}
		d := o.DSP + o.DTP*tv
		if tv == 1 {
			d = o.D1
		}
		d += 2 * o.DSP2 * p
		if p > tv {
			d += o.DAbs
		} else if p < tv {
			d -= o.DAbs
		}
		d *= dp
		if o.BCE {
			_, db := bceTerm32(&bo, xv, tv)
			d += o.BCEScale * db
		}
		grad[i] = d
	}
}

// BinaryStatsDP is BinaryStats for logits (no ignore, no BCE) that also
// writes the sigmoid derivative of each element into dp, so that the
// gradient pass, BinaryGradDP, needs no exponential: d loss / d x =
// dp (DSP + DTP t) for the losses without DSP2 and DAbs terms.
func BinaryStatsDP(dp, x, t []float32, o *Binary) Sums {
	if cur != setGeneric {
		return binaryStatsDPVec(dp, x, t, o)
	}
	return binaryStatsDPGo(dp, x, t, o)
}

// binaryStatsDPGo is binaryStatsGo's loop for logits without ignore or
// BCE, with one exponential per element for both p and dp (the same
// values and sums).
func binaryStatsDPGo(dp, x, t []float32, o *Binary) Sums {
	var s Sums
	t, dp = t[:len(x)], dp[:len(x)]
	for i, xv := range x {
		tv := t[i]
		if bad32(xv) || !o.TWeight && badTarget(tv) {
			s.Bad = true
		}
		p, d := sigmoidDeriv32(xv)
		dp[i] = d
		pf, gf := float64(p), float64(tv)
		s.Cnt++
		s.TP += pf * gf
		s.SP += pf
		s.SG += gf
	}
	return s
}

// BinaryGradDP turns the sigmoid derivatives in g (from BinaryStatsDP)
// into the gradient, in place: g = dp (DSP + DTP t), D1 where t = 1.
func BinaryGradDP(g, t []float32, o *Binary) {
	if cur != setGeneric {
		binaryGradDPVec(g, t, o)
		return
	}
	binaryGradDPGo(g, t, o)
}

func binaryGradDPGo(g, t []float32, o *Binary) {
	for i, tv := range t {
		d := o.DSP + o.DTP*tv
		if tv == 1 {
			d = o.D1
		}
		g[i] *= d
	}
}
