package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHostLossGradient checks the host loss's gradient with respect to the
// logits against central finite differences, for heads that read logits
// and heads that read sigmoid or softmax probabilities, in 2-D and 3-D.
func TestHostLossGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for _, c := range []struct {
		spec    string
		classes int
		spatial []int
	}{
		{"dice", 3, []int{3, 4}},
		{"dice_bce:mode=multiclass", 3, []int{2, 3, 2}},
		{"bce", 2, []int{5}},
		{"jaccard:mode=multiclass", 4, []int{2, 2, 2}},
		{"lovasz_softmax", 3, []int{3, 3}},
	} {
		gl, head, err := LossFor(mustParse(t, c.spec), c.classes)
		if err != nil {
			t.Fatal(err)
		}
		h := &hostLoss{head: head, core: gl.Core()}
		n := 2
		shape := append([]int{n, head.Channels()}, c.spatial...)
		s := 1
		for _, d := range c.spatial {
			s *= d
		}
		z := make([]float64, n*head.Channels()*s)
		for i := range z {
			z[i] = r.NormFloat64()
		}
		y := make([]int32, n*s)
		for i := range y {
			y[i] = int32(r.IntN(c.classes))
		}
		f32 := func(v []float64) []float32 {
			out := make([]float32, len(v))
			for i, x := range v {
				out[i] = float32(x)
			}
			return out
		}
		grad := make([]float32, len(z))
		if _, err := h.eval(f32(z), grad, y, nil, shape); err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		const eps = 1e-2
		scratch := make([]float32, len(z))
		for i := range z {
			old := z[i]
			z[i] = old + eps
			up, _ := h.eval(f32(z), scratch, y, nil, shape)
			z[i] = old - eps
			down, _ := h.eval(f32(z), scratch, y, nil, shape)
			z[i] = old
			fd := (up - down) / (2 * eps)
			if math.Abs(fd-float64(grad[i])) > 2e-3+2e-2*math.Abs(fd) {
				t.Errorf("%s: d/dz[%d] = %v, finite difference %v", c.spec, i, grad[i], fd)
			}
		}
	}
}
