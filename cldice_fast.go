package segloss

import "github.com/segloss/segloss/internal/kernel"

// The fused float32 path of cldice and dice_cldice, without an ignore
// value or repeated classes: float targets in the sigmoid modes or on
// multiclass probabilities (where each plane's probabilities are its
// own), and class indices with the softmax (up to kernel.MaxSoftmaxC
// channels; both passes run one sample at a time, its softmax computed
// once). clDice
// runs its plane-parallel passes (cldice.go) on the float32 batch, each
// plane activated into float64 scratch as the general path's dense batch
// would hold it, so the value is the general path's bit for bit. No
// float64 copy of the batch; the scratch is pooled (clWS). dice_cldice
// adds its Dice part through the region part's own fused path.

// load activates the plane at offset off of b into k.p and k.t, as newDense
// does, and reports a value that fails the checks: a non-finite input,
// a probability or a target outside [0, 1].
func (k *skelWS) load(b *batch32, off int) (bad bool) {
	n := b.g.s
	x, t := b.x[off:off+n], b.t[off:off+n]
	logits := b.o.FromLogits
	p, tt := k.p[:n], k.t[:n]
	for s, xv := range x {
		tv := t[s]
		if xv-xv != 0 || !logits && !(xv >= 0 && xv <= 1) || !(tv >= 0 && tv <= 1) {
			return true
		}
		v := float64(xv)
		if logits {
			v = sigmoid(v)
		}
		p[s], tt[s] = v, float64(tv)
	}
	return false
}

// store writes the gradient of the plane at offset off into b.gr from
// k.row, the gradient with respect to the probabilities k.p, chained
// through the sigmoid as chainActivation does.
func (k *skelWS) store(b *batch32, off int) {
	n := b.g.s
	gr, row, p := b.gr[off:off+n], k.row[:n], k.p[:n]
	if !b.o.FromLogits {
		for s, v := range row {
			gr[s] = float32(v)
		}
		return
	}
	for s, v := range row {
		gr[s] = float32(v * p[s] * (1 - p[s]))
	}
}

// loadSoftmax writes into k.pC the softmax probabilities of sample n of
// b, every channel, as newDense does, and reports a non-finite logit or a
// label outside [0, C).
func (k *skelWS) loadSoftmax(b *batch32, n int) (bad bool) {
	C, S := b.g.c, b.g.s
	x, lab := b.x[n*C*S:(n+1)*C*S], b.lab[n*S:(n+1)*S]
	var pb, lb [kernel.MaxSoftmaxC]float64
	pc, lp := pb[:C], lb[:C]
	p := k.pC[:C*S]
	for s, y := range lab {
		for ch := 0; ch < C; ch++ {
			if v := x[ch*S+s]; v-v != 0 {
				return true
			}
		}
		if y < 0 || int(y) >= C {
			return true
		}
		softmaxPixel(pc, lp, x, s, S)
		for c, v := range pc {
			p[c*S+s] = v
		}
	}
	return false
}

// oneHot writes into k.t the one-vs-rest target of class c of sample n's labels.
func (k *skelWS) oneHot(b *batch32, n, c int) {
	t := k.t[:b.g.s]
	for s, y := range b.lab[n*b.g.s : (n+1)*b.g.s] {
		t[s] = b2f(int(y) == c)
	}
}

// storeSoftmax writes the gradient of sample n into b.gr from k.dpC, the
// gradient with respect to its probabilities k.pC, chained through the
// softmax as chainActivation does.
func (k *skelWS) storeSoftmax(b *batch32, n int) {
	C, S := b.g.c, b.g.s
	gr, dp, p := b.gr[n*C*S:(n+1)*C*S], k.dpC[:C*S], k.pC[:C*S]
	for s := 0; s < S; s++ {
		var dot float64
		for c := 0; c < C; c++ {
			dot += p[c*S+s] * dp[c*S+s]
		}
		for c := 0; c < C; c++ {
			gr[c*S+s] = float32(p[c*S+s] * (dp[c*S+s] - dot))
		}
	}
}

// fusedClDice is the fused path of cldice and dice_cldice (v = (1-alpha)
// Dice + alpha clDice).
func fusedClDice(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	if o.Ignore || hasDuplicates(o.Classes) || (o.Mode == Multiclass && o.FromLogits) != (b.Labels != nil) {
		return 0, false, false
	}
	w := 1.0
	if l.name == DiceClDice {
		w = o.Alpha
	}
	c := &fw.cl
	j := &c.job
	defer func() { *j = clJob{} }()
	*j = clJob{o: o, b: newBatch32(l, g, grad, b), w: w}
	v, bad := c.run(j, g, b.Shape[2:])
	if bad || l.name == ClDice {
		return v, true, bad
	}
	dv, bad := addRegionPart(l, fw, grad, b, 1-o.Alpha)
	return (1-o.Alpha)*dv + o.Alpha*v, true, bad
}
