package segloss_test

import (
	"testing"

	"github.com/segloss/segloss"
)

// BenchmarkFamily2 times Eval of the second family's losses on the two
// standard workloads; boundary and hausdorff_dt also with a target map
// cache (the maps of a repeated target are looked up, not recomputed).
//
//	go test -run '^$' -bench Family2 -benchmem
func BenchmarkFamily2(b *testing.B) {
	bin := benchBatch([]int{8, 1, 512, 512}, false)
	mc := benchBatch([]int{8, 4, 256, 256}, true)
	for _, tc := range []struct {
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
	} {
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
			grad := make([]float32, len(batch.Input))
			b.SetBytes(int64(len(batch.Input)) * 12)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := segloss.Eval(l, grad, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
