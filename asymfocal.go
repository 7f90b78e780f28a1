package segloss

import "math"

// The asymmetric and unified focal losses of Yeung et al. 2022 (MONAI
// AsymmetricFocalLoss, AsymmetricFocalTverskyLoss,
// AsymmetricUnifiedFocalLoss) on K >= 2 channels, channel 0 the
// background: multiclass reads the C channels, binary the two channels
// [1-p, p] against [1-g, g].

// asymChannels returns K, the number of channels the asymmetric losses see.
func (d *dense) asymChannels() int {
	if d.o.Mode == Multiclass {
		return d.g.c
	}
	return 2
}

// asym returns channel k of pixel (n, s) as the asymmetric losses see it:
// P, T, and the flat index and sign by which dL/dP reaches dL/dp.
func (d *dense) asym(n, k, s int) (P, T float64, i int, sign float64) {
	if d.o.Mode == Multiclass {
		i = d.at(n, k, s)
		return d.p[i], d.t[i], i, 1
	}
	i = d.at(n, 0, s)
	if k == 0 {
		return 1 - d.p[i], 1 - d.t[i], i, -1
	}
	return d.p[i], d.t[i], i, 1
}

// asymmetricFocal is, per kept pixel, (1-delta)(1-P_0)^gamma (-T_0 log P_0)
// + delta sum_{c>=1} (-T_c log P_c) with P clamped to [eps, 1-eps], then
// the mean over kept pixels. It adds w times its gradient into dp.
//
// Special cases are:
//
//	every pixel ignored: 0, gradient 0
func asymmetricFocal(o *Options, ws *workspace, d *dense, dp []float64, w float64) float64 {
	g := d.g
	K := d.asymChannels()
	delta, gamma := o.Delta, o.Gamma
	var sum float64
	count := 0
	var acc []float64
	if dp != nil {
		acc = zeroed(&ws.f2fdx, len(dp))
	}
	for n := 0; n < g.n; n++ {
		for s := 0; s < g.s; s++ {
			if !d.pixel[n*g.s+s] {
				continue
			}
			count++
			for k := 0; k < K; k++ {
				P, T, i, sign := d.asym(n, k, s)
				if T == 0 {
					continue
				}
				pc, pass := clampProb(P, o.Eps)
				lg := math.Log(pc)
				if k == 0 {
					om := 1 - pc
					m := powZero(om, gamma)
					sum += (1 - delta) * m * (-T * lg)
					if acc != nil && pass {
						dv := -m * T / pc
						if gamma != 0 && om > 0 {
							dv += gamma * powZero(om, gamma-1) * T * lg
						}
						acc[i] += sign * (1 - delta) * dv
					}
					continue
				}
				sum += delta * (-T * lg)
				if acc != nil && pass {
					acc[i] += sign * delta * (-T / pc)
				}
			}
		}
	}
	return addMean(sum, count, dp, acc, w)
}

// asymmetricFocalTversky is, per class (and sample), the Tversky index
// TI = (TP + smooth)/(TP + delta FN + (1-delta) FP + smooth) on P clamped
// to [eps, 1-eps] over the kept pixels, and the mean of [1 - TI_0,
// (1 - TI_c)^(1-gamma) for c >= 1]. It adds w times its gradient into dp.
//
// Special cases are:
//
//	TI_c = 1 for c >= 1: that class's loss is 0 with gradient 0
func asymmetricFocalTversky(o *Options, ws *workspace, d *dense, dp []float64, w float64) float64 {
	g := d.g
	K := d.asymChannels()
	G := d.groups()
	delta, gamma, sm := o.Delta, o.Gamma, o.Smooth
	E := G * K
	buf := zeroed(&ws.f2small, 5*E)
	tp, st, sp := buf[:E], buf[E:2*E], buf[2*E:3*E]
	dTP, dSP := buf[3*E:4*E], buf[4*E:] // d loss / d TP, d loss / d sum P
	for n := 0; n < g.n; n++ {
		for s := 0; s < g.s; s++ {
			if !d.pixel[n*g.s+s] {
				continue
			}
			for k := 0; k < K; k++ {
				P, T, _, _ := d.asym(n, k, s)
				pc, _ := clampProb(P, o.Eps)
				e := d.group(n)*K + k
				tp[e] += pc * T
				st[e] += T
				sp[e] += pc
			}
		}
	}
	inv := 1 / float64(G*K)
	var loss float64
	for e := range tp {
		// TP + delta (ST - TP) + (1-delta)(SP - TP) = delta ST + (1-delta) SP.
		den := delta*st[e] + (1-delta)*sp[e] + sm
		ti := (tp[e] + sm) / den
		var dl float64
		if e%K == 0 {
			loss += (1 - ti) * inv
			dl = -inv
		} else if om := 1 - ti; om > 0 {
			loss += math.Pow(om, 1-gamma) * inv
			dl = -(1 - gamma) * math.Pow(om, -gamma) * inv
		}
		dTP[e] = dl / den
		dSP[e] = -dl * ti * (1 - delta) / den
	}
	if dp == nil {
		return loss
	}
	for n := 0; n < g.n; n++ {
		for s := 0; s < g.s; s++ {
			if !d.pixel[n*g.s+s] {
				continue
			}
			for k := 0; k < K; k++ {
				P, T, i, sign := d.asym(n, k, s)
				if _, pass := clampProb(P, o.Eps); !pass {
					continue
				}
				e := d.group(n)*K + k
				dp[i] += w * sign * (dTP[e]*T + dSP[e])
			}
		}
	}
	return loss
}
