package segloss

import "math"

// topKCE is nnU-Net's TopKLoss: the per-pixel cross-entropy l_i of torch's
// CrossEntropyLoss(reduction='none') (class weights, label smoothing),
// averaged over the m = floor(n k / 100) largest of the n kept pixels of
// the whole batch (m clamped to [1, n]). The selection is a stable
// descending sort over the flat (N, spatial) pixel order, frozen for the
// gradient (a stable radix sort). It adds its gradient with respect to
// the input into dx.
//
// Special cases are:
//
//	every pixel ignored (n = 0): 0, gradient 0 (nnU-Net gives NaN)
//	ties: the lower flat pixel index is taken first
func topKCE(o *Options, ws *workspace, d *dense, dx []float64) float64 {
	g := d.g
	C := g.c
	ls := o.LabelSmoothing
	u := grow(&ws.f2u, g.n*g.s*C) // the weight of -log p_c in l_i
	l := zeroed(&ws.f2l, g.n*g.s)
	buf := grow(&ws.small, 2*C)
	p, lp := buf[:C], buf[C:]
	pool := ws.idx[:0]
	for n := 0; n < g.n; n++ {
		for s := 0; s < g.s; s++ {
			px := n*g.s + s
			if !d.pixel[px] {
				continue
			}
			pool = append(pool, int32(px))
			if o.FromLogits {
				softmaxPixel(p, lp, d.x, n*C*g.s+s, g.s)
			} else {
				for c := range p {
					p[c] = d.x[d.at(n, c, s)]
					lp[c] = math.Log(p[c])
				}
			}
			uu := u[px*C : (px+1)*C]
			for c := 0; c < C; c++ {
				var t float64
				if d.labels != nil {
					t = ls / float64(C)
					if int(d.labels[px]) == c {
						t += 1 - ls
					}
				} else {
					t = (1-ls)*d.t[d.at(n, c, s)] + ls/float64(C)
				}
				uu[c] = t * classWeight(o, c)
				if uu[c] != 0 {
					l[px] -= uu[c] * lp[c]
				}
			}
		}
	}
	ws.idx = pool
	nk := len(pool)
	if nk == 0 {
		return 0
	}
	m := int(math.Floor(float64(nk) * o.K / 100))
	m = min(max(m, 1), nk)
	keys := grow(&ws.keys, nk)
	for i, px := range pool {
		keys[i] = l[px]
	}
	ws.sorter.SortDesc64(keys, pool) // stable: ties keep the flat order
	var sum float64
	inv := 1 / float64(m)
	for _, px := range pool[:m] {
		sum += l[px]
		if dx == nil {
			continue
		}
		n, s := int(px)/g.s, int(px)%g.s
		uu := u[int(px)*C : (int(px)+1)*C]
		if o.FromLogits {
			softmaxPixel(p, lp, d.x, n*C*g.s+s, g.s)
			var su float64
			for _, v := range uu {
				su += v
			}
			for c := 0; c < C; c++ {
				dx[d.at(n, c, s)] += (p[c]*su - uu[c]) * inv
			}
		} else {
			for c := 0; c < C; c++ {
				if uu[c] != 0 {
					dx[d.at(n, c, s)] -= uu[c] / d.x[d.at(n, c, s)] * inv
				}
			}
		}
	}
	return sum * inv
}
