package segloss_test

import (
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/internal/golden"
	"github.com/segloss/segloss/internal/kernel"
)

// TestGoldenBothKernelPaths runs the golden cases with the plain-Go
// kernels and, where this build and CPU have them, the vectorized ones
// (the assembly of the default kernel set, see kernel.Set): both paths
// must pass. CI runs it once per kernel set (SEGLOSS_KERNELS).
func TestGoldenBothKernelPaths(t *testing.T) {
	f, err := golden.Load(filepath.Join("testdata", "golden_public.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, simd := range []bool{false, true} {
		if simd && !kernel.SIMDAvailable() {
			t.Log("no vector kernels on this CPU or platform")
			continue
		}
		prev := kernel.SetSIMD(simd)
		for i := range f.Cases {
			c := &f.Cases[i]
			l, err := c.NewLoss()
			if err != nil {
				t.Fatal(err)
			}
			runGoldenCase[float64](t, l, c, golden.Float64)
			if !c.NeedsFloat64() {
				runGoldenCase[float32](t, l, c, golden.Float32)
			}
		}
		kernel.SetSIMD(prev)
	}
}
