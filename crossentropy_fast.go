package segloss

import "github.com/segloss/segloss/internal/kernel"

// ceJob is the fused pass of cross_entropy from logits with class indices:
// unit c is one chunk of one sample's pixels.
type ceJob struct {
	batch32
	sums []kernel.Sums
	sm   kernel.Softmax
	cpr  int // chunks per sample
}

// Do runs unit c.
func (j *ceJob) Do(c, _, _ int) {
	C, S := j.g.c, j.g.s
	sm := j.sm
	n, s0, s1 := j.chunkOf(c, j.cpr)
	sm.S0, sm.S1 = s0, s1
	var g []float32
	if j.gr != nil {
		g = j.gr[n*C*S : (n+1)*C*S]
	}
	j.sums[c] = kernel.SoftmaxCE(g, j.x[n*C*S:(n+1)*C*S], j.lab[n*S:(n+1)*S], &sm)
}

// ceSoftmax returns the settings of the cross-entropy kernel for options
// o (class weights, label smoothing, ignore index), gradient scale 1.
func ceSoftmax(ws *fastWS, o *Options, g geom) kernel.Softmax {
	ign, useIgn := ignoreLabel32(o)
	sm := kernel.Softmax{C: g.c, S: g.s, Ignore: useIgn, IgnoreIndex: ign, Smooth: float32(o.LabelSmoothing), Scale: 1}
	if o.ClassWeights != nil {
		sm.Weights = toFloat32(&ws.w32, o.ClassWeights)
	}
	return sm
}

// fusedCE is the fused path of cross_entropy from logits with class indices.
func fusedCE(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil {
		return 0, false, false
	}
	o := &l.opts
	j := &ws.ce
	defer func() { *j = ceJob{} }()
	*j = ceJob{batch32: newBatch32(l, g, grad, b)}
	j.sm = ceSoftmax(ws, o, g)
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
	kernel.Run(j, units, 1)
	s := sumChunks(j.sums)
	if s.Bad {
		return 0, true, true
	}
	if s.Den == 0 {
		if grad != nil {
			ws.zeroGrad32(grad)
		}
		return 0, true, false
	}
	if o.Reduction == Sum {
		return s.Loss, true, false
	}
	if grad != nil && (!unweighted || s.Den != all) {
		f := 1 / s.Den
		if unweighted {
			f = all / s.Den // undo the assumed 1/all
		}
		ws.scaleGrad32(grad, float32(f))
	}
	return s.Loss / s.Den, true, false
}
