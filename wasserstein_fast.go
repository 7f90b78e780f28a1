package segloss

import "github.com/segloss/segloss/internal/kernel"

// wassJob is the fused float32 path of generalized_wasserstein_dice: a
// stats pass filling, per unit (one chunk of one sample's pixels) and
// label y, the kept pixels (Cnt), sum wass (SP), sum (1 - wass) (TP) and
// sum (2 - wass) (SG), then a gradient pass.
type wassJob struct {
	batch32
	grad     bool
	sums     []kernel.Sums
	cpr      int
	M        []float64 // C×C, normalised
	dW, dA   []float64 // per group
	a        []float64 // per (group, class)
	perGroup bool
	plane    softmaxPlane
}

// Do runs unit c.
func (j *wassJob) Do(c, _, _ int) {
	C, S := j.g.c, j.g.s
	n, s0, s1 := j.chunkOf(c, j.cpr)
	x := j.x[n*C*S : (n+1)*C*S]
	lab := j.lab[n*S : (n+1)*S]
	var out []kernel.Sums
	var st *kernel.Sums // the statistics pass flags bad values here
	if !j.grad {
		out = j.sums[c*C : (c+1)*C]
		clear(out)
		st = &out[0]
	}
	grp := 0
	if j.perGroup {
		grp = n
	}
	pr := j.plane.sample(&j.batch32, n)
	if !j.grad && j.plane.fill(&j.batch32, n, s0, s1) {
		out[0].Bad = true
	}
	ign, useIgn := ignoreLabel32(j.o)
	var pb [kernel.MaxSoftmaxC]float32
	p := pb[:C]
	for px := s0; px < s1; px++ {
		y := lab[px]
		if !j.labelPixel(st, x, n, px, y, ign, useIgn) {
			continue
		}
		j.plane.pixel(p, pr, px)
		row := j.M[int(y)*C : int(y)*C+C]
		if !j.grad {
			var v float64
			for ch := range p {
				v += row[ch] * float64(p[ch])
			}
			o := &out[y]
			o.Cnt++
			o.SP += v
			o.TP += 1 - v
			o.SG += 2 - v
			continue
		}
		dw := j.dW[grp] + j.dA[grp]*j.a[grp*C+int(y)]
		var dot float64
		for ch := range p {
			dot += float64(p[ch]) * dw * row[ch]
		}
		for ch := range p {
			j.gr[(n*C+ch)*S+px] = float32(float64(p[ch]) * (dw*row[ch] - dot))
		}
	}
}

// fusedWasserstein is generalized_wasserstein_dice's fused float32 path
// (see wassersteinDice).
func fusedWasserstein(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	C := g.c
	if b.Labels == nil || C > kernel.MaxSoftmaxC {
		return 0, false, false
	}
	j := &fw.wass
	defer func() { *j = wassJob{} }()
	*j = wassJob{batch32: newBatch32(l, g, grad, b), perGroup: o.Reduction == PerSample}
	j.plane = newSoftmaxPlane(fw, &j.batch32)
	j.M = o.wassersteinMatrix(grow(&fw.f2.m, C*C), C)
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * j.cpr
	j.sums = growSums(&fw.sums, units*C)
	kernel.Run(j, units, 1)
	G := 1
	if j.perGroup {
		G = g.n
	}
	gs := growSums(&fw.f2.group, G*C)
	clear(gs)
	for u := range j.sums {
		s := &j.sums[u]
		if s.Bad {
			return 0, true, true
		}
		k := u % C
		if j.perGroup {
			k += u / C / j.cpr * C
		}
		gs[k].Add(s)
	}
	gdl := o.WeightingMode == "GDL"
	a := grow(&fw.f2.w, G*C)
	for k := range a {
		switch {
		case gdl:
			a[k] = 1 / (gs[k].Cnt + 1)
		case k%C == 0:
			a[k] = 0
		default:
			a[k] = 1
		}
	}
	j.a = a
	j.dW = grow(&fw.f2.dTP, G)
	j.dA = grow(&fw.f2.dSP, G)
	sm := o.Smooth
	inv := 1 / float64(G)
	var loss float64
	for grp := 0; grp < G; grp++ {
		var TP, W, AW float64
		for c := 0; c < C; c++ {
			s := &gs[grp*C+c]
			TP += a[grp*C+c] * s.TP
			W += s.SP
			AW += a[grp*C+c] * s.SG
		}
		num := 2*TP + sm
		den := AW + sm
		j.dW[grp] = 0
		if !gdl {
			den = 2*TP + W + sm
			j.dA[grp] = 2 * W / (den * den) * inv
			j.dW[grp] = num / (den * den) * inv
		} else {
			j.dA[grp] = (2*den - num) / (den * den) * inv
		}
		loss += (1 - num/den) * inv
	}
	if grad != nil {
		j.grad = true
		kernel.Run(j, units, 1)
	}
	return loss, true, false
}
