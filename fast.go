package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// The fused float32 paths. For float32 batches of the common shapes and
// options, Eval runs one parallel pass over the elements for the
// statistics (value checks included) and one for the gradient, in fixed
// chunks whose partial sums are reduced in chunk order, so results do not
// depend on the number of threads. Everything else takes the general path.

// fastWS is the scratch memory of the fused paths, pooled across calls.
type fastWS struct {
	sums    []kernel.Sums
	coef    []regionCoef
	cw      [5][]float32 // per (group, class): DSP, DSP2, DTP, DAbs, D1
	w32     []float32    // class weights
	probs   []float32
	cnt     []int
	npos    []int
	losses  []float64
	sorters []kernel.Sorter
	stats   RegionStats
	job     fastJob
	small   []float64
}

// Job kinds.
const (
	jobBCE = iota
	jobFocal
	jobBinStats
	jobBinGrad
	jobSoftCE
	jobSoftStats
	jobSoftGrad
	jobSoftProbs
	jobScale
	jobZero
	jobHingeList
	jobHingeRuns
	jobSoftLovasz
	jobSoftChain
)

// fastJob is every parallel loop of the fused paths; kind selects the body.
type fastJob struct {
	kind     int
	g        geom
	x, t, gr []float32
	lab      []int32
	bce      kernel.BCEOpts
	focal    kernel.FocalOpts
	bin      kernel.Binary
	sm       kernel.Softmax
	sums     []kernel.Sums
	cpr      int          // chunks per row
	stats    *RegionStats // the region sums being filled; coefficient rows follow its entries
	cw       [5][]float32
	scale    float32
	ws       *fastWS
	o        *Options
	// Lovász
	perImage bool
	runLen   int
	cls      []int
	f        []float64
	buf      []uint64 // packed Lovász entries
	dp       bool     // binary region: sigmoid derivatives kept in the gradient buffer
}

// Do runs chunk (or unit) c of the loop selected by j.kind.
func (j *fastJob) Do(c, lo, hi int) {
	switch j.kind {
	case jobBCE:
		var g []float32
		if j.gr != nil {
			g = j.gr[lo:hi]
		}
		j.sums[c] = kernel.BCE(g, j.x[lo:hi], j.t[lo:hi], &j.bce)
	case jobFocal:
		var g []float32
		if j.gr != nil {
			g = j.gr[lo:hi]
		}
		j.sums[c] = kernel.Focal(g, j.x[lo:hi], j.t[lo:hi], &j.focal)
	case jobScale:
		for i := lo; i < hi; i++ {
			j.gr[i] *= j.scale
		}
	case jobZero:
		clear(j.gr[lo:hi])
	case jobBinStats, jobBinGrad:
		row, part := c/j.cpr, c%j.cpr
		s0 := part * kernel.Chunk
		s1 := min(s0+kernel.Chunk, j.g.s)
		off := row * j.g.s
		x, t := j.x[off+s0:off+s1], j.t[off+s0:off+s1]
		if j.kind == jobBinStats {
			if j.dp {
				j.sums[c] = kernel.BinaryStatsDP(j.gr[off+s0:off+s1], x, t, &j.bin)
			} else {
				j.sums[c] = kernel.BinaryStats(x, t, &j.bin)
			}
			return
		}
		b := j.bin
		k := j.stats.entry(row/j.g.c, row%j.g.c)
		b.DSP, b.DSP2, b.DTP, b.DAbs, b.D1 = j.cw[0][k], j.cw[1][k], j.cw[2][k], j.cw[3][k], j.cw[4][k]
		if j.dp {
			kernel.BinaryGradDP(j.gr[off+s0:off+s1], t, &b)
		} else {
			kernel.BinaryGrad(j.gr[off+s0:off+s1], x, t, &b)
		}
	case jobSoftCE, jobSoftStats, jobSoftGrad, jobSoftProbs:
		n, part := c/j.cpr, c%j.cpr
		C, S := j.g.c, j.g.s
		sm := j.sm
		sm.S0 = part * kernel.Chunk
		sm.S1 = min(sm.S0+kernel.Chunk, S)
		x := j.x[n*C*S : (n+1)*C*S]
		lab := j.lab[n*S : (n+1)*S]
		switch j.kind {
		case jobSoftCE:
			var g []float32
			if j.gr != nil {
				g = j.gr[n*C*S : (n+1)*C*S]
			}
			j.sums[c] = kernel.SoftmaxCE(g, x, lab, &sm)
		case jobSoftStats:
			out := j.sums[c*C : (c+1)*C]
			clear(out)
			kernel.SoftmaxStats(out, x, lab, &sm)
		case jobSoftGrad:
			k := j.stats.entry(n, 0)
			sm.DSP, sm.DSP2, sm.DTP, sm.DAbs, sm.D1 = j.cw[0][k:k+C], j.cw[1][k:k+C], j.cw[2][k:k+C], j.cw[3][k:k+C], j.cw[4][k:k+C]
			kernel.SoftmaxGrad(j.gr[n*C*S:(n+1)*C*S], x, lab, &sm)
		case jobSoftProbs:
			j.sums[c] = kernel.SoftmaxProbs(j.ws.probs[n*C*S:(n+1)*C*S], x, lab, &sm)
		}
	case jobHingeList:
		j.hinge(c, lo, hi)
	case jobHingeRuns:
		j.hingeRun(c)
	case jobSoftLovasz:
		j.softLovasz(c)
	case jobSoftChain:
		j.softChain(c, lo, hi)
	}
}

