package surface

import (
	"fmt"
	"math"
)

// Skeleton2D returns the skeleton of a 2-D mask of shape [h, w] by the
// thinning of Zhang and Suen ("A fast parallel algorithm for thinning
// digital patterns", CACM 27(3), 1984): foreground pixels are peeled off
// in two alternating sub-iterations while that keeps the pattern
// connected, until nothing changes. Everything outside the image is
// background. Lines one pixel wide are their own skeleton.
func Skeleton2D(mask []bool, h, w int) ([]bool, error) {
	if h < 1 || w < 1 || len(mask) != h*w {
		return nil, fmt.Errorf("surface: Skeleton2D: mask of %d pixels, shape %dx%d", len(mask), h, w)
	}
	s := append([]bool(nil), mask...)
	at := func(y, x int) int {
		if y < 0 || y >= h || x < 0 || x >= w || !s[y*w+x] {
			return 0
		}
		return 1
	}
	var del []int
	for changed := true; changed; {
		changed = false
		for step := 0; step < 2; step++ {
			del = del[:0]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if !s[y*w+x] {
						continue
					}
					// P2..P9: N, NE, E, SE, S, SW, W, NW.
					p := [8]int{at(y-1, x), at(y-1, x+1), at(y, x+1), at(y+1, x+1), at(y+1, x), at(y+1, x-1), at(y, x-1), at(y-1, x-1)}
					b, a := 0, 0
					for k := range p {
						b += p[k]
						if p[k] == 0 && p[(k+1)%8] == 1 {
							a++
						}
					}
					if b < 2 || b > 6 || a != 1 {
						continue
					}
					n, e, so, we := p[0], p[2], p[4], p[6]
					if step == 0 && n*e*so == 0 && e*so*we == 0 || step == 1 && n*e*we == 0 && n*so*we == 0 {
						del = append(del, y*w+x)
					}
				}
			}
			for _, i := range del {
				s[i] = false
			}
			changed = changed || len(del) > 0
		}
	}
	return s, nil
}

// CLDice returns the centerline Dice of two 2-D masks (Shit et al., "clDice
// - a Novel Topology-Preserving Loss Function for Tubular Structure
// Segmentation", CVPR 2021) with Skeleton2D as the skeletonization: the
// harmonic mean of the topology precision |S(P) ∩ T| / |S(P)| and the
// topology sensitivity |S(T) ∩ P| / |S(T)|. Only 2-D shapes are supported.
//
// Special cases are:
//
//	CLDice = NaN if both masks are empty (undefined)
//	CLDice = 0 if exactly one mask is empty
func CLDice(pred, truth []bool, shape []int) (float64, error) {
	if len(shape) != 2 {
		return 0, fmt.Errorf("surface: clDice needs 2-D masks, got shape %v", shape)
	}
	if len(pred) != len(truth) {
		return 0, fmt.Errorf("surface: masks have %d and %d voxels", len(pred), len(truth))
	}
	if err := checkGeometry(len(pred), shape, nil); err != nil {
		return 0, err
	}
	sp, err := Skeleton2D(pred, shape[0], shape[1])
	if err != nil {
		return 0, err
	}
	st, _ := Skeleton2D(truth, shape[0], shape[1])
	var np, nt, pin, tin int
	for i := range sp {
		if sp[i] {
			np++
			if truth[i] {
				pin++
			}
		}
		if st[i] {
			nt++
			if pred[i] {
				tin++
			}
		}
	}
	if np == 0 && nt == 0 {
		return math.NaN(), nil
	}
	if np == 0 || nt == 0 || pin+tin == 0 {
		return 0, nil
	}
	tprec, tsens := float64(pin)/float64(np), float64(tin)/float64(nt)
	return 2 * tprec * tsens / (tprec + tsens), nil
}
