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
		return bceLogits32(x, t, Exp32(negAbs32(x)), o.PosWeight)
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

// bceLogits32 is bceTerm32 from logits with pos weight pw, given
// e = Exp32(-|x|) (bceLogitsBlock on one element).
func bceLogits32(x, t, e, pw float32) (loss, d float32) {
	var l, g [1]float32
	bceLogitsBlock(l[:], g[:], []float32{x}, []float32{t}, []float32{e}, pw, 0)
	return l[0], g[0]
}

// bceLogitsBlock writes the BCE from logits (pos weight pw, label
// smoothing ls) of each element of x against t into l and its derivative
// in x into d, given e = Exp32(-|x|) (expNegAbs32), without calls or
// branches: softplus(x) = max(x, 0) + log1p(e), softplus(-x) =
// log1p(e) - min(x, 0).
func bceLogitsBlock(l, d, x, t, e []float32, pw, ls float32) {
	l, d, t, e = l[:len(x)], d[:len(x)], t[:len(x)], e[:len(x)]
	for i, xv := range x {
		tv := t[i]
		if ls != 0 {
			tv = tv*(1-ls) + (1-tv)*ls
		}
		p, q, _ := sigmoidExp32(xv, e[i])
		l1p := Log1pSmall32(e[i])
		spx, spn := l1p+max(xv, 0), l1p-min(xv, 0)
		l[i], d[i] = pw*tv*spn+(1-tv)*spx, (1-tv)*p-pw*tv*q
	}
}

// bceBlock writes the BCE terms of a block of x against t (label
// smoothing applied) into l and their derivatives into d; from logits it
// first writes e^-|x| into e (expNegAbs32) and runs bceLogitsBlock.
func bceBlock(l, d, e, x, t []float32, o *BCEOpts) {
	if o.Logits {
		expNegAbs32(e, x)
		bceLogitsBlock(l, d, x, t, e, o.PosWeight, o.Smooth)
		return
	}
	ls := o.Smooth
	l, d, t = l[:len(x)], d[:len(x)], t[:len(x)]
	for i, xv := range x {
		tv := t[i]
		if ls != 0 {
			tv = tv*(1-ls) + (1-tv)*ls
		}
		l[i], d[i] = bceTerm32(o, xv, tv)
	}
}

// keep flags a bad x or t in s.Bad and reports whether the element
// counts (is not ignored), counting it in s.Cnt.
func (o *BCEOpts) keep(s *Sums, x, t float32) bool {
	if bad32(x) || (!o.Logits && (x < 0 || x > 1)) {
		s.Bad = true
	}
	if o.Ignore && t == o.IgnoreValue {
		return false
	}
	if badTarget(t) {
		s.Bad = true
	}
	s.Cnt++
	return true
}

