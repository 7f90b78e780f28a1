package metric

import (
	"fmt"
	"math"
)

// GDWeight is the class weighting of the generalized Dice score, a
// function of the true volume V of each class.
type GDWeight int

const (
	// GDSquare weighs a class by 1/V² (Sudre et al. 2017; MONAI's default).
	GDSquare GDWeight = iota
	// GDSimple weighs a class by 1/V.
	GDSimple
	// GDUniform weighs every class by 1.
	GDUniform
)

// ParseGDWeight parses "square", "simple" or "uniform".
func ParseGDWeight(s string) (GDWeight, error) {
	switch s {
	case "square":
		return GDSquare, nil
	case "simple":
		return GDSimple, nil
	case "uniform":
		return GDUniform, nil
	}
	return 0, fmt.Errorf("metric: unknown generalized Dice weight %q (want square, simple or uniform)", s)
}

// GeneralizedDice returns the generalized Dice score of one image from the
// counts of its classes: 2·Σ w·TP / Σ w·(|P| + |T|), with |P| = TP + FP the
// predicted and |T| = TP + FN the true volume of a class and w its weight.
// A class absent from the truth would have an infinite weight; it gets the
// largest finite weight of the image instead, as in MONAI.
//
// Special cases are:
//
//	GeneralizedDice = 1 if the denominator is 0 and nothing is predicted
//	GeneralizedDice = 0 if the denominator is 0 and something is predicted
func GeneralizedDice(counts []Counts, weight GDWeight) float64 {
	w := make([]float64, len(counts))
	wmax := 0.0
	for k, c := range counts {
		v := float64(c.TP + c.FN)
		switch weight {
		case GDSquare:
			w[k] = 1 / (v * v)
		case GDSimple:
			w[k] = 1 / v
		default:
			w[k] = 1
		}
		if !math.IsInf(w[k], 0) {
			wmax = math.Max(wmax, w[k])
		}
	}
	var num, den float64
	var pred int64
	for k, c := range counts {
		if math.IsInf(w[k], 0) {
			w[k] = wmax
		}
		num += 2 * w[k] * float64(c.TP)
		den += w[k] * float64(2*c.TP+c.FP+c.FN)
		pred += c.TP + c.FP
	}
	if den == 0 {
		if pred == 0 {
			return 1
		}
		return 0
	}
	return num / den
}
