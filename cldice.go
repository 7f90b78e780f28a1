package segloss

import (
	"runtime"
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

// clDice (Shit et al. 2021, MONAI SoftclDiceLoss): 1 - 2 Tprec Tsens /
// (Tprec + Tsens) per class (and sample), Tprec = (sum S_p g + s)/(sum S_p
// + s), Tsens = (sum S_g p + s)/(sum S_g + s), S the soft skeletons
// (skeleton.go; S_g a constant), then the mean over classes (and samples).
//
// Both paths run one clJob, in parallel over the (sample, class) planes:
// a stats pass (the four sums of each plane), the loss and its
// coefficients per (group, class), then a gradient pass that recomputes
// each plane's skeletons and runs the skeleton's backward pass. The
// general path reads the planes of its dense float64 batch; the fused
// float32 path (cldice_fast.go) activates each plane into float64 scratch
// exactly as the general path does, so both give the same values. Each
// worker's scratch is one skelWS of the Loss's clWS: a few planes, not the
// batch.
//
// Special cases are:
//
//	Tprec + Tsens = 0 (only with smooth = 0): loss 1, gradient 0

// clWS is the pooled scratch of clDice: the workers' skelWS and the sums.
type clWS struct {
	mu   sync.Mutex
	all  []*skelWS
	free []*skelWS
	job  clJob
	cls  []int
	kOf  []int        // per channel: its index in classes, or -1
	sums [4][]float64 // per plane: A = sum S_p g, B = sum S_p, C = sum S_g p, E = sum S_g
	grp  [4][]float64 // the same per (group, class)
	co   [3][]float64 // per (group, class): dL/dA, dL/dB, dL/dC
	bad  []bool       // per unit (fused path)
}

// get takes a worker's scratch (run sized one per possible worker).
func (c *clWS) get() *skelWS {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free) == 0 { // not reached: at most GOMAXPROCS units run at once
		k := new(skelWS)
		c.job.size(k)
		c.all = append(c.all, k)
		return k
	}
	k := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	return k
}

// put returns a worker's scratch.
func (c *clWS) put(k *skelWS) {
	c.mu.Lock()
	c.free = append(c.free, k)
	c.mu.Unlock()
}

// clJob is one pass of clDice. Its units are, on the general path, the
// planes (sample, class); on the fused path with sigmoid or probabilities,
// the (sample, channel) rows of the batch; with the softmax of class
// indices, the samples (the softmax couples a pixel's channels).
type clJob struct {
	ws       *clWS
	o        *Options
	m        morph
	d        *dense  // the general path's batch, or nil
	b        batch32 // the fused path's batch (b.x nil on the general path)
	dp       []float64
	w        float64 // the gradient's weight
	classes  []int
	K, G     int
	withGrad bool // a gradient pass follows the stats pass
	grad     bool // the gradient pass
}

// group returns the (group, class) index of sample n, class k.
func (j *clJob) group(n, k int) int {
	if j.o.Reduction == PerSample {
		return n*j.K + k
	}
	return k
}

// softmax reports the fused path on class indices.
func (j *clJob) softmax() bool { return j.b.lab != nil }

// units returns the number of units of the current pass.
func (j *clJob) units(g geom) int {
	switch {
	case j.b.x == nil:
		return g.n * j.K
	case j.softmax():
		return g.n
	}
	return g.n * g.c
}

// size makes k fit the job's planes.
func (j *clJob) size(k *skelWS) {
	chans := 0
	if j.softmax() {
		chans = j.b.g.c
	}
	k.size(&j.m, j.o.Iter, j.withGrad, j.b.x != nil, chans)
}

// Do runs unit u.
func (j *clJob) Do(u, _, _ int) {
	sc := j.ws.get()
	defer j.ws.put(sc)
	switch {
	case j.b.x == nil:
		n, k := u/j.K, u%j.K
		d := j.d
		off := d.at(n, j.classes[k], 0)
		var row []float64
		if j.grad {
			row = j.dp[off : off+d.g.s]
		}
		j.plane(sc, n, k, d.p[off:off+d.g.s], d.t[off:off+d.g.s], row)
	case j.softmax():
		S := j.b.g.s
		if sc.loadSoftmax(&j.b, u) {
			j.ws.bad[u] = true
			return
		}
		var dp []float64 // sized only when a gradient pass follows
		if j.grad {
			dp = sc.dpC[:j.b.g.c*S]
			clear(dp)
		}
		for k, c := range j.classes {
			sc.oneHot(&j.b, u, c)
			var row []float64
			if j.grad {
				row = dp[c*S : (c+1)*S]
			}
			j.plane(sc, u, k, sc.pC[c*S:(c+1)*S], sc.t, row)
		}
		if j.grad {
			sc.storeSoftmax(&j.b, u)
		}
	default:
		c, S := u%j.b.g.c, j.b.g.s
		n, k := u/j.b.g.c, j.ws.kOf[c]
		switch {
		case j.grad && k < 0: // a channel outside classes
			clear(j.b.gr[u*S : (u+1)*S])
		case j.grad:
			sc.load(&j.b, u*S)
			clear(sc.row)
			j.plane(sc, n, k, sc.p, sc.t, sc.row)
			sc.store(&j.b, u*S)
		case sc.load(&j.b, u*S):
			j.ws.bad[u] = true
		case k >= 0:
			j.plane(sc, n, k, sc.p, sc.t, nil)
		}
	}
}

