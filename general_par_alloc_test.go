package segloss_test

import (
	"math"
	"runtime"
	"testing"

	"github.com/segloss/segloss"
)

// TestNoAllocsGeneralParallel checks that the parallel general paths
// allocate nothing in steady state, on two threads, on batches of several
// chunks (TestNoAllocsSteadyState covers float64 on small batches only).
func TestNoAllocsGeneralParallel(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	for _, tc := range []struct {
		spec   string
		c      int
		labels bool
		probs  bool
	}{
		{"bce_logits", 1, false, false},
		{"focal_keras:from_logits=true", 1, false, false},
		{"focal_sigmoid", 1, false, false},
		{"cross_entropy", 20, true, false},
		{"cross_entropy:from_logits=false", 4, true, true},
		{"focal_softmax", 4, true, false},
		{"cross_entropy", 4, false, false},
		{"dice:mode=multiclass,from_logits=true", 4, false, false},
		{"bce_logits:reduction=none", 1, false, false},
		// The second family's general path (family2.go), float64 on several chunks.
		{"dice_focal:from_logits=true", 1, false, false},
		{"generalized_dice_focal:focal_form=softmax", 4, true, false},
		{"topk_ce", 4, true, false},
		{"generalized_wasserstein_dice", 4, true, false},
		{"unified_focal:mode=multiclass,from_logits=true", 4, true, false},
		{"combo:from_logits=true", 1, false, false},
		{"sensitivity_specificity:from_logits=true", 1, false, false},
	} {
		l, err := segloss.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{2, tc.c, 130, 130}
		b := benchBatch(shape, tc.labels)
		if tc.probs {
			for i, v := range b.Input {
				b.Input[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		}
		b64 := batch64(b)
		g32 := make([]float32, len(b.Input))
		g64 := make([]float64, len(b.Input))
		var err32, err64 error
		// Warm up: sync.Pool's per-P private slots are not shared, so the
		// first calls on each P (the caller migrates) may still allocate a job.
		for i := 0; i < 10; i++ {
			segloss.Eval(l, g32, b)
			segloss.Eval(l, g64, b64)
		}
		if a := testing.AllocsPerRun(10, func() { _, err32 = segloss.Eval(l, g32, b) }); a != 0 || err32 != nil {
			t.Errorf("%s float32: %v allocations per call (err %v)", tc.spec, a, err32)
		}
		if a := testing.AllocsPerRun(10, func() { _, err64 = segloss.Eval(l, g64, b64) }); a != 0 || err64 != nil {
			t.Errorf("%s float64: %v allocations per call (err %v)", tc.spec, a, err64)
		}
	}
}
