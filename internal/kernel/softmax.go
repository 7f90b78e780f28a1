package kernel

// MaxSoftmaxC is the largest channel count the softmax kernels take; the
// caller uses its general code for more channels.
const MaxSoftmaxC = 16

// Softmax configures the multiclass kernels: softmax over C channels of
// one sample (x holds C rows of S values, channel-major), against class
// indices lab (S values). A kernel call covers the pixels [S0, S1).
type Softmax struct {
	C, S, S0, S1 int
	Ignore       bool
	IgnoreIndex  int32
	// Weights (length C, nil: all 1) weight the cross-entropy of a pixel
	// by the weight of its class: CE loss sum_c w_c t_c (lse - x_c) and
	// denominator w_y.
	Weights []float32
	Smooth  float32 // label smoothing of the cross-entropy: t = (1-s) 1[c=y] + s/C
	Scale   float32 // CE gradient multiplier (1/denominator for a mean)
	// PixLoss, when not nil (length S), receives from SoftmaxCE the
	// cross-entropy of each pixel of [S0, S1), -1 for an ignored one
	// (topk_ce selects pixels by it).
	PixLoss []float32
	// Region losses: Extra asks for SP2 and Abs; CE adds the cross-entropy
	// to Sums.Loss (and Den) of class 0 and CEScale times its gradient.
	Extra   bool
	CE      bool
	CEScale float32
	// Per-class gradient coefficients (length C): d loss / d p_c =
	// DSP + 2 DSP2 p + DTP 1[y=c] + DAbs sign(p - 1[y=c]).
	DSP, DSP2, DTP, DAbs []float32
	D1                   []float32 // DSP + DTP rounded once, for the labelled class
	// Keep (laid out like x, in practice the gradient buffer), when not
	// nil, lets the plain-Go kernels skip the second softmax: SoftmaxStats
	// stores the probabilities of [S0, S1) in it, and SoftmaxGrad, given
	// Keep == grad, reads them back instead of recomputing them (the same
	// bits). The vector kernels recompute (cheaper than the memory traffic)
	// and leave Keep alone; both passes must run on the same kernel set.
	Keep []float32
}

// softmaxPixel32 fills p with the softmax of the channels of pixel s and
// returns the log-sum-exp.
func softmaxPixel32(p []float32, x []float32, s, S int) float32 {
	var l [1]float32
	softmaxBlock32(p, 1, l[:], x, len(p), S, s, 1)
	return l[0]
}

// sb is the pixel block length of the plain-Go softmax kernels.
const sb = 64

// softmaxBlock32 writes the softmax of the C channels of the n <= sb
// pixels [s0, s0+n) of x (C rows of S) into p (channel c of pixel s0+i at
// p[c*ps+i]) and their log-sum-exp into lse[:n] (nil: not needed). Channel
// by channel over the block: the running max, e^(x-max) by expNegAbs32
// (x-max <= 0), the sum z in channel order, p = e (1/z), lse = max +
// Log32(z).
func softmaxBlock32(p []float32, ps int, lse, x []float32, C, S, s0, n int) {
	var mb, zb [sb]float32
	m, z := mb[:n], zb[:n]
	copy(m, x[s0:s0+n])
	for c := 1; c < C; c++ {
		for i, v := range x[c*S+s0:][:n] {
			m[i] = sel32(v > m[i], v, m[i]) // not max: no NaN or ±0 fix-ups (a NaN is flagged anyway; ±0 give the same e and lse)
		}
	}
	for c := 0; c < C; c++ {
		pc := p[c*ps:][:n]
		for i, v := range x[c*S+s0:][:n] {
			pc[i] = v - m[i]
		}
		expNegAbs32(pc, pc)
		for i, e := range pc {
			z[i] += e
		}
	}
	if lse != nil {
		lse = lse[:n]
		for i, zv := range z {
			lse[i] = m[i] + Log32(zv)
		}
	}
	for i, zv := range z {
		z[i] = 1 / zv
	}
	for c := 0; c < C; c++ {
		pc := p[c*ps:][:n]
		for i, inv := range z {
			pc[i] *= inv
		}
	}
}

// badLabel reports a label that is neither in [0, C) nor ignored.
func (o *Softmax) badLabel(y int32) bool {
	return (y < 0 || int(y) >= o.C) && !(o.Ignore && y == o.IgnoreIndex)
}