// plane runs the current pass on plane (n, k), probabilities p and target
// t: the stats pass stores its four sums; the gradient pass adds w times
// the gradient with respect to p into row.
func (j *clJob) plane(sc *skelWS, n, k int, p, t, row []float64) {
	if !j.grad {
		var A, B, C, E float64
		Sp := sc.forward(p, false)
		for s, v := range Sp {
			A += v * t[s]
			B += v
		}
		Sg := sc.forward(t, false)
		for s, v := range Sg {
			C += v * p[s]
			E += v
		}
		i := n*j.K + k
		j.ws.sums[0][i], j.ws.sums[1][i], j.ws.sums[2][i], j.ws.sums[3][i] = A, B, C, E
		return
	}
	g := j.group(n, k)
	dA, dB, dC := j.ws.co[0][g], j.ws.co[1][g], j.ws.co[2][g]
	for s, v := range sc.forward(t, false) {
		row[s] += j.w * dC * v
	}
	if dA == 0 && dB == 0 {
		return
	}
	sc.forward(p, true)
	gS := sc.gS[:len(p)]
	for s := range gS {
		gS[s] = j.w * (dA*t[s] + dB)
	}
	sc.backward(row, gS)
}

// run runs clDice on j's batch (j.d or j.b, with j.o, j.w, j.dp set) and
// returns the loss; on the fused path it reports a bad value instead.
func (c *clWS) run(j *clJob, g geom, spatial []int) (loss float64, bad bool) {
	o := j.o
	j.ws = c
	j.classes = o.Classes
	if j.classes == nil {
		j.classes = allClasses(grow(&c.cls, g.c), g.c)
	}
	j.K, j.G = len(j.classes), 1
	if o.Reduction == PerSample {
		j.G = g.n
	}
	if len(spatial) == 0 {
		spatial = []int{1}
	}
	j.m.reset(spatial)
	j.withGrad = j.dp != nil || j.b.gr != nil
	fused := j.b.x != nil
	units := j.units(g)
	if fused {
		kOf := grow(&c.kOf, g.c)
		for ch := range kOf {
			kOf[ch] = -1
		}
		for k, ch := range j.classes {
			kOf[ch] = k
		}
		clear(grow(&c.bad, units))
	}
	// One scratch per worker that can run at once, sized now.
	workers := min(runtime.GOMAXPROCS(0), units)
	for len(c.all) < workers {
		c.all = append(c.all, new(skelWS))
	}
	c.free = append(c.free[:0], c.all...)
	for _, k := range c.all {
		j.size(k)
	}
	for i := range c.sums {
		grow(&c.sums[i], g.n*j.K)
		clear(grow(&c.grp[i], j.G*j.K))
	}
	for i := range c.co {
		clear(grow(&c.co[i], j.G*j.K))
	}
	serial := hasDuplicates(j.classes) // planes of one channel add into one gradient row
	pass := func() {
		units := j.units(g)
		if serial {
			for u := 0; u < units; u++ {
				j.Do(u, u, u+1)
			}
			return
		}
		kernel.Run(j, units, 1)
	}
	pass()
	if fused {
		for _, b := range c.bad {
			if b {
				return 0, true
			}
		}
	}
	loss = c.coefficients(j, g.n, o.Smooth)
	if j.withGrad {
		j.grad = true
		pass()
	}
	return loss, false
}

// coefficients reduces the plane sums per (group, class), in plane order,
// and returns the loss, leaving its derivatives with respect to the sums
// in c.co.
func (c *clWS) coefficients(j *clJob, n int, s float64) float64 {
	gA, gB, gC, gE := c.grp[0], c.grp[1], c.grp[2], c.grp[3]
	for i := 0; i < n*j.K; i++ {
		k := j.group(i/j.K, i%j.K)
		gA[k] += c.sums[0][i]
		gB[k] += c.sums[1][i]
		gC[k] += c.sums[2][i]
		gE[k] += c.sums[3][i]
	}
	inv := 1 / float64(j.G*j.K)
	var loss float64
	dA, dB, dC := c.co[0], c.co[1], c.co[2]
	for k := range gA {
		tp := (gA[k] + s) / (gB[k] + s)
		ts := (gC[k] + s) / (gE[k] + s)
		sum := tp + ts
		if sum == 0 {
			loss += inv
			continue
		}
		loss += (1 - 2*tp*ts/sum) * inv
		dtp := -2 * ts * ts / (sum * sum) * inv
		dts := -2 * tp * tp / (sum * sum) * inv
		dA[k] = dtp / (gB[k] + s)
		dB[k] = -dtp * tp / (gB[k] + s)
		dC[k] = dts / (gE[k] + s)
	}
	return loss
}

// clDice is the general path of clDice on d: it returns the loss and adds
// w times its gradient with respect to p into dp (when dp is not nil).
func clDice(o *Options, ws *workspace, d *dense, dp []float64, w float64) float64 {
	c := &ws.fast.cl
	j := &c.job
	defer func() { *j = clJob{} }()
	*j = clJob{o: o, d: d, dp: dp, w: w}
	loss, _ := c.run(j, d.g, d.spatial)
	return loss
}
