package segloss

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTopKFusedTies checks the radix selection of topk_ce's fused path
// where most pixel losses tie exactly (each pixel's logits are one of
// three vectors, so the pixels of one vector and label have bit-identical
// losses in float32 and in float64): the pixels
// taken, and so the gradient, must be those of the general path's stable
// sort (lower flat index first), across chunk boundaries, at 1 and 2
// threads (bit-identical).
func TestTopKFusedTies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		spec  string
		shape []int
	}{
		{"topk_ce:k=10,ignore_index=9", []int{3, 3, 200, 300}}, // 2 chunks per sample
		{"topk_ce:k=50,ignore_index=9", []int{2, 4, 50, 50}},
		{"topk_ce:k=1,ignore_index=9", []int{1, 2, 7, 7}},
		{"topk_ce:k=99.9,ignore_index=9,label_smoothing=0.2", []int{2, 3, 1, 70000}}, // 3 chunks per sample
	} {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		b := protoBatch(r, tc.shape, true, false, 9)
		vecs := [3][4]float32{{1, 0, -1, 0.5}, {0, 0, 0, 0}, {-2, 1, 0.25, 1}}
		C, S := tc.shape[1], len(b.Labels)/tc.shape[0]
		for px := range b.Labels {
			v := vecs[r.IntN(3)]
			n, s := px/S, px%S
			for c := 0; c < C; c++ {
				b.Input[(n*C+c)*S+s] = v[c]
			}
		}
		g, err := checkBatch(l, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(b.Input))
		w := eval(l, new(workspace), g, want, b)
		v, grad := fusedBitIdentical(t, l, g, b, tc.spec) // 1 and 2 threads
		if math.Abs(v-w) > 1e-6*w {
			t.Errorf("%s: loss %v, general %v", tc.spec, v, w)
		}
		for i := range want {
			if (grad[i] == 0) != (want[i] == 0) || math.Abs(float64(grad[i]-want[i])) > 1e-5*math.Abs(float64(want[i])) {
				t.Errorf("%s: grad[%d] = %v, general %v", tc.spec, i, grad[i], want[i])
				break
			}
		}
	}
}

// TestTopKFusedEdges covers every pixel ignored (loss 0, gradient 0) and
// the errors of bad input through Eval's fused path.
func TestTopKFusedEdges(t *testing.T) {
	l, err := Parse("topk_ce:ignore_index=255")
	if err != nil {
		t.Fatal(err)
	}
	b := Batch[float32]{Shape: []int{2, 3, 4, 4}, Input: make([]float32, 96), Labels: make([]int32, 32)}
	for i := range b.Labels {
		b.Labels[i] = 255
	}
	grad := make([]float32, 96)
	for i := range grad {
		grad[i] = 7
	}
	v, err := Eval(l, grad, b)
	if err != nil || v != 0 {
		t.Fatalf("all ignored: %v, %v; want 0, nil", v, err)
	}
	for i, g := range grad {
		if g != 0 {
			t.Fatalf("all ignored: grad[%d] = %v", i, g)
		}
	}
	b.Labels[5] = 3 // out of range
	if _, err := Eval(l, grad, b); !errors.Is(err, ErrBadInput) {
		t.Errorf("label 3 of 3 classes: %v, want ErrBadInput", err)
	}
	b.Labels[5] = 1
	b.Input[17] = float32(math.NaN())
	if _, err := Eval(l, grad, b); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN logit: %v, want ErrNonFinite", err)
	}
}
