package compare

import (
	"math"
	"strings"
	"testing"
)

// TestAnswerFewCasesHoldClass: on a class that only 5 held-out cases
// hold, no paired test over 3 pairs can reach p < 0.05 (with 7 cases
// 3·2/2^7 ≈ 0.047 could, with 6 3·2/2^6 ≈ 0.094 cannot), so the answer
// says that too few cases hold the class instead of calling a loss at
// Dice 0 tied with the best; on the class all 12 cases hold, a real tie
// stays a tie.
func TestAnswerFewCasesHoldClass(t *testing.T) {
	build := func(rareCases int) *Results {
		x := [][][]float64{scores(12, 2, 0.80, 0.05, 0), scores(12, 2, 0.81, 0.05, 1), scores(12, 2, 0.40, 0.05, 2)}
		names := []string{"dice", "tversky", "bce"}
		res := &Results{Classes: []string{"blob", "rare"}, Seeds: 2, Budget: Budget{Steps: 10}}
		res.Data.ValCases = 12
		res.Data.Frequency = []float64{0.97, 0.025, 0.005}
		mean := make([][][]float64, 3)
		rare := make([][][]float64, 3)
		for i := range x {
			mean[i] = x[i]
			rare[i] = make([][]float64, 12)
			for c := range rare[i] {
				rare[i][c] = []float64{math.NaN(), math.NaN()}
				if c < rareCases {
					v := []float64{0.85, 0.80, 0}[i]
					rare[i][c] = []float64{v + 0.01*float64(c%3), v + 0.02*float64(c%2)}
				}
			}
		}
		res.Ranking, res.Pairwise = analyze(names, mean)
		for k, xs := range [][][][]float64{mean, rare} {
			cr := ClassResult{Class: res.Classes[k]}
			cr.Ranking, cr.Pairwise = analyze(names, xs)
			res.PerClass = append(res.PerClass, cr)
			res.Best = append(res.Best, cr.Ranking[0].Loss)
		}
		return res
	}
	few := answer(build(5), nil)
	want := "rare: dice (0.858); only 5 held-out cases hold rare, too few for a paired test over 3 pairs to separate dice from tversky (0.808) and bce (0.008)."
	if !strings.Contains(few, want) {
		t.Errorf("answer with 5 cases holding rare:\n%s\nwant it to contain\n%s", few, want)
	}
	if strings.Contains(few, "rare: dice (0.858), tied with") {
		t.Errorf("answer calls the rare class a tie:\n%s", few)
	}
	if !strings.Contains(few, "blob: tversky (0.810), tied with dice;") {
		t.Errorf("answer lost the real tie on blob:\n%s", few)
	}
	// 12 cases hold it: bce is separated, dice and tversky differ in every
	// case by about 0.05 and are separated too.
	many := answer(build(12), nil)
	if strings.Contains(many, "too few") || !strings.Contains(many, "rare: dice (0.860).") {
		t.Errorf("answer with 12 cases holding rare:\n%s", many)
	}
	if !separable(7, 3) || separable(6, 3) || separable(0, 1) {
		t.Errorf("separable: (7,3) %v (6,3) %v (0,1) %v", separable(7, 3), separable(6, 3), separable(0, 1))
	}
}