// checkBlock flags in s.Bad the non-finite logits of the n <= sb pixels
// [b0, b0+n) and their labels (lab nil: none) that are neither in [0, C)
// nor the ignore index; with yb, it writes each pixel's label into yb[:n]:
// 0 in place of a bad one, -1 for an ignored pixel. It is the one input
// check of the plain-Go softmax kernels.
func (o *Softmax) checkBlock(s *Sums, yb []int32, x []float32, lab []int32, b0, n int) {
	var chk float32 // v - v is 0 for a finite v, NaN otherwise: branch-free
	for c := 0; c < o.C; c++ {
		for _, v := range x[c*o.S+b0:][:n] {
			chk += v - v
		}
	}
	bad := chk != 0
	if lab != nil {
		for i, y := range lab[b0:][:n] {
			if o.badLabel(y) {
				bad, y = true, 0
			}
			if o.Ignore && y == o.IgnoreIndex {
				y = -1
			}
			if yb != nil {
				yb[i] = y
			}
		}
	}
	if bad {
		s.Bad = true
	}
}

// SoftmaxCE writes the cross-entropy gradient times o.Scale into grad (nil:
// none) for pixels [S0, S1) and returns the loss sum (Loss) and the sum of
// the label weights (Den).
func SoftmaxCE(grad, x []float32, lab []int32, o *Softmax) Sums {
	if cur != setGeneric && o.C <= MaxSoftmaxC {
		return softmaxCEVec(grad, x, lab, o)
	}
	return softmaxCEGo(grad, x, lab, o)
}

func softmaxCEGo(grad, x []float32, lab []int32, o *Softmax) Sums {
	var s Sums
	var pb [MaxSoftmaxC * sb]float32
	var lb [sb]float32
	var wb [MaxSoftmaxC * 4]float32
	C, S := o.C, o.S
	wt := wb[:C]
	ls := o.Smooth
	t0 := ls / float32(C)
	t1 := t0 + (1 - ls) // the labelled class
	var yb [sb]int32
	hard := ls == 0 && o.Weights == nil
	for b0 := o.S0; b0 < o.S1; b0 += sb {
		n := min(sb, o.S1-b0)
		softmaxBlock32(pb[:], sb, lb[:], x, C, S, b0, n)
		o.checkBlock(&s, yb[:], x, lab, b0, n)
		if hard {
			ceHardBlock(&s, grad, x, pb[:], lb[:n], yb[:n], o, b0)
			continue
		}
		for i := 0; i < n; i++ {
			px := b0 + i
			y := yb[i]
			if y < 0 { // ignored
				if grad != nil {
					for c := 0; c < C; c++ {
						grad[c*S+px] = 0
					}
				}
				if o.PixLoss != nil {
					o.PixLoss[px] = -1
				}
				continue
			}
			lse := lb[i]
			var sw float32
			var loss float64
			for c := 0; c < C; c++ {
				t := sel32(int32(c) == y, t1, t0)
				if o.Weights != nil {
					t *= o.Weights[c]
				}
				wt[c] = t
				sw += t
				loss += float64(t) * float64(lse-x[c*S+px])
			}
			s.Loss += loss
			if o.PixLoss != nil {
				o.PixLoss[px] = float32(max(loss, 0))
			}
			if o.Weights != nil {
				s.Den += float64(o.Weights[y])
			} else {
				s.Den++
			}
			if grad != nil {
				for c := 0; c < C; c++ {
					grad[c*S+px] = o.Scale * (pb[c*sb+i]*sw - wt[c])
				}
			}
		}
	}
	return s
}

// ceHardBlock is softmaxCEGo's block for hard labels without smoothing or
// weights: the per-pixel loss is lse - x_y (the general loop's sum of
// t (lse - x_c) with t = 0 or 1 in class order, so the same bits), and the
// gradient Scale (p - [c = y]) is written class by class (contiguous
// stores), 0 for an ignored pixel.
func ceHardBlock(s *Sums, grad, x, pb, lse []float32, yb []int32, o *Softmax, b0 int) {
	S := o.S
	yb = yb[:len(lse)]
	for i, y := range yb {
		if y < 0 {
			if o.PixLoss != nil {
				o.PixLoss[b0+i] = -1
			}
			continue
		}
		l := float64(lse[i] - x[int(y)*S+b0+i])
		s.Loss += l
		s.Den++
		if o.PixLoss != nil {
			o.PixLoss[b0+i] = float32(max(l, 0))
		}
	}
	if grad == nil {
		return
	}
	for c := 0; c < o.C; c++ {
		pc, gc, c32 := pb[c*sb:][:len(yb)], grad[c*S+b0:][:len(yb)], int32(c)
		for i, y := range yb {
			g := o.Scale * (pc[i] - sel32(y == c32, 1, 0))
			gc[i] = sel32(y < 0, 0, g)
		}
	}
}

