package segloss

import "github.com/segloss/segloss/internal/kernel"

// regionJob is the fused path of the region losses and dice_bce: a stats
// pass (grad false), then a gradient pass (grad true), over units of one
// chunk of one (sample, channel) row (float targets) or of one sample's
// pixels (class indices, multi).
type regionJob struct {
	batch32
	multi, grad bool
	sums        []kernel.Sums
	bin         kernel.Binary
	sm          kernel.Softmax
	cpr         int          // chunks per row
	stats       *RegionStats // the region sums being filled; coefficient rows follow its entries
	cw          [5][]float32
	dp          bool // binary: sigmoid derivatives kept in the gradient buffer
}

// Do runs unit c.
func (j *regionJob) Do(c, _, _ int) {
	if j.multi {
		j.soft(c)
		return
	}
	row, s0, s1 := j.chunkOf(c, j.cpr)
	off := row * j.g.s
	x, t := j.x[off+s0:off+s1], j.t[off+s0:off+s1]
	b := j.bin
	if j.gr != nil && !j.dp {
		b.Keep = j.gr[off+s0 : off+s1] // plain Go: e^-|x| from the stats pass
	}
	if !j.grad {
		if j.dp {
			j.sums[c] = kernel.BinaryStatsDP(j.gr[off+s0:off+s1], x, t, &j.bin)
		} else {
			j.sums[c] = kernel.BinaryStats(x, t, &b)
		}
		return
	}
	k := j.stats.entry(row/j.g.c, row%j.g.c)
	b.DSP, b.DSP2, b.DTP, b.DAbs, b.D1 = j.cw[0][k], j.cw[1][k], j.cw[2][k], j.cw[3][k], j.cw[4][k]
	if j.dp {
		kernel.BinaryGradDP(j.gr[off+s0:off+s1], t, &b)
	} else {
		kernel.BinaryGrad(j.gr[off+s0:off+s1], x, t, &b)
	}
}

// soft runs unit c of the class-index passes.
func (j *regionJob) soft(c int) {
	C, S := j.g.c, j.g.s
	sm := j.sm
	n, s0, s1 := j.chunkOf(c, j.cpr)
	sm.S0, sm.S1 = s0, s1
	x := j.x[n*C*S : (n+1)*C*S]
	lab := j.lab[n*S : (n+1)*S]
	if j.gr != nil {
		sm.Keep = j.gr[n*C*S : (n+1)*C*S] // plain Go: no second softmax
	}
	if !j.grad {
		out := j.sums[c*C : (c+1)*C]
		clear(out)
		kernel.SoftmaxStats(out, x, lab, &sm)
		return
	}
	k := j.stats.entry(n, 0)
	sm.DSP, sm.DSP2, sm.DTP, sm.DAbs, sm.D1 = j.cw[0][k:k+C], j.cw[1][k:k+C], j.cw[2][k:k+C], j.cw[3][k:k+C], j.cw[4][k:k+C]
	kernel.SoftmaxGrad(j.gr[n*C*S:(n+1)*C*S], x, lab, &sm)
}

// fastRegion is the fused path of every region loss and of dice_bce.
func fastRegion(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil && l.opts.Mode == Multiclass {
		return 0, false, false
	}
	v, bad := fusedRegion(l, ws, newBatch32(l, g, grad, b))
	return v, true, bad
}

