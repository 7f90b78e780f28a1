package compare

import (
	"fmt"
	"math"
	"strings"
)

// MinCases is the number of held-out cases below which a compare warns
// that its intervals are wide and its tests weak.
const MinCases = 10

// chanceFloor is the Dice at or below which a class counts as not learned:
// the larger of this floor and the class's share of the pixels (the Dice
// of a prediction that labels pixels at random in that share).
const chanceFloor = 0.05

// warnings lists what limits the evidence of res: unfinished runs, runs
// that stopped short of their step budget, losses at chance level and too
// few held-out cases; brief says the same in a few words, for the answer.
func warnings(res *Results) (out, brief []string) {
	out = []string{}
	if !res.Complete {
		out = append(out, fmt.Sprintf("only %d of %d runs finished; unfinished losses are not ranked", res.Finished, totalJobs(res)))
		brief = append(brief, fmt.Sprintf("only %d of %d runs finished", res.Finished, totalJobs(res)))
	}
	shortRuns := 0
	for _, r := range res.Runs {
		if res.Budget.Steps == 0 {
			break
		}
		short, lo, hi := 0, math.MaxInt, 0
		n := 0
		for _, j := range r.Jobs {
			if j.Status != "trained" && j.Status != "resumed" {
				continue
			}
			n++
			if j.Steps < res.Budget.Steps {
				short++
				lo, hi = min(lo, j.Steps), max(hi, j.Steps)
			}
		}
		shortRuns += short
		if short > 0 {
			steps := fmt.Sprint(lo)
			if hi != lo {
				steps = fmt.Sprintf("%d-%d", lo, hi)
			}
			out = append(out, fmt.Sprintf("%s: %d of %d runs stopped short of the %d-step budget (%s steps; the time cap %v ran out): not comparable with full runs, and not reproducible",
				r.Loss, short, n, res.Budget.Steps, steps, res.Budget.Time))
		}
	}
	if shortRuns > 0 {
		brief = append(brief, fmt.Sprintf("%d run(s) stopped short of the step budget", shortRuns))
	}
	atChance := 0
	var nothing []string
	for _, r := range res.Runs {
		if !r.Done() {
			continue
		}
		var learned []bool
		var low, lowClasses []string
		for k, c := range res.Classes {
			d := float64(r.Stat("dice", k).Mean)
			if math.IsNaN(d) {
				continue
			}
			ok := d > chance(res, k)
			learned = append(learned, ok)
			if !ok {
				low = append(low, fmt.Sprintf("%s %.3f", c, d))
				lowClasses = append(lowClasses, c)
			}
		}
		if len(low) > 0 {
			out = append(out, fmt.Sprintf("%s: Dice at chance level (%s; chance ≤ %.2f): the model learned nothing for this class", r.Loss, strings.Join(low, ", "), chanceFloor))
			nothing = append(nothing, fmt.Sprintf("%s on %s", r.Loss, andList(lowClasses)))
		}
		if len(low) == len(learned) {
			atChance++
		}
	}
	if len(nothing) > 0 {
		brief = append(brief, "chance-level Dice (nothing learned): "+andList(nothing))
	}
	if n := len(res.Ranking); n > 0 && atChance == n {
		out = append(out, "no loss learned anything: the ranking is noise; give a longer budget")
		brief = append(brief, "no loss learned anything, so the ranking is noise")
	}
	if res.Data.ValCases < MinCases {
		out = append(out, fmt.Sprintf("only %d held-out cases (fewer than %d): the intervals are wide and the tests weak; use more data or --folds to hold out every case once", res.Data.ValCases, MinCases))
		brief = append(brief, fmt.Sprintf("only %d held-out cases", res.Data.ValCases))
	}
	return out, brief
}

// chance is the chance-level Dice of foreground class k.
func chance(res *Results, k int) float64 {
	f := 0.0
	if k+1 < len(res.Data.Frequency) {
		f = res.Data.Frequency[k+1]
	}
	return math.Max(chanceFloor, f)
}

// totalJobs counts the runs of res.
func totalJobs(res *Results) int {
	n := 0
	for _, r := range res.Runs {
		n += len(r.Jobs)
	}
	return n
}