// fastEval32 evaluates l on a float32 batch with its descriptor's fused
// path. It reports handled = false when the loss or its options have no
// fused path, and bad = true when a value failed the checks (the caller
// then runs the full check for the message; grad is unspecified).
func fastEval32(l *Loss, g geom, grad []float32, b Batch[float32]) (v float64, handled, bad bool) {
	o := &l.opts
	if o.Reduction == None && g.n > 1 {
		return 0, false, false
	}
	if b.Labels != nil && (g.c > kernel.MaxSoftmaxC || !o.FromLogits) {
		return 0, false, false
	}
	ws := l.fast.Get().(*fastWS)
	defer l.fast.Put(ws)
	return l.d.fused(l, ws, g, grad, b)
}

// newJob returns the scratch job of ws set up for batch b.
func newJob(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) *fastJob {
	j := &ws.job
	*j = fastJob{g: g, x: b.Input, t: b.Target, lab: b.Labels, gr: grad, ws: ws, o: &l.opts}
	return j
}

// fusedBCE is the fused path of bce and bce_logits (float targets).
func fusedBCE(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil {
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fastBCE(l, ws, j, false)
	return v, true, bad
}

// fusedFocal is the fused path of focal_sigmoid (float targets).
func fusedFocal(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil {
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fastBCE(l, ws, j, true)
	return v, true, bad
}

// fusedCE is the fused path of cross_entropy from logits with class indices.
func fusedCE(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil {
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fastCE(l, ws, j)
	return v, true, bad
}

// fastRegion is the fused path of every region loss and of dice_bce.
func fastRegion(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil && l.opts.Mode == Multiclass {
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fusedRegion(l, ws, j)
	return v, true, bad
}

// fastHinge is the fused path of lovasz_hinge.
func fastHinge(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil || g.size() >= 1<<31 { // element indices share 32 bits with a label bit
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fusedHinge(l, ws, j)
	return v, true, bad
}

// fastLovaszSoftmax is the fused path of lovasz_softmax from logits.
func fastLovaszSoftmax(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil || hasDuplicates(l.opts.Classes) || g.size() >= 1<<31 {
		return 0, false, false
	}
	j := newJob(l, ws, g, grad, b)
	defer func() { *j = fastJob{} }()
	v, bad := fusedLovaszSoftmax(l, ws, j)
	return v, true, bad
}

func hasDuplicates(s []int) bool {
	for i := range s {
		for k := 0; k < i; k++ {
			if s[k] == s[i] {
				return true
			}
		}
	}
	return false
}

func growSums(buf *[]kernel.Sums, n int) []kernel.Sums { return grow(buf, n) }

// sumChunks adds the chunk sums in chunk order.
func sumChunks(s []kernel.Sums) kernel.Sums {
	var t kernel.Sums
	for i := range s {
		t.Add(&s[i])
	}
	return t
}

func bceOpts(o *Options) kernel.BCEOpts {
	ign, ok := ignoreValue32(o)
	return kernel.BCEOpts{
		Logits: o.FromLogits, PosWeight: float32(o.PosWeight), Smooth: float32(o.LabelSmoothing),
		Eps: float32(o.Eps), LogEps: float32(o.LogEps), Ignore: ok, IgnoreValue: ign,
	}
}

// ignoreValue32 returns the ignore value of float targets in float32 and
// whether it is in use: an ignore index that float32 cannot represent
// exactly matches no float32 target, as in the general path.
func ignoreValue32(o *Options) (float32, bool) {
	v := float32(o.IgnoreIndex)
	return v, o.Ignore && float64(v) == float64(o.IgnoreIndex)
}

// fastBCE is bce, bce_logits and focal_sigmoid: one pass for loss and
// gradient (a second one rescales the gradient when ignored elements
// make the count unknown in advance).
func fastBCE(l *Loss, ws *fastWS, j *fastJob, focal bool) (float64, bool) {
	o := &l.opts
	n := len(j.x)
	j.bce = bceOpts(o)
	scale := float32(1)
	if o.Reduction != Sum && !o.Ignore {
		scale = float32(1 / float64(n))
	}
	j.bce.Scale = scale
	j.kind = jobBCE
	if focal {
		j.kind = jobFocal
		j.bce.PosWeight = 1
		j.focal = kernel.FocalOpts{BCE: j.bce, Alpha: float32(o.Alpha), Gamma: float32(o.Gamma), PtExp: o.PtForm == PtExp}
	}
	j.sums = growSums(&ws.sums, kernel.Chunks(n, kernel.Chunk))
	kernel.Run(j, n, kernel.Chunk)
	s := sumChunks(j.sums)
	if s.Bad {
		return 0, true
	}
	if o.Reduction == Sum {
		return s.Loss, false
	}
	if s.Cnt == 0 {
		if j.gr != nil {
			j.kind = jobZero
			kernel.Run(j, n, kernel.Chunk)
		}
		return 0, false
	}
	if o.Ignore && j.gr != nil {
		j.kind, j.scale = jobScale, float32(1/s.Cnt)
		kernel.Run(j, n, kernel.Chunk)
	}
	return s.Loss / s.Cnt, false
}

// fastCE is cross_entropy from logits with class indices.
func fastCE(l *Loss, ws *fastWS, j *fastJob) (float64, bool) {
	o := &l.opts
	g := j.g
	j.sm = kernel.Softmax{C: g.c, S: g.s, Ignore: o.Ignore, IgnoreIndex: int32(o.IgnoreIndex), Smooth: float32(o.LabelSmoothing), Scale: 1}
	if o.IgnoreIndex != int(int32(o.IgnoreIndex)) {
		j.sm.Ignore = false // no int32 label can equal it
	}
	if o.ClassWeights != nil {
		j.sm.Weights = toFloat32(&ws.w32, o.ClassWeights)
	}
	// Without class weights the denominator is the count of labelled
	// pixels: assume all are (the common case); a rescaling pass follows
	// only if some were ignored.
	unweighted := o.ClassWeights == nil
	all := float64(g.n * g.s)
	if unweighted && o.Reduction != Sum {
		j.sm.Scale = float32(1 / all)
	}
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * j.cpr
	j.sums = growSums(&ws.sums, units)
	j.kind = jobSoftCE
	kernel.Run(j, units, 1)
	s := sumChunks(j.sums)
	if s.Bad {
		return 0, true
	}
	if s.Den == 0 {
		if j.gr != nil {
			j.kind = jobZero
			kernel.Run(j, len(j.gr), kernel.Chunk)
		}
		return 0, false
	}
	if o.Reduction == Sum {
		return s.Loss, false
	}
	if j.gr != nil && (!unweighted || s.Den != all) {
		f := 1 / s.Den
		if unweighted {
			f = all / s.Den // undo the assumed 1/all
		}
		j.kind, j.scale = jobScale, float32(f)
		kernel.Run(j, len(j.gr), kernel.Chunk)
	}
	return s.Loss / s.Den, false
}

func toFloat32(buf *[]float32, v []float64) []float32 {
	out := grow(buf, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

// fusedRegion is every overlap loss and dice_bce: a stats pass, the loss
// and its coefficients from the merged sums, then a gradient pass.
func fusedRegion(l *Loss, ws *fastWS, j *fastJob) (float64, bool) {
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
		j.sm = kernel.Softmax{C: g.c, S: g.s, Ignore: o.Ignore, IgnoreIndex: int32(o.IgnoreIndex),
			Extra: o.Squared || o.TPForm == L1}
		if o.IgnoreIndex != int(int32(o.IgnoreIndex)) {
			j.sm.Ignore = false
		}
		if ce != nil {
			j.sm.CE = true
			if w := ce.opts.ClassWeights; w != nil {
				j.sm.Weights = toFloat32(&ws.w32, w)
			}
		}
		units := g.n * j.cpr
		j.sums = growSums(&ws.sums, units*g.c)
		j.kind = jobSoftStats
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
		j.kind = jobBinStats
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
		j.cw[4][k] = float32(dw * (cf.dSP + cf.dTP))
	}
	ceScale := float32(0)
	if ce != nil && bceDen > 0 {
		ceScale = float32(l.opts.BCEWeight / bceDen)
	}
	if multi {
		j.sm.CEScale = ceScale
		j.kind = jobSoftGrad
		kernel.Run(j, g.n*j.cpr, 1)
	} else {
		j.bin.BCEScale = ceScale
		j.kind = jobBinGrad
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

// fastHinge is lovasz_hinge: the elements with a positive error are
// listed as packed sort entries (in parallel chunks, then compacted, for
// the whole batch; per sample for per_image), radix-sorted, and the
// Lovász weights give loss and gradient.
func fusedHinge(l *Loss, ws *fastWS, j *fastJob) (float64, bool) {
	o := &l.opts
	g := j.g
	n := len(j.x)
	if !o.PerImage {
		if len(ws.sorters) < 1 {
			ws.sorters = make([]kernel.Sorter, 1)
		}
		st := &ws.sorters[0]
		st.SetSequential(false)
		j.buf = st.Buffer32(n)
		nc := kernel.Chunks(n, kernel.Chunk)
		ws.cnt = grow(&ws.cnt, nc)
		ws.npos = grow(&ws.npos, nc)
		j.sums = growSums(&ws.sums, nc)
		j.kind = jobHingeList
		kernel.Run(j, n, kernel.Chunk)
		m, npos := 0, 0
		for c := 0; c < nc; c++ {
			if j.sums[c].Bad {
				return 0, true
			}
			k := ws.cnt[c]
			lo := c * kernel.Chunk
			copy(j.buf[m:m+k], j.buf[lo:lo+k]) // m <= lo: in order, overlap-safe
			m += k
			npos += ws.npos[c]
		}
		return st.LovaszPacked32(m, npos, j.gr, 1, 1), false
	}
	if len(ws.sorters) < g.n {
		ws.sorters = make([]kernel.Sorter, g.n)
	}
	ws.losses = grow(&ws.losses, g.n)
	j.sums = growSums(&ws.sums, g.n)
	j.kind = jobHingeRuns
	kernel.Run(j, g.n, 1)
	var loss float64
	for i := 0; i < g.n; i++ {
		if j.sums[i].Bad {
			return 0, true
		}
		loss += ws.losses[i]
	}
	return loss / float64(g.n), false
}

// hingeList checks elements [lo, hi) and lists those with a positive
// error into buf (from its start) as packed sort entries; it returns the
// listed and the foreground counts. The loop is branch-free (labels and
// errors are random, branches would mispredict): every element is
// written to the next free slot, which only a listed one keeps.
func (j *fastJob) hingeList(lo, hi int, buf []uint64) (m, npos int, bad bool) {
	ign, useIgn := ignoreValue32(j.o)
	if useIgn {
		return j.hingeListIgnore(lo, hi, buf, ign)
	}
	xs, ts := j.x[lo:hi], j.t[lo:hi]
	buf = buf[:len(xs)]
	var chk float32 // turns NaN on a non-finite input
	var badT uint64 // non-zero once a target is neither 0 nor 1
	for k, x := range xs {
		chk += x - x
		v := math.Float32bits(ts[k] + 0) // -0 -> +0
		badT |= uint64(v) * uint64(v^0x3f800000)
		fg := v >> 23 & 1 // 1 for t = 1, 0 for t = 0
		// The error is 1 - m with m = x(2t-1) = ±x, exact; the sort key is
		// -m, exact too, so the order is that of the exact errors. It is
		// listed when the error is positive: key + 1 > 0 (exact near -1).
		key := math.Float32frombits(math.Float32bits(x) ^ fg<<31)
		listed := int(uint32(-int32(math.Float32bits(key+1))) >> 31)
		npos += int(fg)
		buf[m] = kernel.PackDesc32(key, int32(lo+k)|int32(fg<<31))
		m += listed // m <= k: the next write stays in range
	}
	return m, npos, chk != 0 || badT != 0
}

// hingeListIgnore is hingeList with an ignore value (with branches: rare).
func (j *fastJob) hingeListIgnore(lo, hi int, buf []uint64, ign float32) (m, npos int, bad bool) {
	for i := lo; i < hi; i++ {
		x, t := j.x[i], j.t[i]
		if x-x != 0 {
			bad = true
		}
		if t == ign {
			continue
		}
		if t != 0 && t != 1 {
			bad = true
			continue
		}
		fg := uint32(0)
		if t == 1 {
			fg = 1
		}
		key := math.Float32frombits(math.Float32bits(x) ^ fg<<31)
		npos += int(fg)
		if key > -1 {
			buf[m] = kernel.PackDesc32(key, int32(i)|int32(fg<<31))
			m++
		}
	}
	return m, npos, bad
}

func (j *fastJob) hinge(c, lo, hi int) {
	if j.gr != nil {
		clear(j.gr[lo:hi]) // listed elements get their weight later
	}
	m, npos, bad := j.hingeList(lo, hi, j.buf[lo:hi])
	j.ws.cnt[c], j.ws.npos[c] = m, npos
	j.sums[c] = kernel.Sums{Bad: bad}
}

// hingeRun is the Lovász hinge of sample n alone (per_image).
func (j *fastJob) hingeRun(n int) {
	per := j.g.c * j.g.s
	lo, hi := n*per, (n+1)*per
	if j.gr != nil {
		clear(j.gr[lo:hi])
	}
	st := &j.ws.sorters[n]
	st.SetSequential(true)
	m, npos, bad := j.hingeList(lo, hi, st.Buffer32(per))
	j.sums[n] = kernel.Sums{Bad: bad}
	if bad {
		return
	}
	j.ws.losses[n] = st.LovaszPacked32(m, npos, j.gr, 1/float64(j.g.n), 1)
}

// fastLovaszSoftmax is lovasz_softmax from logits with class indices: the
// probabilities in one parallel pass, then one job per (run, class) that
// lists the positive errors, sorts them and writes the Lovász weights
// into the gradient buffer, and a last pass through the softmax.
func fusedLovaszSoftmax(l *Loss, ws *fastWS, j *fastJob) (float64, bool) {
	o := &l.opts
	g := j.g
	C, S, N := g.c, g.s, g.n
	ws.probs = grow(&ws.probs, g.size())
	j.sm = kernel.Softmax{C: C, S: S, Ignore: o.Ignore, IgnoreIndex: int32(o.IgnoreIndex)}
	if o.IgnoreIndex != int(int32(o.IgnoreIndex)) {
		j.sm.Ignore = false
	}
	j.cpr = kernel.Chunks(S, kernel.Chunk)
	units := N * j.cpr
	j.sums = growSums(&ws.sums, max(units, N*C))
	j.kind = jobSoftProbs
	kernel.Run(j, units, 1)
	for u := 0; u < units; u++ {
		if j.sums[u].Bad {
			return 0, true
		}
	}
	cls := o.Classes
	if cls == nil {
		cls = allClasses(grow(&ws.cnt, C), C)
	}
	j.cls = cls
	runs := 1
	j.runLen = N * S
	if o.PerImage {
		runs, j.runLen = N, S
	}
	nu := runs * len(cls)
	ws.losses = grow(&ws.losses, nu)
	ws.npos = grow(&ws.npos, nu) // 1 when the (run, class) enters the mean
	if len(ws.sorters) < nu {
		ws.sorters = make([]kernel.Sorter, nu)
	}
	if j.gr != nil {
		j.kind = jobZero
		kernel.Run(j, len(j.gr), kernel.Chunk)
	}
	j.kind = jobSoftLovasz
	kernel.Run(j, nu, 1)
	j.f = grow(&ws.small, runs)
	var loss float64
	for r := 0; r < runs; r++ {
		used := 0
		var sum float64
		for k := range cls {
			u := r*len(cls) + k
			used += ws.npos[u]
			sum += ws.losses[u]
		}
		j.f[r] = 0
		if used > 0 {
			loss += sum / float64(used)
			j.f[r] = 1 / float64(used) / float64(runs)
		}
	}
	loss /= float64(runs)
	if j.gr != nil {
		j.perImage = o.PerImage
		j.kind = jobSoftChain
		kernel.Run(j, N*j.cpr, 1)
	}
	return loss, false
}

// softLovasz lists, sorts and weighs the errors of class cls[u%len] in
// run u/len, in packed sort entries (branch-free label test).
func (j *fastJob) softLovasz(u int) {
	o := j.o
	ws := j.ws
	C, S := j.g.c, j.g.s
	r, c := u/len(j.cls), j.cls[u%len(j.cls)]
	st := &ws.sorters[u]
	st.SetSequential(true)
	buf := st.Buffer32(j.runLen)
	m, npos, valid := 0, 0, 0
	ign := int32(o.IgnoreIndex)
	useIgn := o.Ignore && int(ign) == o.IgnoreIndex
	nLo := r * j.runLen / S
	for n := nLo; n < nLo+j.runLen/S; n++ {
		lab := j.lab[n*S : (n+1)*S]
		row := ws.probs[(n*C+c)*S : (n*C+c+1)*S]
		base := int32((n*C + c) * S)
		for s, y := range lab {
			if useIgn && y == ign {
				continue
			}
			valid++
			d := uint32(y - int32(c))
			fg := 1 - (d|-d)>>31 // 1 when y == c, branch-free
			// error |1[y=c] - p|: p, or 1 - p (sign flip, then + 1)
			e := math.Float32frombits(math.Float32bits(row[s])^fg<<31) + float32(fg)
			npos += int(fg)
			buf[m] = kernel.PackDesc32(e, (base+int32(s))|int32(fg<<31))
			m += int(uint32(-int32(math.Float32bits(e))) >> 31) // listed when e > 0
		}
	}
	ws.npos[u], ws.losses[u] = 0, 0
	if valid == 0 || (o.PresentOnly && npos == 0) {
		return
	}
	ws.npos[u] = 1
	ws.losses[u] = st.LovaszPacked32(m, npos, j.gr, 1, 0)
}

// softChain turns d loss / d p (in the gradient buffer) into the gradient
// with respect to the logits for chunk c of a sample, times the run's factor.
func (j *fastJob) softChain(c, lo, hi int) {
	n, part := c/j.cpr, c%j.cpr
	C, S := j.g.c, j.g.s
	s0 := part * kernel.Chunk
	s1 := min(s0+kernel.Chunk, S)
	f := j.f[0]
	if j.perImage {
		f = j.f[n]
	}
	kernel.SoftmaxChain(j.gr[n*C*S:(n+1)*C*S], j.ws.probs[n*C*S:(n+1)*C*S], C, S, s0, s1, f)
}
