package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Volume is one case of a set as a 3-D array [D, H, W] in the set's frame
// (a 2-D image is a volume of one slice): its examples stacked in slice
// order, the image channels-first [C, D, H, W]. Fg lists the indices of its foreground voxels (label > 0), which
// foreground oversampling draws from.
type Volume struct {
	Case     string
	Shape    [3]int    // [D, H, W]
	Channels int       // input channels C (0 reads as 1)
	Image    []float32 // C*D*H*W normalized intensities, channels first
	Label    []int32   // D*H*W class labels
	Weight   []float32 // D*H*W pixel weights (a weight map per case); nil when the set has none
	Fg       []int32   // indices of the voxels with a label > 0
	Index    []int     // the examples it was built from, in slice order
}

// Volumes groups examples (all of one h×w frame) by case into volumes, in
// the order the cases first appear, each with its slices in slice order.
// The examples' images are C×h×w (C inferred from their length); a
// volume's image is [C, D, h, w].
func Volumes(examples []Example, h, w int) []Volume {
	var out []Volume
	at := map[string]int{}
	for i, ex := range examples {
		k, ok := at[ex.Case]
		if !ok {
			k = len(out)
			at[ex.Case] = k
			out = append(out, Volume{Case: ex.Case})
		}
		out[k].Index = append(out[k].Index, i)
	}
	hw := h * w
	for k := range out {
		v := &out[k]
		sort.SliceStable(v.Index, func(a, b int) bool { return examples[v.Index[a]].Slice < examples[v.Index[b]].Slice })
		d := len(v.Index)
		v.Shape = [3]int{d, h, w}
		c := 1
		if hw > 0 {
			c = max(len(examples[v.Index[0]].Image)/hw, 1)
		}
		v.Channels = c
		v.Image = make([]float32, c*d*hw)
		v.Label = make([]int32, 0, d*hw)
		if examples[v.Index[0]].Weight != nil {
			v.Weight = make([]float32, 0, d*hw)
		}
		for z, i := range v.Index {
			im := examples[i].Image
			for ch := 0; ch < c; ch++ {
				copy(v.Image[(ch*d+z)*hw:(ch*d+z+1)*hw], im[ch*hw:min((ch+1)*hw, len(im))])
			}
			v.Label = append(v.Label, examples[i].Label...)
			if v.Weight != nil {
				v.Weight = append(v.Weight, examples[i].Weight...)
			}
		}
		for i, l := range v.Label {
			if l > 0 {
				v.Fg = append(v.Fg, int32(i))
			}
		}
	}
	return out
}

// ForegroundFraction is the share of the patches of a batch centred on a
// foreground voxel, as nnU-Net's oversample_foreground_percent (0.33).
const ForegroundFraction = 1.0 / 3

// Sampler draws training patches from volumes the way nnU-Net does: a
// random volume, a random position, and for the last third of each batch
// a position centred on a random foreground voxel; with Augment, random
// flips along every patch axis and a random rotation by a multiple of 90°
// in the plane of the last two axes when the patch is square there. A
// 2-D patch is a patch of depth 1. Every draw comes from the generator it
// is given, so a batch depends only on its seed.
type Sampler struct {
	Patch   [3]int // patch size [D, H, W]; D = 1 for 2-D training
	Augment bool
	Dims    int // 2: the patch is 2-D (never flipped along D); 3: 3-D
}

// Check reports whether the sampler's patch is usable.
func (s Sampler) Check() error {
	for _, p := range s.Patch {
		if p < 1 || p > 1<<12 {
			return fmt.Errorf("dataset: patch %v: sizes must be between 1 and 4096", s.Patch)
		}
	}
	if s.Dims == 2 && s.Patch[0] != 1 {
		return fmt.Errorf("dataset: 2-D patch %v: depth must be 1", s.Patch)
	}
	return nil
}

// C returns the number of channels of v (at least 1).
func (v *Volume) C() int { return max(v.Channels, 1) }

// Size returns the number of voxels of a patch.
func (s Sampler) Size() int { return s.Patch[0] * s.Patch[1] * s.Patch[2] }

