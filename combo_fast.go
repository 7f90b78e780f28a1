package segloss

import "github.com/segloss/segloss/internal/kernel"

// comboJob is the fused float32 path of combo for sigmoid modes (binary,
// multilabel) on float targets: a stats pass (the region sums and the
// clamped cross-entropy of each chunk, values checked), then a gradient
// pass; unit c is one chunk of one (sample, channel) row.
type comboJob struct {
	batch32
	grad     bool
	sums     []kernel.Sums
	cpr      int
	a, b     float32 // cross-entropy weights of t and 1-t
	eps      float32
	ign      float32
	useIgn   bool
	ceScale  float64   // ce_ratio / count
	dTP, dSP []float64 // per (group, class)
	perGroup bool      // per_sample: one group per sample
	plane    softmaxPlane
}

// probs returns p and 1-p for input x (sigmoid and sigmoid(-x) on logits).
func (j *comboJob) probs(x float32) (p, q float32) {
	if j.o.FromLogits {
		return sigmoidPair32(x)
	}
	return x, 1 - x
}

// clampPQ clamps p and q = 1-p to [eps, 1-eps] (as clampProb) and reports
// whether the gradient passes.
func (j *comboJob) clampPQ(p, q float32) (pc, qc float32, pass bool) {
	hi := 1 - j.eps
	pc, qc, pass = p, q, true
	if p < j.eps {
		pc, qc, pass = j.eps, hi, false
	} else if q < j.eps {
		pc, qc, pass = hi, j.eps, false
	}
	return pc, qc, pass
}

// Do runs unit c.
func (j *comboJob) Do(c, _, _ int) {
	if j.lab != nil {
		j.soft(c)
		return
	}
	row, s0, s1 := j.chunkOf(c, j.cpr)
	off := row * j.g.s
	x, t := j.x[off+s0:off+s1], j.t[off+s0:off+s1]
	if j.grad {
		k := row % j.g.c
		if j.perGroup {
			k = row
		}
		dTP, dSP := j.dTP[k], j.dSP[k]
		g := j.gr[off+s0 : off+s1]
		for i, xv := range x {
			tv := t[i]
			if j.useIgn && tv == j.ign {
				g[i] = 0
				continue
			}
			p, q := j.probs(xv)
			pc, qc, pass := j.clampPQ(p, q)
			d := dTP*float64(tv) + dSP
			if pass {
				d += j.ceScale * float64(-j.a*tv/pc+j.b*(1-tv)/qc)
			}
			if j.o.FromLogits {
				d *= float64(p) * float64(q)
			}
			g[i] = float32(d)
		}
		return
	}
	var s kernel.Sums
	for i, xv := range x {
		tv := t[i]
		if xv-xv != 0 || (!j.o.FromLogits && !(xv >= 0 && xv <= 1)) {
			s.Bad = true
		}
		if j.useIgn && tv == j.ign {
			continue
		}
		if !(tv >= 0 && tv <= 1) {
			s.Bad = true
		}
		p, q := j.probs(xv)
		pc, qc, _ := j.clampPQ(p, q)
		s.Cnt++
		s.TP += float64(p) * float64(tv)
		s.SP += float64(p)
		s.SG += float64(tv)
		var l float32
		if tv != 0 {
			l += j.a * tv * kernel.Log32(pc)
		}
		if tv != 1 {
			l += j.b * (1 - tv) * kernel.Log32(qc)
		}
		s.Loss -= float64(l)
	}
	j.sums[c] = s
}

