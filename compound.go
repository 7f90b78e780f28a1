package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// focalTerm is the focal part of dice_focal and generalized_dice_focal,
// always on logits (golden2 conventions, focal_term). It returns the term
// and adds w times its gradient with respect to the logits into dx.
//
// focal_form sigmoid (MONAI FocalLoss use_softmax=False): per element of
// the selected channels, one-vs-rest on the (one-hot) target,
// a_t q^gamma ce w_c with ce = -(t log s(x) + (1-t) log s(-x)),
// q = t s(-x) + (1-t) s(x); the mean over the kept elements.
//
// focal_form softmax (multiclass): per pixel
// sum_{c in classes} a_c w_c t_c (1-p_c)^gamma (-log p_c), p the softmax
// over all channels, a_0 = 1-alpha, a_c = alpha; the mean over kept pixels.
//
// Special cases are:
//
//	every element (pixel) ignored: 0, gradient 0
//	alpha null (negative): a = 1
func focalTerm(o *Options, ws *workspace, d *dense, dx []float64, w float64) float64 {
	g := d.g
	gamma, alpha := o.Gamma, o.Alpha
	classes := d.classList()
	var fdx []float64 // the term's own gradient, before the 1/count
	if dx != nil {
		fdx = zeroed(&ws.f2fdx, len(dx))
	}
	if o.FocalTerm == FocalSoftmaxTerm {
		var sum float64
		count := 0
		buf := grow(&ws.f2small, 3*g.c)
		p, lp, bc := buf[:g.c], buf[g.c:2*g.c], buf[2*g.c:]
		for n := 0; n < g.n; n++ {
			for s := 0; s < g.s; s++ {
				if !d.pixel[n*g.s+s] {
					continue
				}
				count++
				softmaxPixel(p, lp, d.x, n*g.c*g.s+s, g.s)
				clear(bc)
				for _, c := range classes {
					t := d.t[d.at(n, c, s)]
					if t == 0 {
						continue
					}
					a := 1.0
					if alpha >= 0 {
						a = alpha
						if c == 0 {
							a = 1 - alpha
						}
					}
					k := a * classWeight(o, c) * t
					om := 1 - p[c]
					m := powZero(om, gamma)
					sum -= k * m * lp[c]
					// p * d/dp [-(1-p)^g log p] = -(1-p)^g + g (1-p)^(g-1) p log p
					pd := -m
					if om > 0 && gamma != 0 {
						pd += gamma * powZero(om, gamma-1) * p[c] * lp[c]
					}
					bc[c] += k * pd
				}
				if fdx != nil {
					var sb float64
					for _, v := range bc {
						sb += v
					}
					for c := 0; c < g.c; c++ {
						fdx[d.at(n, c, s)] = bc[c] - p[c]*sb
					}
				}
			}
		}
		return addMean(sum, count, dx, fdx, w)
	}
	// Sigmoid form: one pass over the elements in parallel chunks, each
	// with one exponential; channel c counts mult[c] times (its
	// multiplicity in classes).
	nch := kernel.Chunks(g.size(), kernel.Chunk)
	buf := zeroed(&ws.f2small, g.c+2*nch)
	mult, sums := buf[:g.c], buf[g.c:]
	for _, c := range classes {
		mult[c]++
	}
	j := &ws.f2focal
	*j = focalSigmoidJob{o: o, d: d, mult: mult, fdx: fdx, sums: sums, nch: nch}
	kernel.Run(j, g.size(), kernel.Chunk)
	*j = focalSigmoidJob{}
	sum := kernel.SumOrdered(sums[:nch])
	count := int(kernel.SumOrdered(sums[nch:]))
	return addMean(sum, count, dx, fdx, w)
}

// focalSigmoidJob is the pass of focalTerm's sigmoid form: chunk ch adds
// the terms of elements [lo, hi) into sums[ch] and their count (with
// multiplicity) into sums[nch+ch], and writes their gradient into fdx
// (when not nil).
type focalSigmoidJob struct {
	o         *Options
	d         *dense
	mult, fdx []float64
	sums      []float64
	nch       int
}

// Do runs chunk ch.
func (j *focalSigmoidJob) Do(ch, lo, hi int) {
	o, d, fdx := j.o, j.d, j.fdx
	g := d.g
	gamma, alpha := o.Gamma, o.Alpha
	var sum, count float64
	for i := lo; i < hi; i++ {
		c := (i / g.s) % g.c
		m := j.mult[c]
		if m == 0 || !d.keep[i] {
			continue
		}
		count += m
		x, t := d.x[i], d.t[i]
		e := math.Exp(-math.Abs(x))
		lg := math.Log1p(e)
		var sx, smx float64 // sigmoid(x), sigmoid(-x)
		if x >= 0 {
			sx, smx = 1/(1+e), e/(1+e)
		} else {
			sx, smx = e/(1+e), 1/(1+e)
		}
		ce := t*(lg+math.Max(-x, 0)) + (1-t)*(lg+math.Max(x, 0))
		dce := sx - t
		q := t*smx + (1-t)*sx
		dq := (1 - 2*t) * sx * smx
		var pw, l, dl float64
		switch gamma {
		case 0:
			l, dl = ce, dce
		case 2:
			l, dl = q*q*ce, q*q*dce+2*q*dq*ce
		default:
			pw = powZero(q, gamma)
			l, dl = pw*ce, pw*dce
			if q > 0 {
				dl += gamma * powZero(q, gamma-1) * dq * ce
			}
		}
		a := m * classWeight(o, c)
		if alpha >= 0 {
			a *= alpha*t + (1-alpha)*(1-t)
		}
		sum += a * l
		if fdx != nil {
			fdx[i] = a * dl
		}
	}
	j.sums[ch], j.sums[j.nch+ch] = sum, count
}

