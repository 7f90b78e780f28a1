package segloss

import "github.com/segloss/segloss/internal/kernel"

// The fused float32 path of dice_focal and generalized_dice_focal: the
// focal term in one parallel pass of the focal kernels (the sigmoid focal
// kernel of focal_sigmoid, or kernel.SoftmaxFocal), then the region part
// through its own fused path, its gradient added in a last pass. No
// float64 copy of the batch; the scratch is pooled.

// f2WS is the pooled scratch of the second family's fused paths.
type f2WS struct {
	onehot []float32 // one-hot target of a class-index batch (sigmoid focal form)
	sub    []float32 // the region part's gradient
	w      []float64 // per channel: focal weight (multiplicity times class weight)
	mult   []float64 // per channel: multiplicity in classes
	scale  []float32 // per channel: gradient multiplier
	focal  focalTermJob
	axpy   axpyJob
}

// focalTermJob is the focal pass: unit c is one chunk of one (sample,
// channel) row (sigmoid form) or of one sample's pixels (softmax form).
type focalTermJob struct {
	batch32
	sums    []kernel.Sums
	fo      kernel.FocalOpts
	sm      kernel.Softmax
	gamma   float32
	softmax bool
	w, mult []float64
	scale   []float32
	onehot  []float32 // nil: float targets
	cpr     int
}

// Do runs unit c.
func (j *focalTermJob) Do(c, _, _ int) {
	if j.softmax {
		C, S := j.g.c, j.g.s
		sm := j.sm
		n, s0, s1 := j.chunkOf(c, j.cpr)
		sm.S0, sm.S1 = s0, s1
		var g []float32
		if j.gr != nil {
			g = j.gr[n*C*S : (n+1)*C*S]
		}
		j.sums[c] = kernel.SoftmaxFocal(g, j.x[n*C*S:(n+1)*C*S], j.lab[n*S:(n+1)*S], &sm, j.gamma)
		return
	}
	row, s0, s1 := j.chunkOf(c, j.cpr)
	ch := row % j.g.c
	lo, hi := row*j.g.s+s0, row*j.g.s+s1
	var t []float32
	bad := false
	if j.onehot != nil {
		t = j.onehot[lo:hi]
		lab := j.lab[(row/j.g.c)*j.g.s+s0 : (row/j.g.c)*j.g.s+s1]
		ign, useIgn := ignoreLabel32(j.o)
		for i, y := range lab {
			switch {
			case useIgn && y == ign:
				t[i] = -1 // the kernel's ignore value
			case y == int32(ch):
				t[i] = 1
			default:
				t[i] = 0
				bad = bad || y < 0 || int(y) >= j.g.c
			}
		}
	} else {
		t = j.t[lo:hi]
	}
	var g []float32
	if j.gr != nil {
		g = j.gr[lo:hi]
	}
	fo := j.fo
	fo.BCE.Scale = j.scale[ch]
	s := kernel.Focal(g, j.x[lo:hi], t, &fo)
	s.Bad = s.Bad || bad
	if j.mult[ch] == 0 { // a channel outside classes: checked, not counted
		s.Loss, s.Cnt = 0, 0
		clear(g)
	} else {
		s.Loss *= j.w[ch]
		s.Cnt *= j.mult[ch]
	}
	j.sums[c] = s
}

// axpyJob adds f times src into dst.
type axpyJob struct {
	dst, src []float32
	f        float32
}

// Do adds elements [lo, hi).
func (j *axpyJob) Do(_, lo, hi int) {
	d, s := j.dst[lo:hi], j.src[lo:hi]
	for i := range d {
		d[i] += j.f * s[i]
	}
}

