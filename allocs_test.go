package segloss_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

// distanceLoss reports the losses that read a MapCache: they are checked
// with one too (after a first call, every lookup is a hit).
func distanceLoss(name segloss.Name) bool {
	return name == "boundary" || name == "hausdorff_dt" || name == "log_hausdorff_dt"
}

// TestNoAllocsSteadyState checks that repeated Eval calls of one shape
// allocate nothing, for every loss, both element types, reductions none
// and per-image variants, on one thread and on two (the parallel loops
// and the pooled workspaces must not allocate either).
func TestNoAllocsSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	for _, mc := range []bool{false, true} {
		for _, name := range segloss.Names() {
			spec := benchSpec(name, mc)
			if spec == "" {
				continue
			}
			for _, big := range []bool{false, true} {
				shape := []int{2, 1, 16, 16}
				if big {
					shape = []int{2, 1, 256, 256} // several chunks: the parallel paths
				}
				if mc {
					shape[1] = 4
				}
				b32 := benchBatch(shape, mc)
				b64 := batch64(b32)
				for _, extra := range []string{"", "reduction=none", "per_image=true"} {
					sp := spec
					if extra != "" {
						sep := ":"
						if strings.Contains(spec, ":") {
							sep = ","
						}
						if _, err := segloss.Parse(spec + sep + extra); err != nil {
							continue
						}
						sp = spec + sep + extra
					}
					l, err := segloss.Parse(sp)
					if err != nil {
						t.Fatalf("%s: %v", sp, err)
					}
					// A call that fails early allocates nothing either: every call must succeed.
					var evalErr error
					g32 := make([]float32, len(b32.Input))
					for _, cached := range []bool{false, true} {
						if cached && !distanceLoss(name) {
							continue
						}
						l.SetMapCache(nil)
						if cached {
							l.SetMapCache(segloss.NewMapCache(16))
						}
						if a := testing.AllocsPerRun(3, func() { _, evalErr = segloss.Eval(l, g32, b32) }); a != 0 {
							t.Errorf("%s %v float32 (map cache %v): %v allocations per call", sp, shape, cached, a)
						}
						if evalErr != nil {
							t.Errorf("%s %v float32: %v", sp, shape, evalErr)
						}
					}
					l.SetMapCache(nil)
					if big {
						continue // the float64 general path is slow; its small shape suffices
					}
					g64 := make([]float64, len(b64.Input))
					if a := testing.AllocsPerRun(3, func() { _, evalErr = segloss.Eval(l, g64, b64) }); a != 0 {
						t.Errorf("%s %v float64: %v allocations per call", sp, shape, a)
					}
					if evalErr != nil {
						t.Errorf("%s %v float64: %v", sp, shape, evalErr)
					}
				}
			}
		}
	}
}
