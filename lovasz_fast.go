package segloss

import "github.com/segloss/segloss/internal/kernel"

// hingeJob is the fused path of lovasz_hinge: per chunk, the elements with
// a positive error listed as packed sort entries (the whole batch), or one
// sample's whole Lovász hinge per unit (runs: per_image).
type hingeJob struct {
	batch32
	ws   *fastWS
	sums []kernel.Sums
	st   *kernel.Sorter // the whole batch's
	buf  []uint64       // packed Lovász entries
	runs bool
}

// hingeChunk is the listing chunk of the whole-batch lovasz_hinge: each
// is one part of the sort (few parts keep its offset tables small).
const hingeChunk = 1 << 17

// Do runs chunk (or, with runs, sample) c.
func (j *hingeJob) Do(c, lo, hi int) {
	if j.runs {
		j.hingeRun(c)
		return
	}
	j.hinge(c, lo, hi)
}

// fastHinge is the fused path of lovasz_hinge.
func fastHinge(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil || g.size() >= 1<<31 { // element indices share 32 bits with a label bit
		return 0, false, false
	}
	v, bad := fusedHinge(l, ws, newBatch32(l, g, grad, b))
	return v, true, bad
}

// The passes of lovaszJob.
const (
	lovaszProbs = iota // the softmax probabilities, checking the values
	lovaszRuns         // one (run, class): list, sort and weigh the errors
	lovaszChain        // d loss / d p through the softmax
)

// lovaszJob is the fused path of lovasz_softmax from logits with class indices.
type lovaszJob struct {
	batch32
	ws       *fastWS
	phase    int
	sums     []kernel.Sums
	sm       kernel.Softmax
	cpr      int // chunks per sample
	cls      []int
	runLen   int
	f        []float64 // per run: the factor of its gradient
	perImage bool
}

// Do runs unit c of the current pass.
func (j *lovaszJob) Do(c, _, _ int) {
	switch j.phase {
	case lovaszProbs:
		C, S := j.g.c, j.g.s
		sm := j.sm
		n, s0, s1 := j.chunkOf(c, j.cpr)
		sm.S0, sm.S1 = s0, s1
		j.sums[c] = kernel.SoftmaxProbs(j.ws.probs[n*C*S:(n+1)*C*S], j.x[n*C*S:(n+1)*C*S], j.lab[n*S:(n+1)*S], &sm)
	case lovaszRuns:
		j.softLovasz(c)
	case lovaszChain:
		j.softChain(c)
	}
}

// fastLovaszSoftmax is the fused path of lovasz_softmax from logits.
func fastLovaszSoftmax(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil || hasDuplicates(l.opts.Classes) || g.size() >= 1<<31 {
		return 0, false, false
	}
	v, bad := fusedLovaszSoftmax(l, ws, newBatch32(l, g, grad, b))
	return v, true, bad
}

