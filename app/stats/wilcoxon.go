package stats

import (
	"math"
	"sort"
)

// MaxExact is the largest number of non-zero differences for which
// Wilcoxon uses the exact distribution (when there are no ties).
const MaxExact = 50

// WilcoxonResult is the outcome of a Wilcoxon signed-rank test.
type WilcoxonResult struct {
	N      int     // non-zero, finite differences: the sample the test ranks
	Zeros  int     // differences equal to zero, dropped
	WPlus  float64 // sum of the ranks of the positive differences
	P      float64 // two-sided p-value
	Method string  // "exact" or "normal"
}

// Wilcoxon runs the two-sided Wilcoxon signed-rank test of the hypothesis
// that the differences d are symmetric about zero. NaN and infinite
// differences are left out; zeros are dropped before ranking (Wilcoxon's
// original method, scipy's zero_method="wilcox"); tied absolute values get
// their average rank.
//
// With at most MaxExact differences and no ties, the p-value comes from
// the exact null distribution of W+ (all 2^n sign patterns equally
// likely): p = min(1, 2·min(P(W+ ≤ w), P(W+ ≥ w))), Method "exact".
// Otherwise it comes from the normal approximation with the tie
// correction of the variance, n(n+1)(2n+1)/24 − Σ(t³−t)/48 over the groups
// of t tied values, and a continuity correction of 0.5 towards the mean,
// Method "normal".
//
// Special cases are:
//
//	no non-zero difference: P = 1, Method "exact"
func Wilcoxon(d []float64) WilcoxonResult {
	var r WilcoxonResult
	abs := make([]float64, 0, len(d))
	pos := make([]bool, 0, len(d))
	for _, v := range d {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
		case v == 0:
			r.Zeros++
		default:
			abs = append(abs, math.Abs(v))
			pos = append(pos, v > 0)
		}
	}
	n := len(abs)
	r.N = n
	if n == 0 {
		r.P, r.Method = 1, "exact"
		return r
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return abs[idx[a]] < abs[idx[b]] })
	var tieTerm float64 // Σ(t³ − t)
	for i := 0; i < n; {
		j := i
		for j+1 < n && abs[idx[j+1]] == abs[idx[i]] {
			j++
		}
		rank := float64(i+j+2) / 2 // ranks i+1..j+1, averaged
		for k := i; k <= j; k++ {
			if pos[idx[k]] {
				r.WPlus += rank
			}
		}
		if t := float64(j - i + 1); t > 1 {
			tieTerm += t*t*t - t
		}
		i = j + 1
	}
	if n <= MaxExact && tieTerm == 0 {
		r.P, r.Method = exactSignedRank(n, r.WPlus), "exact"
		return r
	}
	nf := float64(n)
	mu := nf * (nf + 1) / 4
	sd := math.Sqrt(nf*(nf+1)*(2*nf+1)/24 - tieTerm/48)
	r.Method = "normal"
	if sd == 0 {
		r.P = 1
		return r
	}
	z := r.WPlus - mu
	switch {
	case z > 0.5:
		z -= 0.5
	case z < -0.5:
		z += 0.5
	default:
		z = 0
	}
	r.P = math.Min(1, math.Erfc(math.Abs(z)/sd/math.Sqrt2))
	return r
}

// exactSignedRank returns the two-sided exact p-value of W+ = w for n
// untied ranks: the number of subsets of {1..n} with each sum, counted by
// dynamic programming (exact in float64 up to n = 50, since 2^50 < 2^53).
func exactSignedRank(n int, w float64) float64 {
	max := n * (n + 1) / 2
	count := make([]float64, max+1)
	count[0] = 1
	for i := 1; i <= n; i++ {
		for s := max; s >= i; s-- {
			count[s] += count[s-i]
		}
	}
	total := math.Ldexp(1, n)
	wi := int(math.Round(w))
	var low, high float64
	for s, c := range count {
		if s <= wi {
			low += c
		}
		if s >= wi {
			high += c
		}
	}
	return math.Min(1, 2*math.Min(low, high)/total)
}