// Batch fills x (n patches of C channels each, [n, C, patch...], C the
// volumes' channels) and y (n patches) with patches drawn from vols by
// rng: patch i is centred on a foreground voxel when i is among the last
// round(n/3) (nnU-Net's rule; with n = 1, with probability 1/3). When w
// is not nil (n patches, volumes with weight maps) it receives the pixel
// weights of the same patches.
func (s Sampler) Batch(rng *rand.Rand, vols []Volume, n int, x []float32, y []int32, w []float32) {
	ps := s.Size()
	cps := vols[0].C() * ps
	keep := int(math.Round(float64(n) * (1 - ForegroundFraction)))
	for i := 0; i < n; i++ {
		v := &vols[rng.IntN(len(vols))]
		fg := i >= keep
		if n == 1 {
			fg = rng.Float64() < ForegroundFraction
		}
		var wi []float32
		if w != nil {
			wi = w[i*ps : (i+1)*ps]
		}
		s.Patch1(rng, v, fg, x[i*cps:(i+1)*cps], y[i*ps:(i+1)*ps], wi)
	}
}

// Patch1 fills x ([C, patch...], C the channels of v) and y with one patch of v: at a uniformly random position,
// or, with fg and a volume that has foreground, centred on a random
// foreground voxel. Along an axis where the volume is smaller than the
// patch, the volume sits at a random offset inside the patch, padded with
// zeros (intensity 0 is the volume's mean) and background. When w is not
// nil it receives the same patch of v's weight map (padding: weight 1, as
// the frame's; a volume without a map gives weight 1 everywhere).
func (s Sampler) Patch1(rng *rand.Rand, v *Volume, fg bool, x []float32, y []int32, w []float32) {
	var start [3]int
	var centre [3]int
	useFg := fg && len(v.Fg) > 0
	if useFg {
		c := int(v.Fg[rng.IntN(len(v.Fg))])
		centre = [3]int{c / (v.Shape[1] * v.Shape[2]), c / v.Shape[2] % v.Shape[1], c % v.Shape[2]}
	}
	for a := 0; a < 3; a++ {
		p, d := s.Patch[a], v.Shape[a]
		switch {
		case d < p:
			start[a] = -rng.IntN(p - d + 1)
		case useFg:
			start[a] = min(max(centre[a]-p/2, 0), d-p)
		default:
			start[a] = rng.IntN(d - p + 1)
		}
	}
	flip := [3]bool{}
	rot := 0
	if s.Augment {
		for a := 0; a < 3; a++ {
			flip[a] = (a > 0 || s.Dims == 3) && rng.IntN(2) == 1
		}
		if s.Patch[1] == s.Patch[2] {
			rot = rng.IntN(4)
		}
	}
	P0, P1, P2 := s.Patch[0], s.Patch[1], s.Patch[2]
	nc, ps, vox := v.C(), P0*P1*P2, v.Shape[0]*v.Shape[1]*v.Shape[2]
	for i := 0; i < P0; i++ {
		for j := 0; j < P1; j++ {
			for k := 0; k < P2; k++ {
				// Output (i, j, k) reads source patch position (si, sj, sk):
				// rotation first, then flips.
				si, sj, sk := i, j, k
				switch rot {
				case 1:
					sj, sk = k, P1-1-j
				case 2:
					sj, sk = P1-1-j, P2-1-k
				case 3:
					sj, sk = P2-1-k, j
				}
				if flip[0] {
					si = P0 - 1 - si
				}
				if flip[1] {
					sj = P1 - 1 - sj
				}
				if flip[2] {
					sk = P2 - 1 - sk
				}
				z, r, c := start[0]+si, start[1]+sj, start[2]+sk
				o := (i*P1+j)*P2 + k
				if z < 0 || z >= v.Shape[0] || r < 0 || r >= v.Shape[1] || c < 0 || c >= v.Shape[2] {
					y[o] = 0
					if w != nil {
						w[o] = 1
					}
					for ch := 0; ch < nc; ch++ {
						x[ch*ps+o] = 0
					}
					continue
				}
				src := (z*v.Shape[1]+r)*v.Shape[2] + c
				y[o] = v.Label[src]
				if w != nil {
					w[o] = 1
					if v.Weight != nil {
						w[o] = v.Weight[src]
					}
				}
				for ch := 0; ch < nc; ch++ {
					x[ch*ps+o] = v.Image[ch*vox+src]
				}
			}
		}
	}
}
