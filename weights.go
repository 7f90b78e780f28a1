package segloss

import (
	"fmt"
	"math"
)

// Pixel weight maps (Batch.Weights): the golden2 conventions' pixel_weights.

// weightsFor reports whether the named loss reads Batch.Weights, and
// whether it takes per-element maps as well as per-pixel ones.
func weightsFor(name string) (ok, perElement bool) {
	switch name {
	case "bce", "bce_logits", "dice_bce":
		return true, true
	case "cross_entropy":
		return true, false
	}
	if lossKinds[name] == kindRegion {
		return true, true
	}
	return false, false
}

// checkWeights checks the length of b.Weights against the geometry.
func checkWeights[T Float](name string, g geom, b Batch[T]) error {
	if b.Weights == nil {
		return nil
	}
	ok, perElement := weightsFor(name)
	if !ok {
		return fmt.Errorf("segloss: %s: does not take pixel weights (Batch.Weights); bce, bce_logits, cross_entropy, dice_bce and the region losses do", name)
	}
	switch {
	case len(b.Weights) == g.n*g.s:
	case perElement && len(b.Weights) == g.size():
	case perElement:
		return fmt.Errorf("segloss: %s: weights have %d values, want N*S = %d (one per pixel) or N*C*S = %d (one per element)", name, len(b.Weights), g.n*g.s, g.size())
	default:
		return fmt.Errorf("segloss: %s: weights have %d values, want N*S = %d (one per pixel)", name, len(b.Weights), g.n*g.s)
	}
	return nil
}

// checkWeightValues checks that every weight is finite and >= 0.
func checkWeightValues[T Float](name string, w []T) error {
	for i, v := range w {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return fmt.Errorf("segloss: %s: weights[%d] = %v: pixel weights must be finite and >= 0", name, i, f)
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
