package segloss

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGeneralParallelBitIdentical runs the paths that are not fused
// float32 kernels (float64 batches, focal_keras, focal_softmax, more than
// 16 classes, multiclass probabilities and float targets, reduction none)
// through Eval on batches of several chunks, in float32 and float64: the
// value and the gradient must be bit-identical with 1 and 2 threads.
func TestGeneralParallelBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("slow general path on large batches")
	}
	cases := []struct {
		spec   string
		c      int
		labels bool
		probs  bool
		ignore int
	}{
		{"bce_logits", 1, false, false, 0},
		{"bce:ignore_index=-1,label_smoothing=0.1", 1, false, true, -1},
		{"focal_sigmoid", 1, false, false, 0},
		{"focal_keras:from_logits=true", 1, false, false, 0},
		{"focal_keras:form=mean_bce", 1, false, true, 0},
		{"cross_entropy", 4, true, false, 0},
		{"cross_entropy:ignore_index=255,class_weights=[1,2,0.5,1]", 4, true, false, 255},
		{"cross_entropy", 20, true, false, 0},
		{"cross_entropy:from_logits=false", 4, true, true, 0},
		{"cross_entropy:label_smoothing=0.1", 4, false, false, 0},
		{"focal_softmax", 4, true, false, 0},
		{"focal_softmax:from_logits=false", 4, true, true, 0},
		{"dice:from_logits=true", 1, false, false, 0},
		{"dice:mode=multiclass", 4, true, true, 0},
		{"dice:mode=multiclass,from_logits=true", 4, false, false, 0},
		{"dice:mode=multiclass,from_logits=true", 20, true, false, 0},
		{"bce_logits:reduction=none", 1, false, false, 0},
		{"dice:from_logits=true,reduction=none", 1, false, false, 0},
		{"cross_entropy:reduction=none", 4, true, false, 0},
		// The second family (family2.go: the dense view's jobs, focalTerm's pass).
		{"dice_focal:from_logits=true", 1, false, false, 0},
		{"dice_focal:mode=multiclass,from_logits=true,focal_form=softmax", 4, true, false, 0},
		{"generalized_dice_focal:ignore_index=255", 4, true, false, 255},
		{"topk_ce", 4, true, false, 0},
		{"unified_focal:from_logits=true", 1, false, false, 0},
		{"combo:mode=multiclass,from_logits=true", 4, true, false, 0},
		{"sensitivity_specificity:from_logits=true", 1, false, false, 0},
		{"generalized_wasserstein_dice", 4, true, false, 0},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{2, tc.c, 150, 150} // 45 000 pixels a sample: chunks across samples and inside them
		b := protoBatch(r, shape, tc.labels, tc.probs, tc.ignore)
		b64 := Batch[float64]{Shape: shape, Labels: b.Labels}
		for _, v := range b.Input {
			b64.Input = append(b64.Input, float64(v))
		}
		for _, v := range b.Target {
			b64.Target = append(b64.Target, float64(v))
		}
		bitIdentical(t, l, tc.spec+" float32", b)
		bitIdentical(t, l, tc.spec+" float64", b64)
	}
}

// bitIdentical checks Eval of l on b with 1 and 2 threads for bit identity.
func bitIdentical[T Float](t *testing.T, l *Loss, name string, b Batch[T]) {
	t.Helper()
	var v1 float64
	var g1 []T
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		g := make([]T, len(b.Input))
		v, err := Eval(l, g, b)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if procs == 1 {
			v1, g1 = v, g
			continue
		}
		if math.Float64bits(v) != math.Float64bits(v1) {
			t.Errorf("%s: value with 1 and 2 threads: %v vs %v", name, v1, v)
		}
		for i := range g {
			if math.Float64bits(float64(g[i])) != math.Float64bits(float64(g1[i])) {
				t.Errorf("%s: grad[%d] with 1 and 2 threads: %v vs %v", name, i, g1[i], g[i])
				break
			}
		}
	}
}
