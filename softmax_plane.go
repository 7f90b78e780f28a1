package segloss

import "github.com/segloss/segloss/internal/kernel"

// softmaxPlane is the softmax of a multiclass batch for the scalar fused
// paths (the asymmetric losses, combo, sensitivity_specificity,
// generalized_wasserstein_dice): their statistics pass fills it chunk by
// chunk with the vector kernel, and their gradient pass reads it back
// instead of taking a second softmax per pixel.
type softmaxPlane struct {
	p  []float32 // laid out like the input: N×C×S
	sm kernel.Softmax
}

// newSoftmaxPlane returns the plane of batch b, in fw's pooled memory.
func newSoftmaxPlane(fw *fastWS, b *batch32) softmaxPlane {
	ign, useIgn := ignoreLabel32(b.o)
	return softmaxPlane{p: grow(&fw.probs, b.g.size()),
		sm: kernel.Softmax{C: b.g.c, S: b.g.s, Ignore: useIgn, IgnoreIndex: ign}}
}

// fill computes the probabilities of pixels [s0, s1) of sample n and
// reports a non-finite logit or a bad label.
func (sp *softmaxPlane) fill(b *batch32, n, s0, s1 int) (bad bool) {
	C, S := b.g.c, b.g.s
	sm := sp.sm
	sm.S0, sm.S1 = s0, s1
	return kernel.SoftmaxProbs(sp.sample(b, n), b.x[n*C*S:(n+1)*C*S], b.lab[n*S:(n+1)*S], &sm).Bad
}

// sample returns the probabilities of sample n (C rows of S).
func (sp *softmaxPlane) sample(b *batch32, n int) []float32 {
	per := b.g.c * b.g.s
	return sp.p[n*per : (n+1)*per]
}

// pixel copies the probabilities of pixel px of sample probabilities pr into p.
func (sp *softmaxPlane) pixel(p, pr []float32, px int) {
	S := sp.sm.S
	for c := range p {
		p[c] = pr[c*S+px]
	}
}
