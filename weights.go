package segloss

import "math"

// Pixel weight maps (Batch.Weights): the golden2 conventions' pixel_weights.

// weightsFor reports whether loss l reads Batch.Weights, and whether it
// takes per-element maps as well as per-pixel ones.
func weightsFor(l *Loss) (ok, perElement bool) {
	switch l.name {
	case BCE, BCELogits, DiceBCE:
		return true, true
	case CrossEntropy:
		return true, false
	}
	if l.d.kind == kindRegion {
		return true, true
	}
	return false, false
}

// checkWeights checks the length of b.Weights against the geometry.
func checkWeights[T Float](l *Loss, g geom, b Batch[T]) error {
	if b.Weights == nil {
		return nil
	}
	ok, perElement := weightsFor(l)
	switch {
	case !ok:
		return inputErr(l.name, "weights", -1, "does not take pixel weights (Batch.Weights); bce, bce_logits, cross_entropy, dice_bce and the region losses do")
	case len(b.Weights) == g.n*g.s:
	case perElement && len(b.Weights) == g.size():
	case perElement:
		return inputErr(l.name, "weights", -1, "weights have %d values, want N*S = %d (one per pixel) or N*C*S = %d (one per element)", len(b.Weights), g.n*g.s, g.size())
	default:
		return inputErr(l.name, "weights", -1, "weights have %d values, want N*S = %d (one per pixel)", len(b.Weights), g.n*g.s)
	}
	return nil
}

// checkWeightValues checks that every weight is finite and >= 0.
func checkWeightValues[T Float](name Name, w []T) error {
	for i, v := range w {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nonFiniteErr(name, "weights", i, "weights[%d] = %v: pixel weights must be finite and >= 0", i, f)
		}
		if f < 0 {
			return inputErr(name, "weights", i, "weights[%d] = %v: pixel weights must be finite and >= 0", i, f)
		}
	}
	return nil
}

// weightAt returns the weight of element i (flat index in the input) of
// g: 1 without weights.
func weightAt[T Float](w []T, g geom, i int) float64 {
	if w == nil {
		return 1
	}
	if len(w) == g.size() {
		return float64(w[i])
	}
	return float64(w[(i/(g.c*g.s))*g.s+i%g.s])
}