// answer writes the paragraph at the top of the report: what the
// evidence supports.
func answer(res *Results, brief []string) string {
	if len(res.Ranking) == 0 {
		for _, r := range res.Runs {
			if r.Status == "interrupted" {
				return "No loss has finished all its runs yet: the runs were interrupted; the same command resumes them."
			}
		}
		return "No loss has finished all its runs yet."
	}
	var b strings.Builder
	rk := res.Ranking
	first := group(rk, 1)
	score := "mean foreground Dice"
	over := fmt.Sprintf("%d held-out cases", res.Data.ValCases)
	if res.Seeds > 1 {
		over += fmt.Sprintf(" × %d seeds", res.Seeds)
	}
	switch {
	case len(rk) == 1:
		fmt.Fprintf(&b, "Only %s finished: %s %s (95 %% CI %s to %s) over %s.", rk[0].Loss, score, f3(rk[0].Mean), f3(rk[0].Low), f3(rk[0].High), over)
	case len(first) == 1:
		second := rk[1]
		p, _ := findPair(res.Pairwise, rk[0].Loss, second.Loss)
		fmt.Fprintf(&b, "%s is best, with a %s of %s (95 %% CI %s to %s) over %s; it beats the runner-up %s by %s (95 %% CI %s to %s, %s).",
			rk[0].Loss, score, f3(rk[0].Mean), f3(rk[0].Low), f3(rk[0].High), over, second.Loss, f3(p.MeanDiff), f3(p.Low), f3(p.High), pText(p))
	default:
		last := first[len(first)-1]
		p, _ := findPair(res.Pairwise, first[0].Loss, last.Loss)
		what := "tied for first"
		switch {
		case len(first) == len(rk) && len(rk) == 2:
			what = "tied"
		case len(first) == len(rk):
			what = "all tied"
		}
		fmt.Fprintf(&b, "%s are %s on %s (%s; %s − %s = %s, 95 %% CI %s to %s, %s): the evidence does not separate them.",
			andList(lossNames(first)), what, score, meansText(first), first[0].Loss, last.Loss, f3(p.MeanDiff), f3(p.Low), f3(p.High), pText(p))
	}
	var beaten []string
	for _, e := range rk[len(first):] {
		d, pmax := math.Inf(1), 0.0
		for _, f := range first {
			p, _ := findPair(res.Pairwise, f.Loss, e.Loss)
			d, pmax = math.Min(d, float64(p.MeanDiff)), math.Max(pmax, float64(p.PAdjusted))
		}
		by := "by " + f3(Num(d))
		if len(first) > 1 {
			by = "by at least " + f3(Num(d))
		}
		beaten = append(beaten, fmt.Sprintf("%s %s (%s)", e.Loss, by, pLimit(pmax, len(first) > 1)))
	}
	if len(beaten) > 0 && len(first) < len(rk) {
		who := "It beats"
		switch {
		case len(first) == 2:
			who = "Both beat"
		case len(first) > 2:
			who = "All of them beat"
		}
		fmt.Fprintf(&b, " %s %s.", who, andList(beaten))
	}
	if len(first) > 1 {
		fmt.Fprintf(&b, " What would separate them: more held-out cases (now %d%s), more seeds (now %d; --seeds) or a longer budget (now %s).",
			res.Data.ValCases, foldHint(res), res.Seeds, res.Budget)
	}
	// Best per class, and the rarest class when it behaves differently.
	var parts []string
	for k, c := range res.Classes {
		if k >= len(res.PerClass) || len(res.PerClass[k].Ranking) == 0 || res.Best[k] == "" {
			parts = append(parts, c+": none")
			continue
		}
		cr := res.PerClass[k].Ranking
		s := fmt.Sprintf("%s: %s (%s)", c, cr[0].Loss, f3(cr[0].Mean))
		tied, few, n := splitTies(res.PerClass[k], group(cr, 1))
		if len(tied) > 0 {
			s += ", tied with " + andList(tied)
		}
		if len(few) > 0 {
			s += fmt.Sprintf("; only %d held-out cases hold %s, too few for a paired test over %d pairs to separate %s from %s",
				n, c, len(res.PerClass[k].Pairwise), cr[0].Loss, andList(few))
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(&b, " Best Dice per class: %s.", strings.Join(parts, "; "))
	if k := rarest(res); k >= 0 && k < len(res.PerClass) {
		cr := res.PerClass[k].Ranking
		if len(cr) > 0 && !inGroup(cr, 1, rk[0].Loss) {
			p, _ := findPair(res.PerClass[k].Pairwise, cr[0].Loss, rk[0].Loss)
			fmt.Fprintf(&b, " The rarest class, %s (%.1f %% of the pixels), behaves differently: %s leads it with %s (95 %% CI %s to %s) and beats the overall best %s there by %s (95 %% CI %s to %s, %s).",
				res.Classes[k], 100*res.Data.Frequency[k+1], cr[0].Loss, f3(cr[0].Mean), f3(cr[0].Low), f3(cr[0].High), rk[0].Loss, f3(p.MeanDiff), f3(p.Low), f3(p.High), pText(p))
		}
	}
	if len(brief) > 0 {
		fmt.Fprintf(&b, " Warning (details below): %s.", strings.Join(brief, "; "))
	}
	return b.String()
}

// splitTies splits the losses tied with the leader of a class (first,
// the class's group 1, leader first) into those the evidence does not
// separate (tied, by name) and those no test could have separated (few,
// "name (mean)"): too few cases hold the class for the smallest Holm-
// adjusted p-value of their pair with the leader to fall below Alpha. n
// is the largest number of cases of those pairs (cases where both losses
// have a Dice, that is, where the class is in the truth or in both
// predictions).
func splitTies(cr ClassResult, first []RankEntry) (tied, few []string, n int) {
	if len(first) < 2 {
		return nil, nil, 0
	}
	for _, e := range first[1:] {
		p, ok := findPair(cr.Pairwise, first[0].Loss, e.Loss)
		if ok && !separable(p.N, len(cr.Pairwise)) {
			few = append(few, fmt.Sprintf("%s (%s)", e.Loss, f3(e.Mean)))
			n = max(n, p.N)
			continue
		}
		tied = append(tied, e.Loss)
	}
	return tied, few, n
}

// separable reports whether a pair tested on n cases among m pairs can be
// separated at all: the smallest p-value of the exact two-sided Wilcoxon
// signed-rank test on n cases is 2/2^n, and Holm's method multiplies the
// smallest of m p-values by m.
func separable(n, m int) bool {
	return float64(max(m, 1))*math.Pow(2, 1-float64(n)) < Alpha
}

// foldHint suggests cross-validation when the compare uses one split.
func foldHint(res *Results) string {
	if res.Folds > 1 {
		return ", every case held out once"
	}
	return "; --folds 5 holds out every case once"
}

// group returns the entries of rk in group g.
func group(rk []RankEntry, g int) []RankEntry {
	var out []RankEntry
	for _, e := range rk {
		if e.Group == g {
			out = append(out, e)
		}
	}
	return out
}

// inGroup reports whether loss is in group g of rk.
func inGroup(rk []RankEntry, g int, loss string) bool {
	for _, e := range group(rk, g) {
		if e.Loss == loss {
			return true
		}
	}
	return false
}

func lossNames(rk []RankEntry) []string {
	out := make([]string, len(rk))
	for i, e := range rk {
		out[i] = e.Loss
	}
	return out
}

// meansText lists "a 0.823, b 0.811".
func meansText(rk []RankEntry) string {
	parts := make([]string, len(rk))
	for i, e := range rk {
		parts[i] = e.Loss + " " + f3(e.Mean)
	}
	return strings.Join(parts, ", ")
}

// andList joins "a", "a and b", "a, b and c".
func andList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// f3 writes a value with three decimals and a true minus sign, "-" when
// undefined.
func f3(v Num) string {
	f := float64(v)
	if math.IsNaN(f) {
		return "-"
	}
	s := fmt.Sprintf("%.3f", f)
	if s == "-0.000" {
		s = "0.000"
	}
	return strings.Replace(s, "-", "−", 1)
}

// pText writes the adjusted p-value of a pair.
func pText(p Pair) string { return pLimit(float64(p.PAdjusted), false) }

// pLimit writes "p = 0.012", "p < 0.001", or with atMost "p ≤ 0.012".
func pLimit(p float64, atMost bool) string {
	switch {
	case math.IsNaN(p):
		return "no test"
	case p < 0.001:
		return "p < 0.001"
	case atMost:
		return fmt.Sprintf("p ≤ %.3f", p)
	}
	return fmt.Sprintf("p = %.3f", p)
}
