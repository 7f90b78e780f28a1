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
}

// softmaxPixel32 fills p with the softmax of the channels of pixel s and
// returns the log-sum-exp.
func softmaxPixel32(p []float32, x []float32, s, S int) float32 {
	m := x[s]
	for c := 1; c < len(p); c++ {
		m = max(m, x[c*S+s])
	}
	var z float32
	for c := range p {
		e := Exp32(x[c*S+s] - m)
		p[c] = e
		z += e
	}
	inv := 1 / z
	for c := range p {
		p[c] *= inv
	}
	return m + Log32(z)
}

// badLabel reports a label that is neither in [0, C) nor ignored.
func (o *Softmax) badLabel(y int32) bool {
	return (y < 0 || int(y) >= o.C) && !(o.Ignore && y == o.IgnoreIndex)
}

// checkPixel flags in s.Bad the non-finite logits of pixel px and a label y
// outside [0, C) other than the ignore index; it returns the label to use
// (0 in place of a bad one).
func (o *Softmax) checkPixel(s *Sums, x []float32, px int, y int32) int32 {
	for c := 0; c < o.C; c++ {
		if bad32(x[c*o.S+px]) {
			s.Bad = true
		}
	}
	if o.badLabel(y) {
		s.Bad = true
		return 0
	}
	return y
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
	var pb, wb [MaxSoftmaxC * 4]float32
	C, S := o.C, o.S
	p, wt := pb[:C], wb[:C]
	ls := o.Smooth
	for px := o.S0; px < o.S1; px++ {
		y := o.checkPixel(&s, x, px, lab[px])
		if o.Ignore && y == o.IgnoreIndex {
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
		lse := softmaxPixel32(p, x, px, S)
		var sw float32
		var loss float64
		for c := 0; c < C; c++ {
			t := ls / float32(C)
			if int32(c) == y {
				t += 1 - ls
			}
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
				grad[c*S+px] = o.Scale * (p[c]*sw - wt[c])
			}
		}
	}
	return s
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
	var pb [MaxSoftmaxC * 4]float32
	C, S := o.C, o.S
	p := pb[:C]
	for px := o.S0; px < o.S1; px++ {
		y := o.checkPixel(&out[0], x, px, lab[px])
		if o.Ignore && y == o.IgnoreIndex {
			continue
		}
		lse := softmaxPixel32(p, x, px, S)
		for c := 0; c < C; c++ {
			r := &out[c]
			pv := float64(p[c])
			r.Cnt++
			r.SP += pv
			r.SP2 += pv * pv
			if int32(c) == y {
				r.TP += pv
				r.SG++
				r.SG2++
				r.Abs += 1 - pv
			} else {
				r.Abs += pv
			}
		}
		if o.CE {
			w := float32(1)
			if o.Weights != nil {
				w = o.Weights[y]
			}
			out[0].Loss += float64(w) * float64(lse-x[int(y)*S+px])
			out[0].Den += float64(w)
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
	var pb, db [MaxSoftmaxC * 4]float32
	C, S := o.C, o.S
	p, dp := pb[:C], db[:C]
	for px := o.S0; px < o.S1; px++ {
		y := lab[px]
		if o.Ignore && y == o.IgnoreIndex {
			for c := 0; c < C; c++ {
				grad[c*S+px] = 0
			}
			continue
		}
		softmaxPixel32(p, x, px, S)
		var dot float32
		for c := 0; c < C; c++ {
			pv := p[c]
			d := o.DSP[c] + 2*o.DSP2[c]*pv
			if int32(c) == y {
				d = o.D1[c] + 2*o.DSP2[c]*pv
				if pv < 1 {
					d -= o.DAbs[c]
				}
			} else if pv > 0 {
				d += o.DAbs[c]
			}
			dp[c] = d
			dot += pv * d
		}
		w := float32(1)
		if o.CE && o.Weights != nil {
			w = o.Weights[y]
		}
		for c := 0; c < C; c++ {
			g := p[c] * (dp[c] - dot)
			if o.CE {
				t := float32(0)
				if int32(c) == y {
					t = 1
				}
				g += o.CEScale * w * (p[c] - t)
			}
			grad[c*S+px] = g
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
	var pb [MaxSoftmaxC * 4]float32
	C, S := o.C, o.S
	p := pb[:C]
	for px := o.S0; px < o.S1; px++ {
		for c := 0; c < C; c++ {
			if bad32(x[c*S+px]) {
				s.Bad = true
			}
		}
		if lab != nil && o.badLabel(lab[px]) {
			s.Bad = true
		}
		softmaxPixel32(p, x, px, S)
		for c := 0; c < C; c++ {
			dst[c*S+px] = p[c]
		}
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