// classWeight returns the weight of class c: ClassWeights[c], or 1
// without class weights.
func classWeight(o *Options, c int) float64 {
	if o.ClassWeights != nil {
		return o.ClassWeights[c]
	}
	return 1
}

// addMean returns sum/count and adds w*src/count into dst (nothing when
// count is 0: the mean over no element is 0 with zero gradient).
func addMean(sum float64, count int, dst, src []float64, w float64) float64 {
	if count == 0 {
		return 0
	}
	inv := 1 / float64(count)
	for i, v := range src {
		dst[i] += w * v * inv
	}
	return sum * inv
}

// clampProb clamps p to [eps, 1-eps] and reports whether the gradient
// passes (zero strictly outside, passing at the bounds).
func clampProb(p, eps float64) (float64, bool) {
	if p < eps {
		return eps, false
	}
	if p > 1-eps {
		return 1 - eps, false
	}
	return p, true
}

// comboLoss is Taghanaki et al. 2019 (mlyg combo_loss):
// ce_ratio CE - (1-ce_ratio) mean Dice coefficient. CE is on p clamped to
// [eps, 1-eps]: per element -(alpha t log p + (1-alpha)(1-t) log(1-p))
// (binary, multilabel) or per pixel -sum_c a_c t_c log p_c, a_0 = 1-alpha,
// a_c = alpha (multiclass); alpha null: weights 1. The Dice coefficient
// (2TP + smooth)/(sum p + sum g + smooth) is on the unclamped p, per class
// (and sample), then the mean.
//
// Special cases are:
//
//	every element ignored: CE 0, every coefficient smooth/smooth = 1
//	the loss may be negative (down to -(1-ce_ratio))
func comboLoss(o *Options, ws *workspace, d *dense, dp []float64) float64 {
	g := d.g
	alpha := o.Alpha
	var ce float64
	count := 0
	// Cross-entropy, written into dp scaled by ce_ratio/count at the end.
	var cedp []float64
	if dp != nil {
		cedp = zeroed(&ws.f2fdx, len(dp))
	}
	if o.Mode == Multiclass {
		for n := 0; n < g.n; n++ {
			for s := 0; s < g.s; s++ {
				if !d.pixel[n*g.s+s] {
					continue
				}
				count++
				for c := 0; c < g.c; c++ {
					i := d.at(n, c, s)
					t := d.t[i]
					if t == 0 {
						continue
					}
					a := 1.0
					if alpha >= 0 {
						a = alpha
						if c == 0 {
							a = 1 - alpha
						}
					}
					pc, pass := clampProb(d.p[i], o.Eps)
					ce -= a * t * math.Log(pc)
					if cedp != nil && pass {
						cedp[i] = -a * t / pc
					}
				}
			}
		}
	} else {
		for i, k := range d.keep {
			if !k {
				continue
			}
			count++
			t := d.t[i]
			a, b := 1.0, 1.0
			if alpha >= 0 {
				a, b = alpha, 1-alpha
			}
			pc, pass := clampProb(d.p[i], o.Eps)
			ce -= a*t*math.Log(pc) + b*(1-t)*math.Log(1-pc)
			if cedp != nil && pass {
				cedp[i] = -a*t/pc + b*(1-t)/(1-pc)
			}
		}
	}
	var loss float64
	if count > 0 {
		loss = o.CERatio * ce / float64(count)
		for i, v := range cedp {
			dp[i] += o.CERatio * v / float64(count)
		}
	}
	// Mean Dice coefficient over (group, class).
	G := d.groups()
	K := G * g.c
	buf := zeroed(&ws.f2small, 5*K)
	tp, sp, sg, dTP, dSP := buf[:K], buf[K:2*K], buf[2*K:3*K], buf[3*K:4*K], buf[4*K:]
	for n := 0; n < g.n; n++ {
		for c := 0; c < g.c; c++ {
			k := d.group(n)*g.c + c
			for s := 0; s < g.s; s++ {
				i := d.at(n, c, s)
				if !d.keep[i] {
					continue
				}
				tp[k] += d.p[i] * d.t[i]
				sp[k] += d.p[i]
				sg[k] += d.t[i]
			}
		}
	}
	a := (1 - o.CERatio) / float64(G*g.c)
	for k := range tp {
		den := sp[k] + sg[k] + o.Smooth
		dc := (2*tp[k] + o.Smooth) / den
		loss -= a * dc
		dTP[k] = -a * 2 / den
		dSP[k] = a * dc / den
	}
	if dp != nil {
		for n := 0; n < g.n; n++ {
			for c := 0; c < g.c; c++ {
				k := d.group(n)*g.c + c
				for s := 0; s < g.s; s++ {
					i := d.at(n, c, s)
					if d.keep[i] {
						dp[i] += dTP[k]*d.t[i] + dSP[k]
					}
				}
			}
		}
	}
	return loss
}