// SoftmaxStats adds the region sums of each class c over pixels [S0, S1)
// into out[c] (length C); with o.CE it adds the cross-entropy sum and its
// denominator into out[0].Loss and out[0].Den.
func SoftmaxStats(out []Sums, x []float32, lab []int32, o *Softmax) {
	if cur != setGeneric && o.C <= MaxSoftmaxC {
		softmaxStatsVec(out, x, lab, o)
		return
	}
	softmaxStatsGo(out, x, lab, o)
}

func softmaxStatsGo(out []Sums, x []float32, lab []int32, o *Softmax) {
	var pb [MaxSoftmaxC * sb]float32
	var lb [sb]float32
	var yb [sb]int32 // label of each pixel of the block, -1 if ignored
	C, S := o.C, o.S
	var lse []float32 // the log-sum-exp, for the cross-entropy only
	if o.CE {
		lse = lb[:]
	}
	for b0 := o.S0; b0 < o.S1; b0 += sb {
		n := min(sb, o.S1-b0)
		softmaxBlock32(pb[:], sb, lse, x, C, S, b0, n)
		if o.Keep != nil {
			for c := 0; c < C; c++ {
				copy(o.Keep[c*S+b0:][:n], pb[c*sb:][:n])
			}
		}
		o.checkBlock(&out[0], yb[:], x, lab, b0, n)
		for i := 0; o.CE && i < n; i++ { // the cross-entropy, in pixel order
			y := yb[i]
			if y < 0 {
				continue
			}
			w := float32(1)
			if o.Weights != nil {
				w = o.Weights[y]
			}
			out[0].Loss += float64(w) * float64(lb[i]-x[int(y)*S+b0+i])
			out[0].Den += float64(w)
		}
		// Per class, in pixel order: the sums of each class are
		// independent of the others and of Loss and Den. The counts
		// (Cnt, SG = SG2 for hard labels) are integers, added once per
		// block: the same values as one at a time.
		for c := 0; c < C; c++ {
			r := &out[c]
			var cnt, hits int
			sp, tp := r.SP, r.TP
			pc := pb[c*sb:][:n]
			for i, pv32 := range pc {
				y := yb[i]
				if y < 0 {
					continue
				}
				pv := float64(pv32)
				hit := y == int32(c)
				cnt++
				sp += pv
				tp += sel64(hit, pv, 0)
				hits += b2i(hit)
			}
			if o.Extra { // squared Dice, l1 TP form
				sp2, abs := r.SP2, r.Abs
				for i, pv32 := range pc {
					y := yb[i]
					if y < 0 {
						continue
					}
					pv := float64(pv32)
					sp2 += pv * pv
					abs += sel64(y == int32(c), 1-pv, pv)
				}
				r.SP2, r.Abs = sp2, abs
			}
			r.SP, r.TP = sp, tp
			r.Cnt += float64(cnt)
			r.SG += float64(hits)
			r.SG2 += float64(hits)
		}
	}
	if !o.Extra {
		for c := range out[:C] {
			out[c].SP2, out[c].Abs = 0, 0
		}
	}
}

// SoftmaxGrad writes the gradient of a region loss (and, with o.CE, of
// CEScale times the cross-entropy) through the softmax into grad for
// pixels [S0, S1); ignored pixels get 0.
func SoftmaxGrad(grad, x []float32, lab []int32, o *Softmax) {
	if cur != setGeneric && o.C <= MaxSoftmaxC {
		softmaxGradVec(grad, x, lab, o)
		return
	}
	softmaxGradGo(grad, x, lab, o)
}