// fusedDiceFocal is the fused path of dice_focal and generalized_dice_focal:
// sigmoid form on float targets or class indices, softmax form on class
// indices. v = dice_weight region + focal_weight focal (see focalTerm).
func fusedDiceFocal(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	softmax := o.FocalTerm == FocalSoftmaxTerm
	if softmax && b.Labels == nil {
		return 0, false, false
	}
	ws := &fw.f2
	fv, bad := focalPass(l, ws, fw, g, grad, b, softmax)
	if bad {
		return 0, true, true
	}
	var sg []float32
	if grad != nil {
		sg = grow(&ws.sub, len(grad))
	}
	dv, err := Eval(l.subLoss(0), sg, b)
	if err != nil { // the general path builds the message (or the NaN)
		return 0, true, true
	}
	if grad != nil {
		ws.axpy = axpyJob{dst: grad, src: sg, f: float32(o.DiceWeight)}
		kernel.Run(&ws.axpy, len(grad), kernel.Chunk)
		ws.axpy = axpyJob{}
	}
	return o.DiceWeight*dv + o.FocalWeight*fv, true, false
}

// focalPass writes focal_weight times the focal term's gradient into grad
// (when not nil) and returns the term.
func focalPass(l *Loss, ws *f2WS, fw *fastWS, g geom, grad []float32, b Batch[float32], softmax bool) (float64, bool) {
	o := &l.opts
	j := &ws.focal
	defer func() { *j = focalTermJob{} }()
	*j = focalTermJob{batch32: newBatch32(l, g, grad, b), softmax: softmax, gamma: float32(o.Gamma)}
	mult := grow(&ws.mult, g.c)
	clear(mult)
	if o.Classes == nil {
		for c := range mult {
			mult[c] = 1
		}
	}
	for _, c := range o.Classes {
		mult[c]++
	}
	w := grow(&ws.w, g.c)
	var kept float64 // multiplicity of a kept pixel (sigmoid: channels counted)
	for c := range w {
		w[c] = mult[c]
		if o.ClassWeights != nil {
			w[c] *= o.ClassWeights[c]
		}
		kept += mult[c]
	}
	// Without ignored elements the count is known: the gradient is scaled
	// in the pass; otherwise a second pass divides by the count.
	known := !o.Ignore
	var count float64
	if softmax {
		count = float64(g.n * g.s)
	} else {
		count = float64(g.n*g.s) * kept
	}
	f := o.FocalWeight
	if known && count > 0 {
		f /= count
	}
	var units int
	if softmax {
		ign, useIgn := ignoreLabel32(o)
		k := grow(&fw.w32, g.c)
		for c := range k {
			a := 1.0
			if o.Alpha >= 0 {
				a = o.Alpha
				if c == 0 {
					a = 1 - o.Alpha
				}
			}
			k[c] = float32(a * w[c])
		}
		j.sm = kernel.Softmax{C: g.c, S: g.s, Ignore: useIgn, IgnoreIndex: ign, Weights: k, Scale: float32(f)}
		j.cpr = kernel.Chunks(g.s, kernel.Chunk)
		units = g.n * j.cpr
	} else {
		bo := bceOpts(o)
		bo.PosWeight, bo.Smooth = 1, 0
		if b.Labels != nil {
			j.onehot = grow(&ws.onehot, len(b.Input))
			_, bo.Ignore = ignoreLabel32(o)
			bo.IgnoreValue = -1
		}
		j.fo = kernel.FocalOpts{BCE: bo, Alpha: float32(o.Alpha), Gamma: float32(o.Gamma)}
		sc := grow(&ws.scale, g.c)
		for c := range sc {
			sc[c] = float32(f * w[c])
		}
		j.w, j.mult, j.scale = w, mult, sc
		j.cpr = kernel.Chunks(g.s, kernel.Chunk)
		units = g.n * g.c * j.cpr
	}
	j.sums = growSums(&fw.sums, units)
	kernel.Run(j, units, 1)
	s := sumChunks(j.sums)
	if s.Bad {
		return 0, true
	}
	if s.Cnt == 0 {
		if grad != nil {
			fw.zeroGrad32(grad)
		}
		return 0, false
	}
	if !known && grad != nil {
		fw.scaleGrad32(grad, float32(1/s.Cnt))
	}
	return s.Loss / s.Cnt, false
}