// blk is the block length of the plain-Go loops: the exponentials of a
// block are computed first, in one tight loop (expNegAbs32), into a
// buffer on the stack.
const blk = 256

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
	var eb, lb, db [blk]float32
	t = t[:len(x)]
	for i0 := 0; i0 < len(x); i0 += blk {
		xb := x[i0:min(i0+blk, len(x))]
		tb := t[i0:][:len(xb)]
		bceBlock(lb[:], db[:], eb[:], xb, tb, o)
		for i, xv := range xb {
			if !o.keep(&s, xv, tb[i]) {
				if grad != nil {
					grad[i0+i] = 0
				}
				continue
			}
			s.Loss += float64(lb[i])
			if grad != nil {
				grad[i0+i] = db[i] * o.Scale
			}
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

// Pow32 is base^e for base >= 0 with 0^e = 0 (e != 0), 0^0 = 1, in
// float32 (the focal factors of the focal and asymmetric focal losses).
func Pow32(base, e float32) float32 { return pow32(base, e) }

// pow32 is Pow32: the exponents 2 and 1 inline; the rest is powSlow32.
func pow32(base, e float32) float32 {
	if base > 0 {
		switch e {
		case 2:
			return base * base
		case 1:
			return base
		}
	}
	return powSlow32(base, e)
}

// powSlow32 is pow32 for every base and exponent.
func powSlow32(base, e float32) float32 {
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
	var eb, lb, db [blk]float32
	bo := &o.BCE
	ls := bo.Smooth
	gamma, alpha := o.Gamma, o.Alpha
	t = t[:len(x)]
	for i0 := 0; i0 < len(x); i0 += blk {
		xb := x[i0:min(i0+blk, len(x))]
		tb, e := t[i0:][:len(xb)], eb[:len(xb)]
		var gb []float32
		if grad != nil {
			gb = grad[i0:][:len(xb)]
		}
		bceBlock(lb[:], db[:], e, xb, tb, bo)
		for i, xv := range xb {
			tv := tb[i]
			if !bo.keep(&s, xv, tv) {
				if gb != nil {
					gb[i] = 0
				}
				continue
			}
			if ls != 0 {
				tv = tv*(1-ls) + (1-tv)*ls
			}
			ce, dce := lb[i], db[i]
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
					p, q, dp = sigmoidExp32(xv, e[i])
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
			if gb != nil {
				gb[i] = d * bo.Scale
			}
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
	// Keep (laid out like x, in practice the gradient buffer), when not
	// nil, lets the plain-Go kernels from logits skip the second
	// exponential: BinaryStats stores e^-|x| of each element in it, and
	// BinaryGrad, given Keep == grad, reads them back instead of
	// recomputing them (the same bits). The vector kernels recompute and
	// leave Keep alone; both passes must run on the same kernel set.
	Keep []float32
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
	var eb, lb, db, pb, gb [blk]float32
	bo := BCEOpts{Logits: o.Logits, PosWeight: 1, Eps: o.BCEEps}
	t = t[:len(x)]
	for i0 := 0; i0 < len(x); i0 += blk {
		xb := x[i0:min(i0+blk, len(x))]
		tb, e := t[i0:][:len(xb)], eb[:len(xb)]
		pv, gv := pb[:len(xb)], gb[:len(xb)]
		if o.Logits {
			expNegAbs32(e, xb)
			if o.Keep != nil {
				copy(o.Keep[i0:][:len(e)], e)
			}
			if o.BCE {
				bceLogitsBlock(lb[:], db[:], xb, tb, e, 1, 0)
			}
		}
		cnt := 0
		for i, xv := range xb {
			tv := tb[i]
			if bad32(xv) || (!o.Logits && (xv < 0 || xv > 1)) {
				s.Bad = true
			}
			if o.Ignore && tv == o.IgnoreValue {
				pv[i], gv[i] = 0, 0 // adds nothing to the region sums
				continue
			}
			if badTarget(tv) {
				s.Bad = true
			}
			p := xv
			if o.Logits {
				p, _, _ = sigmoidExp32(xv, e[i])
			}
			pv[i], gv[i] = p, tv
			cnt++
			if o.BCE {
				l := lb[i]
				if !o.Logits {
					l, _ = bceTerm32(&bo, xv, tv)
				}
				s.Loss += float64(l)
			}
		}
		addRegion(&s, pv, gv, true)
		s.Cnt += float64(cnt)
	}
	return s
}

// addRegion adds the region sums of one block of probabilities p and
// targets g (both 0 where an element is ignored) into s: TP, SP and SG,
// and with extra SP2, SG2 and Abs. Each group of 4 elements from the
// block's start is summed in float32 as (v0 + v1) + (v2 + v3), then added
// to the float64 sum, and the 1 to 3 elements after the last group one at
// a time (in float64): four independent float32 chains instead of one
// float64 chain per element, the plain-Go form of the vector kernels'
// blocked sums. binaryStatsGo and binaryStatsDPGo share it, so that a
// loss's value is the same with and without its gradient.
func addRegion(s *Sums, p, g []float32, extra bool) {
	g = g[:len(p)]
	n4 := len(p) &^ 3
	for i := 0; i < n4; i += 4 {
		q, y := p[i:i+4:i+4], g[i:i+4:i+4]
		s.TP += float64((q[0]*y[0] + q[1]*y[1]) + (q[2]*y[2] + q[3]*y[3]))
		s.SP += float64((q[0] + q[1]) + (q[2] + q[3]))
		s.SG += float64((y[0] + y[1]) + (y[2] + y[3]))
	}
	for i := n4; i < len(p); i++ {
		pf, gf := float64(p[i]), float64(g[i])
		s.TP += pf * gf
		s.SP += pf
		s.SG += gf
	}
	if !extra {
		return
	}
	for i := 0; i < n4; i += 4 {
		q, y := p[i:i+4:i+4], g[i:i+4:i+4]
		s.SP2 += float64((q[0]*q[0] + q[1]*q[1]) + (q[2]*q[2] + q[3]*q[3]))
		s.SG2 += float64((y[0]*y[0] + y[1]*y[1]) + (y[2]*y[2] + y[3]*y[3]))
		a0, a1 := abs32(q[0]-y[0]), abs32(q[1]-y[1])
		a2, a3 := abs32(q[2]-y[2]), abs32(q[3]-y[3])
		s.Abs += float64((a0 + a1) + (a2 + a3))
	}
	for i := n4; i < len(p); i++ {
		pf, gf := float64(p[i]), float64(g[i])
		s.SP2 += pf * pf
		s.SG2 += gf * gf
		s.Abs += math.Abs(pf - gf)
	}
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
	var eb [blk]float32
	bo := BCEOpts{Logits: o.Logits, PosWeight: 1, Eps: o.BCEEps}
	dsp, dtp, d1, dsp2, dabs := o.DSP, o.DTP, o.D1, 2*o.DSP2, o.DAbs
	t, grad = t[:len(x)], grad[:len(x)]
	for i0 := 0; i0 < len(x); i0 += blk {
		xb := x[i0:min(i0+blk, len(x))]
		tb, gb, e := t[i0:][:len(xb)], grad[i0:][:len(xb)], eb[:len(xb)]
		if o.Logits {
			if o.Keep != nil { // the stats pass's e^-|x|, in grad
				copy(e, gb)
			} else {
				expNegAbs32(e, xb)
			}
		}
		for i, xv := range xb {
			tv := tb[i]
			if o.Ignore && tv == o.IgnoreValue {
				gb[i] = 0
				continue
			}
			p, q, dp := xv, float32(0), float32(1)
			if o.Logits {
				p, q, dp = sigmoidExp32(xv, e[i])
			}
			d := sel32(tv == 1, d1, dsp+dtp*tv)
			d += dsp2 * p
			d = sel32(p > tv, d+dabs, sel32(p < tv, d-dabs, d))
			d *= dp
			if o.BCE {
				var dce float32
				if o.Logits { // bceLogitsBlock's derivative, pos weight 1
					dce = (1-tv)*p - tv*q
				} else {
					_, dce = bceTerm32(&bo, xv, tv)
				}
				d += o.BCEScale * dce
			}
			gb[i] = d
		}
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
// values and, by addRegion, the same sums).
func binaryStatsDPGo(dp, x, t []float32, o *Binary) Sums {
	var s Sums
	var eb [blk]float32
	t, dp = t[:len(x)], dp[:len(x)]
	for i0 := 0; i0 < len(x); i0 += blk {
		xb := x[i0:min(i0+blk, len(x))]
		tb, db, e := t[i0:][:len(xb)], dp[i0:][:len(xb)], eb[:len(xb)]
		expNegAbs32(e, xb)
		var chk float32 // v - v is 0 for a finite v, NaN otherwise: branch-free
		for i, xv := range xb {
			tv := tb[i]
			chk += xv - xv
			if !o.TWeight && badTarget(tv) {
				s.Bad = true
			}
			p, _, d := sigmoidExp32(xv, e[i])
			db[i], e[i] = d, p // e now holds the probabilities
		}
		s.Bad = s.Bad || chk != 0
		addRegion(&s, e, tb, false)
	}
	s.Cnt = float64(len(x))
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
	dsp, dtp, d1 := o.DSP, o.DTP, o.D1
	g = g[:len(t)]
	for i, tv := range t {
		g[i] *= sel32(tv == 1, d1, dsp+dtp*tv)
	}
}
