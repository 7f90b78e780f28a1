package kernel

// SoftmaxFocal is the softmax focal term of dice_focal and
// generalized_dice_focal (focal_form softmax) for pixels [S0, S1) of one
// sample against class indices: per kept pixel with label y,
// -W[y] (1-p_y)^gamma log p_y, p the softmax over the C channels. o.Weights
// (length C) holds each class's factor (0: the class is not selected);
// o.Scale multiplies the gradient written into grad (nil: none). It
// returns the loss sum (Loss) and the count of kept pixels (Cnt); ignored
// pixels get a zero gradient.
func SoftmaxFocal(grad, x []float32, lab []int32, o *Softmax, gamma float32) Sums {
	var s Sums
	var pb [MaxSoftmaxC * 4]float32
	var yb [sb]int32
	C := o.C
	p := pb[:C]
	for b0 := o.S0; b0 < o.S1; b0 += sb {
		n := min(sb, o.S1-b0)
		o.checkBlock(&s, yb[:], x, lab, b0, n)
		for i, y := range yb[:n] {
			s.focalPixel(grad, x, p, o, gamma, b0+i, y)
		}
	}
	return s
}

// focalPixel adds the focal term of pixel px, label y (-1: ignored), to s
// and writes its gradient (SoftmaxFocal).
func (s *Sums) focalPixel(grad, x, p []float32, o *Softmax, gamma float32, px int, y int32) {
	C, S := o.C, o.S
	ignored := y < 0
	if !ignored {
		s.Cnt++
	}
	if ignored || o.Weights[y] == 0 {
		if grad != nil {
			for c := 0; c < C; c++ {
				grad[c*S+px] = 0
			}
		}
		return
	}
	k := o.Weights[y]
	lse := softmaxPixel32(p, x, px, S)
	py := p[y]
	lp := x[int(y)*S+px] - lse // log p_y
	om := 1 - py
	m := pow32(om, gamma)
	s.Loss -= float64(k) * float64(m) * float64(lp)
	if grad == nil {
		return
	}
	// p_y d/dp_y [-(1-p)^g log p] = -(1-p)^g + g (1-p)^(g-1) p log p
	pd := -m
	if om > 0 && gamma != 0 {
		pd += gamma * pow32(om, gamma-1) * py * lp
	}
	b := o.Scale * k * pd
	for c := 0; c < C; c++ {
		grad[c*S+px] = -p[c] * b
	}
	grad[int(y)*S+px] += b
}

// SoftmaxPixel fills p (length C) with the softmax of the channels of
// pixel s of x (C rows of S values) and returns the log-sum-exp: the
// per-pixel softmax of the fused kernels, for callers outside the package.
func SoftmaxPixel(p, x []float32, s, S int) float32 { return softmaxPixel32(p, x, s, S) }
