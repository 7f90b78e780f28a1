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
	C, S := o.C, o.S
	p := pb[:C]
	for px := o.S0; px < o.S1; px++ {
		y := o.checkPixel(&s, x, px, lab[px])
		ignored := o.Ignore && y == o.IgnoreIndex
		if !ignored {
			s.Cnt++
		}
		if ignored || o.Weights[y] == 0 {
			if grad != nil {
				for c := 0; c < C; c++ {
					grad[c*S+px] = 0
				}
			}
			continue
		}
		k := o.Weights[y]
		lse := softmaxPixel32(p, x, px, S)
		py := p[y]
		lp := x[int(y)*S+px] - lse // log p_y
		om := 1 - py
		m := pow32(om, gamma)
		s.Loss -= float64(k) * float64(m) * float64(lp)
		if grad == nil {
			continue
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
	return s
}

// SoftmaxPixel fills p (length C) with the softmax of the channels of
// pixel s of x (C rows of S values) and returns the log-sum-exp: the
// per-pixel softmax of the fused kernels, for callers outside the package.
func SoftmaxPixel(p, x []float32, s, S int) float32 { return softmaxPixel32(p, x, s, S) }
