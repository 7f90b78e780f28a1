package segloss

import "github.com/segloss/segloss/internal/kernel"

// The fused float32 path of dice_focal and generalized_dice_focal: the
// focal term in one parallel pass of the focal kernels (the sigmoid focal
// kernel of focal_sigmoid, or kernel.SoftmaxFocal), then the region part
// through its own fused path, its gradient added in a last pass. No
// float64 copy of the batch; the scratch is pooled.

// f2WS is the pooled scratch of the second family's fused paths.
type f2WS struct {
	sub   []float32 // the region part's gradient
	w     []float64 // per channel: focal weight (multiplicity times class weight)
	mult  []float64 // per channel: multiplicity in classes
	scale []float32 // per channel: gradient multiplier
	focal focalTermJob
	axpy  axpyJob
	// combo
	group    []kernel.Sums // per (group, class)
	dTP, dSP []float64
	m        []float64 // generalized_wasserstein_dice: the class distance matrix
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
	fo := j.fo
	fo.BCE.Scale = j.scale[ch]
	var s kernel.Sums
	if j.lab == nil {
		s = kernel.Focal(j.grad(lo, hi), j.x[lo:hi], j.t[lo:hi], &fo)
	} else {
		// Class indices: the one-vs-rest target, a block at a time in a
		// small buffer that stays in cache.
		var tb [oneHotBlock]float32
		lab := j.lab[(row/j.g.c)*j.g.s:]
		for b0 := lo; b0 < hi; b0 += oneHotBlock {
			b1 := min(b0+oneHotBlock, hi)
			t := tb[:b1-b0]
			bad := oneHot(t, lab[s0+b0-lo:s0+b1-lo], int32(ch), j.g.c, j.o)
			bs := kernel.Focal(j.grad(b0, b1), j.x[b0:b1], t, &fo)
			bs.Bad = bs.Bad || bad
			s.Add(&bs)
		}
	}
	if j.mult[ch] == 0 { // a channel outside classes: checked, not counted
		s.Loss, s.Cnt = 0, 0
		clear(j.grad(lo, hi))
	} else {
		s.Loss *= j.w[ch]
		s.Cnt *= j.mult[ch]
	}
	j.sums[c] = s
}

// oneHotBlock is the block of one-vs-rest targets built at a time.
const oneHotBlock = 2048

// grad returns the gradient of elements [lo, hi), or nil.
func (j *focalTermJob) grad(lo, hi int) []float32 {
	if j.gr == nil {
		return nil
	}
	return j.gr[lo:hi]
}

// oneHot writes into t the one-vs-rest target of class ch for labels lab
// (-1 for an ignored label) and reports a label outside [0, C) that is
// not ignored.
func oneHot(t []float32, lab []int32, ch int32, C int, o *Options) (bad bool) {
	ign, useIgn := ignoreLabel32(o)
	for i, y := range lab {
		v := float32(0)
		if y == ch {
			v = 1
		}
		if uint32(y) >= uint32(C) || (useIgn && y == ign) {
			if useIgn && y == ign {
				v = -1 // the kernel's ignore value
			} else {
				bad = true
			}
		}
		t[i] = v
	}
	return bad
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
	dv, bad := addRegionPart(l, fw, grad, b, o.DiceWeight)
	return o.DiceWeight*dv + o.FocalWeight*fv, true, bad
}

// addRegionPart evaluates the region part of compound l (subLoss) on b
// through its fused path, adds f times its gradient into grad (when not
// nil) and returns its value; bad reports an error (the general path then
// builds the message, or the NaN).
func addRegionPart(l *Loss, fw *fastWS, grad []float32, b Batch[float32], f float64) (float64, bool) {
	ws := &fw.f2
	var sg []float32
	if grad != nil {
		sg = grow(&ws.sub, len(grad))
	}
	dv, err := Eval(l.subLoss(0), sg, b)
	if err != nil {
		return 0, true
	}
	if grad != nil {
		ws.axpy = axpyJob{dst: grad, src: sg, f: float32(f)}
		kernel.Run(&ws.axpy, len(grad), kernel.Chunk)
		ws.axpy = axpyJob{}
	}
	return dv, false
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
