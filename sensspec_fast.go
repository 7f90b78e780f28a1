package segloss

import "github.com/segloss/segloss/internal/kernel"

// sensSpecJob is the fused float32 path of sensitivity_specificity: a
// stats pass (per (sample, channel): the count, sum g, and the two
// weighted squared-error sums, values checked), then a gradient pass.
// Unit c is one chunk of one (sample, channel) row (sigmoid modes on
// float targets) or of one sample's pixels (softmax on class indices).
type sensSpecJob struct {
	batch32
	grad     bool
	sums     []kernel.Sums // Cnt, SG, TP: sum g (g-p)², SP: sum (1-g)(g-p)²
	cpr      int
	ign      float32
	useIgn   bool
	ka, kb   []float64 // per (group, channel): gradient weights of g and 1-g
	perGroup bool
	plane    softmaxPlane
}

// coef returns the gradient weights of sample n, channel ch.
func (j *sensSpecJob) coef(n, ch int) (float64, float64) {
	k := ch
	if j.perGroup {
		k += n * j.g.c
	}
	return j.ka[k], j.kb[k]
}

// Do runs unit c.
func (j *sensSpecJob) Do(c, _, _ int) {
	if j.lab != nil {
		j.soft(c)
		return
	}
	row, s0, s1 := j.chunkOf(c, j.cpr)
	off := row * j.g.s
	x, t := j.x[off+s0:off+s1], j.t[off+s0:off+s1]
	logits := j.o.FromLogits
	if j.grad {
		ka, kb := j.coef(row/j.g.c, row%j.g.c)
		g := j.gr[off+s0 : off+s1]
		for i, xv := range x {
			tv := t[i]
			if ka == 0 && kb == 0 || j.useIgn && tv == j.ign {
				g[i] = 0
				continue
			}
			p, q := xv, float32(1)
			if logits {
				p, q = sigmoidPair32(xv)
			}
			e := float64(tv - p)
			d := -2 * (ka*float64(tv) + kb*float64(1-tv)) * e
			if logits {
				d *= float64(p) * float64(q)
			}
			g[i] = float32(d)
		}
		return
	}
	var s kernel.Sums
	for i, xv := range x {
		tv := t[i]
		if xv-xv != 0 || (!logits && !(xv >= 0 && xv <= 1)) {
			s.Bad = true
		}
		if j.useIgn && tv == j.ign {
			continue
		}
		if !(tv >= 0 && tv <= 1) {
			s.Bad = true
		}
		p := xv
		if logits {
			p = kernel.Sigmoid32(xv)
		}
		e := float64(tv - p)
		s.Cnt++
		s.SG += float64(tv)
		s.TP += float64(tv) * e * e
		s.SP += float64(1-tv) * e * e
	}
	j.sums[c] = s
}

// soft runs unit c of the multiclass passes; the stats pass fills the C
// Sums of the unit.
func (j *sensSpecJob) soft(c int) {
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
		if !j.grad {
			for ch := range p {
				e := float64(p[ch])
				if int32(ch) == y {
					e = 1 - e
					out[ch].SG++
					out[ch].TP += e * e
				} else {
					out[ch].SP += e * e
				}
				out[ch].Cnt++
			}
			continue
		}
		var dp [kernel.MaxSoftmaxC]float64
		var dot float64
		for ch := range p {
			ka, kb := j.coef(n, ch)
			var d float64
			if int32(ch) == y {
				d = -2 * ka * (1 - float64(p[ch]))
			} else {
				d = 2 * kb * float64(p[ch])
			}
			dp[ch] = d
			dot += float64(p[ch]) * d
		}
		for ch := range p {
			j.gr[(n*C+ch)*S+px] = float32(float64(p[ch]) * (dp[ch] - dot))
		}
	}
}

// fusedSensSpec is sensitivity_specificity's fused float32 path (see sensSpec).
func fusedSensSpec(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	multi := b.Labels != nil
	if (o.Mode == Multiclass) != multi || multi && g.c > kernel.MaxSoftmaxC {
		return 0, false, false
	}
	j := &fw.sensSpec
	defer func() { *j = sensSpecJob{} }()
	*j = sensSpecJob{batch32: newBatch32(l, g, grad, b), perGroup: o.Reduction == PerSample}
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
	gs := growSums(&fw.f2.group, G*g.c)
	clear(gs)
	for u := range j.sums {
		s := &j.sums[u]
		if s.Bad {
			return 0, true, true
		}
		var n, ch int
		if multi {
			n, ch = u/g.c/j.cpr, u%g.c
		} else {
			row := u / j.cpr
			n, ch = row/g.c, row%g.c
		}
		k := ch
		if j.perGroup {
			k += n * g.c
		}
		gs[k].Add(s)
	}
	mult := grow(&fw.f2.mult, g.c)
	clear(mult)
	K := len(o.Classes)
	if o.Classes == nil {
		K = g.c
		for c := range mult {
			mult[c] = 1
		}
	}
	for _, c := range o.Classes {
		mult[c]++
	}
	inv := 1 / float64(G*K)
	j.ka = grow(&fw.f2.dTP, G*g.c)
	j.kb = grow(&fw.f2.dSP, G*g.c)
	var loss float64
	for k := range gs {
		s := &gs[k]
		m := mult[k%g.c]
		a := m * o.R / (s.SG + o.Smooth) * inv
		bw := m * (1 - o.R) / (s.Cnt - s.SG + o.Smooth) * inv
		if m == 0 {
			a, bw = 0, 0
		}
		loss += a*s.TP + bw*s.SP
		j.ka[k], j.kb[k] = a, bw
	}
	if grad != nil {
		j.grad = true
		kernel.Run(j, units, 1)
	}
	return loss, true, false
}
