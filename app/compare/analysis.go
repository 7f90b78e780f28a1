package compare

import (
	"math"
	"sort"

	"github.com/segloss/segloss/app/stats"
)

// The statistics of a compare are fixed, so that two compares with the
// same runs report the same numbers.
const (
	// BootstrapResamples is the number of bootstrap resamples of every
	// interval.
	BootstrapResamples = stats.DefaultResamples
	// BootstrapSeed seeds every bootstrap; with one seed for all, every
	// loss's interval resamples the same cases.
	BootstrapSeed = 1
	// Alpha is the family-wise error rate of the paired tests.
	Alpha = 0.05
)

// boot is the bootstrap of every interval.
var boot = stats.Bootstrap{Resamples: BootstrapResamples, Seed: BootstrapSeed}

// RankEntry is one loss in a ranking: its mean score with its bootstrap
// 95 % interval, and its group: 1 for the losses tied for first (not
// separated from the best), 2 for those tied with the best of the rest,
// and so on.
type RankEntry struct {
	Loss  string `json:"loss"`
	Mean  Num    `json:"mean"`
	Low   Num    `json:"ci_low"`
	High  Num    `json:"ci_high"`
	Group int    `json:"group"`
}

// Pair compares two losses on the same held-out cases (A ranked above B):
// the mean of the paired differences A − B (per case and seed) with its
// bootstrap 95 % interval, and the two-sided Wilcoxon signed-rank test on
// the per-case differences (averaged over seeds), with its p-value
// adjusted by Holm's method over every pair of the list.
type Pair struct {
	A         string `json:"a"`
	B         string `json:"b"`
	MeanDiff  Num    `json:"mean_diff"`
	Low       Num    `json:"ci_low"`
	High      Num    `json:"ci_high"`
	P         Num    `json:"p_value"`
	PAdjusted Num    `json:"p_adjusted"`
	Test      string `json:"test"`
	N         int    `json:"n"` // cases with a defined difference
}

// Separated reports whether the evidence separates the two losses: the
// adjusted p-value is below Alpha and the interval of the difference
// excludes 0.
func (p Pair) Separated() bool {
	return float64(p.PAdjusted) < Alpha && (float64(p.Low) > 0 || float64(p.High) < 0)
}

// analyze ranks the losses names by their score x[loss][case][seed] (NaN:
// missing) and compares every pair.
func analyze(names []string, x [][][]float64) ([]RankEntry, []Pair) {
	n := len(names)
	ivs := make([]stats.Interval, n)
	order := make([]int, n)
	for i := range names {
		ivs[i] = boot.CI(x[i])
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return better(ivs[order[a]].Mean, ivs[order[b]].Mean) })
	var pairs []Pair
	index := map[[2]int]int{}
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			i, j := order[a], order[b]
			index[[2]int{a, b}] = len(pairs)
			pairs = append(pairs, pair(names[i], names[j], x[i], x[j]))
		}
	}
	ps := make([]float64, len(pairs))
	for i, p := range pairs {
		ps[i] = float64(p.P)
	}
	for i, v := range stats.Holm(ps) {
		pairs[i].PAdjusted = Num(v)
	}
	rank := make([]RankEntry, n)
	group, leader := 1, 0
	for a, i := range order {
		if a > 0 && (math.IsNaN(ivs[i].Mean) || pairs[index[[2]int{leader, a}]].Separated()) {
			group, leader = group+1, a
		}
		rank[a] = RankEntry{Loss: names[i], Mean: Num(ivs[i].Mean), Low: Num(ivs[i].Low), High: Num(ivs[i].High), Group: group}
	}
	return rank, pairs
}

// pair compares the scores xa and xb, [case][seed], paired by case and
// seed.
func pair(a, b string, xa, xb [][]float64) Pair {
	d := make([][]float64, len(xa))
	perCase := make([]float64, len(xa))
	for c := range xa {
		d[c] = make([]float64, len(xa[c]))
		for r := range xa[c] {
			d[c][r] = math.NaN()
			if r < len(xb[c]) {
				d[c][r] = xa[c][r] - xb[c][r]
			}
		}
		perCase[c] = stats.Mean(d[c])
	}
	iv := boot.CI(d)
	w := stats.Wilcoxon(perCase)
	test := "wilcoxon signed-rank, exact"
	if w.Method == "normal" {
		test = "wilcoxon signed-rank, normal approximation"
	}
	p := Num(w.P)
	if iv.Cases == 0 {
		p = Num(math.NaN())
	}
	return Pair{A: a, B: b, MeanDiff: Num(iv.Mean), Low: Num(iv.Low), High: Num(iv.High), P: p, Test: test, N: iv.Cases}
}

// better reports whether a is a better score than b (NaN is worst).
func better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	return math.IsNaN(b) || a > b
}

// findPair returns the comparison of a and b in pairs, with the sign of
// a − b, or false.
func findPair(pairs []Pair, a, b string) (Pair, bool) {
	for _, p := range pairs {
		switch {
		case p.A == a && p.B == b:
			return p, true
		case p.A == b && p.B == a:
			p.A, p.B = a, b
			p.MeanDiff, p.Low, p.High = -p.MeanDiff, -p.High, -p.Low
			return p, true
		}
	}
	return Pair{}, false
}