func softmaxGradGo(grad, x []float32, lab []int32, o *Softmax) {
	var pb, db [MaxSoftmaxC * sb]float32 // probabilities, d loss / d p
	var dot, wb [sb]float32
	C, S := o.C, o.S
	for b0 := o.S0; b0 < o.S1; b0 += sb {
		n := min(sb, o.S1-b0)
		if o.Keep != nil { // the stats pass's probabilities, in grad
			for c := 0; c < C; c++ {
				copy(pb[c*sb:][:n], grad[c*S+b0:][:n])
			}
		} else {
			softmaxBlock32(pb[:], sb, nil, x, C, S, b0, n)
		}
		ys := lab[b0:][:n]
		// Class by class over the block, each pixel's terms in class
		// order: the same operations as one pixel at a time.
		dt := dot[:n]
		clear(dt)
		for c := 0; c < C; c++ {
			k2, dsp, dabs, d1 := 2*o.DSP2[c], o.DSP[c], o.DAbs[c], o.D1[c]
			pc := pb[c*sb:][:n]
			dc, ys, dt := db[c*sb:][:len(pc)], ys[:len(pc)], dt[:len(pc)]
			for i, pv := range pc {
				q := k2 * pv
				dn := dsp + q // other classes: + DAbs where p > 0
				dn = sel32(pv > 0, dn+dabs, dn)
				dy := d1 + q // the labelled class: - DAbs where p < 1
				dy = sel32(pv < 1, dy-dabs, dy)
				d := sel32(ys[i] == int32(c), dy, dn)
				dc[i] = d
				dt[i] += pv * d
			}
		}
		if o.CE {
			w := wb[:n]
			for i, y := range ys {
				w[i] = 1
				if o.Weights != nil && !(o.Ignore && y == o.IgnoreIndex) {
					w[i] = o.Weights[y]
				}
			}
		}
		for c := 0; c < C; c++ {
			pc := pb[c*sb:][:n]
			dc, dt, gc := db[c*sb:][:len(pc)], dt[:len(pc)], grad[c*S+b0:][:len(pc)]
			if !o.CE {
				for i, pv := range pc {
					gc[i] = pv * (dc[i] - dt[i])
				}
				continue
			}
			ys, w, ce := ys[:len(pc)], wb[:len(pc)], o.CEScale
			for i, pv := range pc {
				g := pv * (dc[i] - dt[i])
				gc[i] = g + ce*w[i]*(pv-sel32(ys[i] == int32(c), 1, 0))
			}
		}
		if o.Ignore {
			for i, y := range ys {
				if y == o.IgnoreIndex {
					for c := 0; c < C; c++ {
						grad[c*S+b0+i] = 0
					}
				}
			}
		}
	}
}

// SoftmaxProbs writes the softmax of pixels [S0, S1) into dst (laid out
// like x) and reports a non-finite input or a bad label in Sums.Bad.
func SoftmaxProbs(dst, x []float32, lab []int32, o *Softmax) Sums {
	if cur != setGeneric && o.C <= MaxSoftmaxC {
		return softmaxProbsVec(dst, x, lab, o)
	}
	return softmaxProbsGo(dst, x, lab, o)
}

func softmaxProbsGo(dst, x []float32, lab []int32, o *Softmax) Sums {
	var s Sums
	var lb [sb]float32
	C, S := o.C, o.S
	for b0 := o.S0; b0 < o.S1; b0 += sb {
		n := min(sb, o.S1-b0)
		o.checkBlock(&s, nil, x, lab, b0, n)
		softmaxBlock32(dst[b0:], S, lb[:], x, C, S, b0, n)
	}
	return s
}

// SoftmaxChain turns d loss / d p, held in grad, into the gradient with
// respect to the logits for pixels [s0, s1) of one sample (p: its
// probabilities, C rows of S), times f: g_c = f p_c (d_c - sum_k p_k d_k),
// in float64 (the difference cancels).
func SoftmaxChain(grad, p []float32, C, S, s0, s1 int, f float64) {
	if cur != setGeneric {
		softmaxChainVec(grad, p, C, S, s0, s1, f)
		return
	}
	softmaxChainGo(grad, p, C, S, s0, s1, f)
}

func softmaxChainGo(grad, p []float32, C, S, s0, s1 int, f float64) {
	for s := s0; s < s1; s++ {
		var dot float64
		for c := 0; c < C; c++ {
			dot += float64(p[c*S+s]) * float64(grad[c*S+s])
		}
		for c := 0; c < C; c++ {
			k := c*S + s
			grad[k] = float32(float64(p[k]) * (float64(grad[k]) - dot) * f)
		}
	}
}
