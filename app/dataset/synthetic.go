package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SyntheticSize is the height and width of the synthetic images.
const SyntheticSize = 64

// syntheticName reports whether dir names the built-in set: "synthetic"
// or "synthetic:N" (N images).
func syntheticName(dir string) (name string, n int, ok bool) {
	name, arg, _ := strings.Cut(dir, ":")
	if name != "synthetic" {
		return "", 0, false
	}
	n = 48
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 2 {
			return name, -1, true
		}
		n = v
	}
	return name, n, true
}

// Synthetic returns the built-in synthetic set of n 64×64 images: small
// bright blobs (class 1, a few % of the pixels) and rarer, smaller dark
// spots (class 2, under 1 %) on a textured, noisy background. The rare
// class is easy to tell apart and hard to learn only because it is rare:
// the imbalance that the choice of loss is about. The images
// depend only on n and their index, and the split on o.Seed.
func Synthetic(name string, n int, o Options) (*Set, error) {
	if n < 2 {
		return nil, fmt.Errorf("dataset: %q: want synthetic or synthetic:N with N >= 2", name)
	}
	cases := make([]rawCase, n)
	for i := range cases {
		cases[i] = syntheticCase(i)
	}
	if o.MaxCases > 0 && o.MaxCases < n {
		cases = cases[:o.MaxCases]
	}
	s := &Set{Name: "synthetic", Format: "synthetic", Dir: "synthetic:" + strconv.Itoa(n), Classes: 3,
		LabelNames: []string{"background", "blob", "rare"}}
	return s.assemble(cases, o)
}

// syntheticCase draws image i.
func syntheticCase(i int) rawCase {
	const S = SyntheticSize
	rng := rand.New(rand.NewPCG(uint64(i), 0x5e6105))
	img := make([]float64, S*S)
	lab := make([]int32, S*S)
	// Texture: a few random low-frequency waves plus pixel noise.
	type wave struct{ fx, fy, ph, a float64 }
	var waves []wave
	for k := 0; k < 4; k++ {
		waves = append(waves, wave{rng.Float64() * 0.3, rng.Float64() * 0.3, rng.Float64() * 2 * math.Pi, 0.3 + 0.3*rng.Float64()})
	}
	for y := 0; y < S; y++ {
		for x := 0; x < S; x++ {
			v := 0.0
			for _, w := range waves {
				v += w.a * math.Sin(w.fx*float64(x)+w.fy*float64(y)+w.ph)
			}
			img[y*S+x] = v + 0.35*rng.NormFloat64()
		}
	}
	blob := func(class int32, rmin, rmax, gain float64) {
		r := rmin + (rmax-rmin)*rng.Float64()
		cy, cx := r+rng.Float64()*(S-2*r), r+rng.Float64()*(S-2*r)
		ey := 0.7 + 0.6*rng.Float64() // ellipticity
		for y := 0; y < S; y++ {
			for x := 0; x < S; x++ {
				dy, dx := (float64(y)-cy)/(r*ey), (float64(x)-cx)/r
				if dy*dy+dx*dx <= 1 {
					lab[y*S+x] = class
					img[y*S+x] += gain
				}
			}
		}
	}
	for k := 1 + rng.IntN(2); k > 0; k-- {
		blob(1, 3, 6, 1.6)
	}
	if rng.IntN(3) > 0 {
		blob(2, 2, 3, -1.8)
	}
	norm := Normalize(img)
	return rawCase{name: fmt.Sprintf("synthetic_%03d", i), h: S, w: S, images: [][]float32{norm}, labels: [][]int32{lab}}
}
