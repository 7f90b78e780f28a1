package segloss

// wassersteinDice is the generalized Wasserstein Dice loss of Fidon et al.
// 2017 (MONAI GeneralizedWassersteinDiceLoss) on class indices: with M the
// distance matrix divided by its maximum (nil: 1 - I), wass_i =
// sum_c M[y_i, c] p_ic. Weighting default: a_0 = 0, a_c = 1, TP = sum
// a_y (1 - wass), DEN = 2 TP + sum wass; GDL: a_c = 1/(V_c + 1), V_c the
// kept pixels of class c in the group, DEN = sum a_y (2 - wass). The loss
// is 1 - (2 TP + s)/(DEN + s) per group (sample, or the batch), then the
// mean.
//
// Special cases are:
//
//	every pixel of a group ignored: that group's loss is 1 - s/s = 0
func wassersteinDice(o *Options, ws *workspace, d *dense, dp []float64) float64 {
	g := d.g
	C := g.c
	G := d.groups()
	buf := zeroed(&ws.f2small, C*C+G*C+5*G)
	M := o.wassersteinMatrix(buf[:C*C], C)
	gdl := o.WeightingMode == "GDL"
	a := buf[C*C : C*C+G*C] // a[group*C + c]
	buf = buf[C*C+G*C:]
	TP, W, AW := buf[:G], buf[G:2*G], buf[2*G:3*G] // W: sum wass, AW: sum a_y (2 - wass)
	dW, dA := buf[3*G:4*G], buf[4*G:]              // d loss / d wass_i = dW + dA * a_y
	if gdl {
		for n := 0; n < g.n; n++ {
			for s := 0; s < g.s; s++ {
				if d.pixel[n*g.s+s] {
					a[d.group(n)*C+int(d.labels[n*g.s+s])]++
				}
			}
		}
		for i := range a {
			a[i] = 1 / (a[i] + 1)
		}
	} else {
		for grp := 0; grp < G; grp++ {
			for c := 1; c < C; c++ {
				a[grp*C+c] = 1
			}
		}
	}
	for n := 0; n < g.n; n++ {
		grp := d.group(n)
		for s := 0; s < g.s; s++ {
			if !d.pixel[n*g.s+s] {
				continue
			}
			y := int(d.labels[n*g.s+s])
			var v float64
			for c := 0; c < C; c++ {
				v += M[y*C+c] * d.p[d.at(n, c, s)]
			}
			ay := a[grp*C+y]
			TP[grp] += ay * (1 - v)
			W[grp] += v
			AW[grp] += ay * (2 - v)
		}
	}
	sm := o.Smooth
	inv := 1 / float64(G)
	var loss float64
	for grp := 0; grp < G; grp++ {
		num := 2*TP[grp] + sm
		den := AW[grp] + sm
		if !gdl {
			den = 2*TP[grp] + W[grp] + sm
			dA[grp] = 2 * W[grp] / (den * den) * inv
			dW[grp] = num / (den * den) * inv
		} else {
			dA[grp] = (2*den - num) / (den * den) * inv
		}
		loss += (1 - num/den) * inv
	}
	if dp == nil {
		return loss
	}
	for n := 0; n < g.n; n++ {
		grp := d.group(n)
		for s := 0; s < g.s; s++ {
			if !d.pixel[n*g.s+s] {
				continue
			}
			y := int(d.labels[n*g.s+s])
			dw := dW[grp] + dA[grp]*a[grp*C+y]
			for c := 0; c < C; c++ {
				dp[d.at(n, c, s)] += dw * M[y*C+c]
			}
		}
	}
	return loss
}

// WassersteinMatrix returns the class distance matrix of
// generalized_wasserstein_dice for c classes, row-major c×c: DistMatrix
// divided by its largest entry, or 1 - I when DistMatrix is nil. The core
// and the GoMLX adapter both read it from here.
func (o *Options) WassersteinMatrix(c int) []float64 {
	return o.wassersteinMatrix(make([]float64, c*c), c)
}

// wassersteinMatrix writes WassersteinMatrix(c) into M (length c*c).
func (o *Options) wassersteinMatrix(M []float64, c int) []float64 {
	if o.DistMatrix == nil {
		for i := range M {
			M[i] = 1
		}
		for i := 0; i < c; i++ {
			M[i*c+i] = 0
		}
		return M
	}
	mx := 0.0
	for _, r := range o.DistMatrix {
		for _, v := range r {
			mx = max(mx, v)
		}
	}
	for i, r := range o.DistMatrix {
		for j, v := range r {
			M[i*c+j] = v / mx
		}
	}
	return M
}