// fusedRegion is every overlap loss and dice_bce: a stats pass, the loss
// and its coefficients from the merged sums, then a gradient pass.
func fusedRegion(l *Loss, ws *fastWS, b batch32) (float64, bool) {
	j := &ws.region
	defer func() { *j = regionJob{} }()
	*j = regionJob{batch32: b}
	f, o := l.d.region, &l.opts
	var ce *Loss
	if l.d.kind == kindMixed {
		var dice *Loss
		ce, dice = l.parts()
		f, o = dice.d.region, &dice.opts
	}
	g := j.g
	multi := j.lab != nil
	groups, classes := regionGeometry(f, o, g)
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	r := &ws.stats
	r.reset(groups, classes)
	j.stats = r
	var bceSum, bceDen float64
	if multi {
		ign, useIgn := ignoreLabel32(o)
		j.sm = kernel.Softmax{C: g.c, S: g.s, Ignore: useIgn, IgnoreIndex: ign,
			Extra: o.Squared || o.TPForm == L1}
		if ce != nil {
			j.sm.CE = true
			if w := ce.opts.ClassWeights; w != nil {
				j.sm.Weights = toFloat32(&ws.w32, w)
			}
		}
		units := g.n * j.cpr
		j.sums = growSums(&ws.sums, units*g.c)
		j.multi, j.grad = true, false
		kernel.Run(j, units, 1)
		for u := 0; u < units; u++ {
			n := u / j.cpr
			for c := 0; c < g.c; c++ {
				s := &j.sums[u*g.c+c]
				if s.Bad {
					return 0, true
				}
				addSums(r, j.stats.entry(n, c), s)
			}
			bceSum += j.sums[u*g.c].Loss
			bceDen += j.sums[u*g.c].Den
		}
	} else {
		ign, useIgn := ignoreValue32(o)
		j.bin = kernel.Binary{Logits: o.FromLogits, Ignore: useIgn, IgnoreValue: ign,
			Extra: o.Squared || o.TPForm == L1}
		if ce != nil {
			j.bin.BCE, j.bin.BCEEps = true, float32(ce.opts.Eps)
		}
		// Logits, no ignore, product TP: the stats pass leaves the sigmoid
		// derivatives in the gradient buffer and the gradient pass only
		// scales them (no second exponential).
		j.dp = j.gr != nil && o.FromLogits && !j.bin.Extra && !j.bin.BCE && !j.bin.Ignore
		units := g.n * g.c * j.cpr
		j.sums = growSums(&ws.sums, units)
		j.multi, j.grad = false, false
		kernel.Run(j, units, 1)
		for u := 0; u < units; u++ {
			s := &j.sums[u]
			if s.Bad {
				return 0, true
			}
			row := u / j.cpr
			addSums(r, j.stats.entry(row/g.c, row%g.c), s)
			bceSum += s.Loss
			bceDen += s.Cnt
		}
	}
	coef := grow(&ws.coef, groups*classes)
	clear(coef)
	loss := regionValue(f, o, r, coef)
	var ceMean float64
	if ce != nil {
		if bceDen > 0 {
			ceMean = bceSum / bceDen
		}
		loss = l.opts.BCEWeight*ceMean + l.opts.DiceWeight*loss
	}
	if j.gr == nil {
		return loss, false
	}
	dw := 1.0
	if ce != nil {
		dw = l.opts.DiceWeight
	}
	for k := range j.cw {
		j.cw[k] = grow(&ws.cw[k], len(coef))
	}
	for k, cf := range coef {
		j.cw[0][k], j.cw[1][k], j.cw[2][k], j.cw[3][k] = float32(dw*cf.dSP), float32(dw*cf.dSP2), float32(dw*cf.dTP), float32(dw*cf.dAbs)
		j.cw[4][k] = float32(dw * cf.one())
	}
	ceScale := float32(0)
	if ce != nil && bceDen > 0 {
		ceScale = float32(l.opts.BCEWeight / bceDen)
	}
	if multi {
		j.sm.CEScale = ceScale
		j.grad = true
		kernel.Run(j, g.n*j.cpr, 1)
	} else {
		j.bin.BCEScale = ceScale
		j.grad = true
		kernel.Run(j, g.n*g.c*j.cpr, 1)
	}
	return loss, false
}

// addSums adds chunk sums s into entry k of r.
func addSums(r *RegionStats, k int, s *kernel.Sums) {
	r.TP[k] += s.TP
	r.SumP[k] += s.SP
	r.SumG[k] += s.SG
	r.SumP2[k] += s.SP2
	r.SumG2[k] += s.SG2
	r.SumAbs[k] += s.Abs
	r.Count[k] += s.Cnt
}
