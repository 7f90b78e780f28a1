package segloss_test

import (
	"testing"

	"github.com/segloss/segloss"
)

// family2Bench are the rows of BenchmarkFamily2 and BenchmarkFamily2Float64.
var family2Bench = []struct {
	spec  string
	multi bool
	cache bool
}{
	{"dice_focal", false, false},
	{"dice_focal:mode=multiclass", true, false},
	{"generalized_dice_focal", true, false},
	{"topk_ce", true, false},
	{"boundary:from_logits=true", false, false},
	{"boundary:from_logits=true", false, true},
	{"hausdorff_dt:from_logits=true", false, false},
	{"hausdorff_dt:from_logits=true", false, true},
	{"log_hausdorff_dt:from_logits=true", false, false},
	{"cldice:from_logits=true", false, false},
	{"dice_cldice:from_logits=true", false, false},
	{"asymmetric_focal:from_logits=true", false, false},
	{"asymmetric_focal_tversky:mode=multiclass,from_logits=true", true, false},
	{"unified_focal:from_logits=true", false, false},
	{"combo:from_logits=true", false, false},
	{"sensitivity_specificity:from_logits=true", false, false},
	{"generalized_wasserstein_dice", true, false},
	{"dice:mode=multiclass,from_logits=true+topk_ce:k=10", true, false},
}

// BenchmarkFamily2 times Eval of the second family's losses on the two
// standard workloads; boundary and hausdorff_dt also with a target map
// cache (the maps of a repeated target are looked up, not recomputed).
//
//	go test -run '^$' -bench Family2 -benchmem
func BenchmarkFamily2(b *testing.B) {
	benchFamily2(b, benchBatch([]int{8, 1, 512, 512}, false), benchBatch([]int{8, 4, 256, 256}, true))
}

// BenchmarkFamily2Float64 is BenchmarkFamily2 on float64 batches: the
// general path (family2.go).
//
//	go test -run '^$' -bench Family2Float64 -benchmem
func BenchmarkFamily2Float64(b *testing.B) {
	benchFamily2(b, batch64(benchBatch([]int{8, 1, 512, 512}, false)), batch64(benchBatch([]int{8, 4, 256, 256}, true)))
}

// batch64 returns b converted to float64.
func batch64(b segloss.Batch[float32]) segloss.Batch[float64] {
	out := segloss.Batch[float64]{Shape: b.Shape, Labels: b.Labels}
	for _, v := range b.Input {
		out.Input = append(out.Input, float64(v))
	}
	for _, v := range b.Target {
		out.Target = append(out.Target, float64(v))
	}
	return out
}

// benchFamily2 runs the rows of family2Bench on the binary and multiclass batches.
func benchFamily2[T segloss.Float](b *testing.B, bin, mc segloss.Batch[T]) {
	for _, tc := range family2Bench {
		name := tc.spec
		if tc.cache {
			name += "/cached"
		}
		b.Run(name, func(b *testing.B) {
			l, err := segloss.Parse(tc.spec)
			if err != nil {
				b.Fatal(err)
			}
			if tc.cache {
				l.SetMapCache(segloss.NewMapCache(64))
			}
			batch := bin
			if tc.multi {
				batch = mc
			}
			grad := make([]T, len(batch.Input))
			elem := int64(4) // input, target and gradient: 3 values an element
			if _, ok := any(grad).([]float64); ok {
				elem = 8
			}
			b.SetBytes(int64(len(batch.Input)) * 3 * elem)
			if _, err := segloss.Eval(l, grad, batch); err != nil { // the workspace: steady state from here
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := segloss.Eval(l, grad, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
