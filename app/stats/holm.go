package stats

import (
	"math"
	"sort"
)

// Holm returns Holm's step-down adjustment of the p-values p for the
// number of comparisons: with the m finite p-values in increasing order
// p(1) ≤ … ≤ p(m), the adjusted p(i) is max over j ≤ i of
// min(1, (m − j + 1)·p(j)). The result is in the order of p; rejecting
// where the adjusted value is below α controls the family-wise error rate
// at α.
//
// Special cases are:
//
//	NaN p-values stay NaN and do not count in m
func Holm(p []float64) []float64 {
	out := make([]float64, len(p))
	var idx []int
	for i, v := range p {
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	m := len(idx)
	running := 0.0
	for j, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-j)*p[i]))
		out[i] = running
	}
	return out
}