// fusedHinge is lovasz_hinge: the elements with a positive error are
// listed as packed sort entries (in parallel chunks, then compacted, for
// the whole batch; per sample for per_image), radix-sorted, and the
// Lovász weights give loss and gradient.
func fusedHinge(l *Loss, ws *fastWS, b batch32) (float64, bool) {
	j := &ws.hinge
	defer func() { *j = hingeJob{} }()
	*j = hingeJob{batch32: b, ws: ws}
	o := &l.opts
	g := j.g
	n := len(j.x)
	if !o.PerImage {
		st := ws.sorters.Get()
		defer ws.sorters.Put(st)
		st.SetSequential(false)
		j.st = st
		j.buf = st.Listing32(n, hingeChunk)
		nc := kernel.Chunks(n, hingeChunk)
		ws.npos = grow(&ws.npos, nc)
		j.sums = growSums(&ws.sums, nc)
		kernel.Run(j, n, hingeChunk)
		npos := 0
		for c := 0; c < nc; c++ {
			if j.sums[c].Bad {
				return 0, true
			}
			npos += ws.npos[c]
		}
		return st.LovaszListed32(npos, j.gr, 1, 1), false
	}
	ws.sorters.Reserve()
	ws.losses = grow(&ws.losses, g.n)
	j.sums = growSums(&ws.sums, g.n)
	j.runs = true
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
// error into buf (from its start) as packed sort entries
// (kernel.HingeList32); it returns the listed and the foreground counts.
func (j *hingeJob) hingeList(lo, hi int, buf []uint64) (m, npos int, bad bool) {
	ign, useIgn := ignoreValue32(j.o)
	return kernel.HingeList32(j.x[lo:hi], j.t[lo:hi], ign, useIgn, lo, buf)
}

func (j *hingeJob) hinge(c, lo, hi int) {
	if j.gr != nil {
		clear(j.gr[lo:hi]) // listed elements get their weight later
	}
	m, npos, bad := j.hingeList(lo, hi, j.buf[lo:hi])
	j.st.Count32(c, j.buf[lo:lo+m]) // while the entries are in cache
	j.ws.npos[c] = npos
	j.sums[c] = kernel.Sums{Bad: bad}
}

// hingeRun is the Lovász hinge of sample n alone (per_image).
func (j *hingeJob) hingeRun(n int) {
	per := j.g.c * j.g.s
	lo, hi := n*per, (n+1)*per
	if j.gr != nil {
		clear(j.gr[lo:hi])
	}
	st := j.ws.sorters.Get()
	defer j.ws.sorters.Put(st)
	st.SetSequential(true)
	buf := st.Listing32(per, per)
	m, npos, bad := j.hingeList(lo, hi, buf)
	j.sums[n] = kernel.Sums{Bad: bad}
	if bad {
		return
	}
	st.Count32(0, buf[:m])
	j.ws.losses[n] = st.LovaszListed32(npos, j.gr, 1/float64(j.g.n), 1)
}

// fusedLovaszSoftmax is lovasz_softmax from logits with class indices: the
// probabilities in one parallel pass, then one job per (run, class) that
// lists the positive errors, sorts them and writes the Lovász weights
// into the gradient buffer, and a last pass through the softmax.
func fusedLovaszSoftmax(l *Loss, ws *fastWS, b batch32) (float64, bool) {
	j := &ws.lovasz
	defer func() { *j = lovaszJob{} }()
	*j = lovaszJob{batch32: b, ws: ws}
	o := &l.opts
	g := j.g
	C, S, N := g.c, g.s, g.n
	ws.probs = grow(&ws.probs, g.size())
	ign, useIgn := ignoreLabel32(o)
	j.sm = kernel.Softmax{C: C, S: S, Ignore: useIgn, IgnoreIndex: ign}
	j.cpr = kernel.Chunks(S, kernel.Chunk)
	units := N * j.cpr
	j.sums = growSums(&ws.sums, max(units, N*C))
	j.phase = lovaszProbs
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
	ws.sorters.Reserve()
	if j.gr != nil {
		ws.zeroGrad32(j.gr)
	}
	j.phase = lovaszRuns
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
		j.phase = lovaszChain
		kernel.Run(j, N*j.cpr, 1)
	}
	return loss, false
}

// softLovasz lists (kernel.SoftList32), sorts and weighs the errors of
// class cls[u%len] in run u/len, in packed sort entries.
func (j *lovaszJob) softLovasz(u int) {
	o := j.o
	ws := j.ws
	C, S := j.g.c, j.g.s
	r, c := u/len(j.cls), j.cls[u%len(j.cls)]
	st := ws.sorters.Get()
	defer ws.sorters.Put(st)
	st.SetSequential(true)
	buf := st.Listing32(j.runLen, j.runLen)
	m, npos, ignored := 0, 0, 0
	ign := int32(o.IgnoreIndex)
	useIgn := o.Ignore && int(ign) == o.IgnoreIndex
	nLo := r * j.runLen / S
	for n := nLo; n < nLo+j.runLen/S; n++ {
		lab := j.lab[n*S : (n+1)*S]
		row := ws.probs[(n*C+c)*S : (n*C+c+1)*S]
		k, p, ig := kernel.SoftList32(row, lab, int32(c), ign, useIgn, (n*C+c)*S, buf[m:])
		m, npos, ignored = m+k, npos+p, ignored+ig
	}
	ws.npos[u], ws.losses[u] = 0, 0
	if ignored == j.runLen || (o.PresentOnly && npos == 0) {
		return
	}
	ws.npos[u] = 1
	st.Count32(0, buf[:m])
	ws.losses[u] = st.LovaszListed32(npos, j.gr, 1, 0)
}

// softChain turns d loss / d p (in the gradient buffer) into the gradient
// with respect to the logits for chunk c of a sample, times the run's factor.
func (j *lovaszJob) softChain(c int) {
	C, S := j.g.c, j.g.s
	n, s0, s1 := j.chunkOf(c, j.cpr)
	f := j.f[0]
	if j.perImage {
		f = j.f[n]
	}
	kernel.SoftmaxChain(j.gr[n*C*S:(n+1)*C*S], j.ws.probs[n*C*S:(n+1)*C*S], C, S, s0, s1, f)
}
