package segloss

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segloss/segloss/internal/kernel"
)

// TestLovaszFusedLarge runs the fused Lovász paths on inputs large enough
// for the parallel listing and sort (several listing chunks, parallel
// buckets) on every kernel set: GOMAXPROCS 1 and 2 must agree bit for bit,
// lovasz_hinge must give the same bits on every set (its listing, weights
// and loss lanes are the same IEEE operations), and both must match the
// general float64 path with TestFastMatchesGeneral's tolerances.
func TestLovaszFusedLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	r := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		spec   string
		shape  []int
		labels bool
		ignore int
	}{
		{"lovasz_hinge", []int{2, 1, 512, 300}, false, 0},
		{"lovasz_hinge:ignore_index=-1", []int{2, 1, 256, 255}, false, -1},
		{"lovasz_softmax", []int{2, 4, 256, 129}, true, 0},
		{"lovasz_softmax:per_image=true,ignore_index=255", []int{2, 3, 200, 201}, true, 255},
	}
	prevSet := kernel.Current()
	defer kernel.Set(prevSet)
	for _, tc := range cases {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		b := protoBatch(r, tc.shape, tc.labels, false, tc.ignore)
		g, err := checkBatch(l, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(b.Input))
		w := eval(l, new(workspace), g, want, b)
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		absTol := 1e-5
		if l.name == "lovasz_softmax" {
			absTol = 1e-3 // float32 errors 1-p near p = 1 are quantized: near-ties reorder
		}
		var setLoss float64
		var setGrad []float32
		for _, set := range kernel.Available() {
			if err := kernel.Set(set); err != nil {
				t.Fatal(err)
			}
			v1, grad := fusedBitIdentical(t, l, g, b, string(set)+" "+tc.spec)
			if math.Abs(v1-w) > 1e-4*math.Abs(w)+1e-5 {
				t.Errorf("%s %s: loss %v, general %v", set, tc.spec, v1, w)
			}
			for i := range want {
				if math.Abs(float64(grad[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+absTol*scale {
					t.Errorf("%s %s: grad[%d] = %v, general %v", set, tc.spec, i, grad[i], want[i])
					break
				}
			}
			if l.name != "lovasz_hinge" {
				continue
			}
			if setGrad == nil {
				setLoss, setGrad = v1, grad
			} else if v1 != setLoss || !equal32(grad, setGrad) {
				t.Errorf("%s %s: differs from the first kernel set: loss %v vs %v", set, tc.spec, v1, setLoss)
			}
		}
	}
}