// soft runs unit c of the multiclass passes: one chunk of one sample's
// pixels, softmax over the channels, against class indices; the stats
// pass fills the C Sums of the unit (the cross-entropy in class 0's).
func (j *comboJob) soft(c int) {
	C, S := j.g.c, j.g.s
	n, s0, s1 := j.chunkOf(c, j.cpr)
	x := j.x[n*C*S : (n+1)*C*S]
	lab := j.lab[n*S : (n+1)*S]
	var pb [kernel.MaxSoftmaxC]float32
	p := pb[:C]
	var out []kernel.Sums
	var st *kernel.Sums // the statistics pass flags bad values here
	if !j.grad {
		out = j.sums[c*C : (c+1)*C]
		clear(out)
		st = &out[0]
	}
	kb := 0
	if j.perGroup {
		kb = n * C
	}
	pr := j.plane.sample(&j.batch32, n)
	if !j.grad && j.plane.fill(&j.batch32, n, s0, s1) {
		out[0].Bad = true
	}
	ign, useIgn := ignoreLabel32(j.o)
	for px := s0; px < s1; px++ {
		y := lab[px]
		if !j.labelPixel(st, x, n, px, y, ign, useIgn) {
			continue
		}
		j.plane.pixel(p, pr, px)
		a := j.b // class 0: 1-alpha
		if y != 0 {
			a = j.a
		}
		pc, _, pass := j.clampPQ(p[y], 1-p[y])
		if !j.grad {
			out[0].Cnt++
			out[0].Loss -= float64(a * kernel.Log32(pc))
			for ch := range p {
				out[ch].SP += float64(p[ch])
			}
			out[y].TP += float64(p[y])
			out[y].SG++
			continue
		}
		var dot float64
		var dp [kernel.MaxSoftmaxC]float64
		for ch := range p {
			d := j.dSP[kb+ch]
			if int32(ch) == y {
				d += j.dTP[kb+ch]
				if pass {
					d -= j.ceScale * float64(a/pc)
				}
			}
			dp[ch] = d
			dot += float64(p[ch]) * d
		}
		for ch := range p {
			j.gr[(n*C+ch)*S+px] = float32(float64(p[ch]) * (dp[ch] - dot))
		}
	}
}

// fusedCombo is combo's fused float32 path (see comboLoss).
func fusedCombo(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	multi := b.Labels != nil
	if (o.Mode == Multiclass) != multi || g.c > kernel.MaxSoftmaxC && multi {
		return 0, false, false
	}
	j := &fw.combo
	defer func() { *j = comboJob{} }()
	*j = comboJob{batch32: newBatch32(l, g, grad, b), a: 1, b: 1, eps: float32(o.Eps), perGroup: o.Reduction == PerSample}
	if o.Alpha >= 0 {
		j.a, j.b = float32(o.Alpha), float32(1-o.Alpha)
	}
	j.ign, j.useIgn = ignoreValue32(o)
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * g.c * j.cpr
	if multi {
		units = g.n * j.cpr
		j.sums = growSums(&fw.sums, units*g.c)
		j.plane = newSoftmaxPlane(fw, &j.batch32)
	} else {
		j.sums = growSums(&fw.sums, units)
	}
	kernel.Run(j, units, 1)
	G := 1
	if j.perGroup {
		G = g.n
	}
	// Per (group, class) sums, in unit order.
	gs := growSums(&fw.f2.group, G*g.c)
	clear(gs)
	var ce, count float64
	for u := range j.sums {
		s := &j.sums[u]
		if s.Bad {
			return 0, true, true
		}
		var k int
		if multi {
			k = u % g.c
			if j.perGroup {
				k += u / g.c / j.cpr * g.c
			}
		} else {
			row := u / j.cpr
			k = row % g.c
			if j.perGroup {
				k = row
			}
		}
		gs[k].Add(s)
	}
	for k := range gs {
		ce += gs[k].Loss
		count += gs[k].Cnt
	}
	var loss float64
	if count > 0 {
		loss = o.CERatio * ce / count
		j.ceScale = o.CERatio / count
	}
	a := (1 - o.CERatio) / float64(G*g.c)
	j.dTP = grow(&fw.f2.dTP, G*g.c)
	j.dSP = grow(&fw.f2.dSP, G*g.c)
	for k := range gs {
		den := gs[k].SP + gs[k].SG + o.Smooth
		dc := (2*gs[k].TP + o.Smooth) / den
		loss -= a * dc
		j.dTP[k] = -a * 2 / den
		j.dSP[k] = a * dc / den
	}
	if grad != nil {
		j.grad = true
		kernel.Run(j, units, 1)
	}
	return loss, true, false
}
