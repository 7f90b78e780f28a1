package segloss

import (
	"math"
	"runtime"

	"github.com/segloss/segloss/internal/kernel"
	"github.com/segloss/segloss/metric/surface"
)

// Distance-map losses: boundary (Kervadec et al. 2019), hausdorff_dt and
// log_hausdorff_dt (Karimi & Salcudean 2019, MONAI HausdorffDTLoss). The
// maps are exact Euclidean distance transforms (metric/surface), per
// (sample, channel) over the spatial dims, constants of the gradient.

// edtWorkers is the number of goroutines of one distance transform: the
// transform parallelises over lines, which pays from about 64k voxels.
func edtWorkers(voxels int) int {
	if voxels < 1<<16 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// mapScratch is the memory of one plane's distance maps: the transform's
// scratch and the distances to the background.
type mapScratch struct {
	edt  surface.Scratch
	toBG []float64
	bits []byte // a target mask packed, the MapCache's key
	mask []bool // a target mask unpacked from bits
}

// mapFunc writes the distance map of mask into dst, with scratch s.
type mapFunc func(dst []float64, mask []bool, shape []int, spacing []float64, workers int, s *mapScratch)

// twoSided writes into dst the distance from every voxel to the nearest
// voxel of mask, and returns the distance to the nearest voxel outside
// it (in s), on up to workers goroutines. mask is neither empty nor full.
func (s *mapScratch) twoSided(dst []float64, mask []bool, shape []int, spacing []float64, workers int) []float64 {
	toBG := grow(&s.toBG, len(mask))
	if err := s.edt.TwoSided(dst, toBG, mask, shape, spacing, workers); err != nil {
		panic(err) // shapes are checked before; a failure here is a bug
	}
	return toBG
}

// signedMap writes into phi the signed distance map of mask (LIVIAETS
// one_hot2dist): +d(x, FG) outside the mask, -(d(x, BG) - 1) inside. An
// empty or full mask gives phi = 0.
func signedMap(phi []float64, mask []bool, shape []int, spacing []float64, workers int, s *mapScratch) {
	fg, bg := countMask(mask)
	if fg == 0 || bg == 0 {
		clear(phi)
		return
	}
	toBG := s.twoSided(phi, mask, shape, spacing, workers)
	for i, m := range mask {
		if m {
			phi[i] = -(toBG[i] - 1)
		}
	}
}

// unsignedMap writes into dst MONAI's Hausdorff distance map of mask:
// d(x, BG) on the mask, d(x, FG) off it; 0 everywhere when the mask is
// empty or full.
func unsignedMap(dst []float64, mask []bool, shape []int, spacing []float64, workers int, s *mapScratch) {
	fg, bg := countMask(mask)
	if fg == 0 || bg == 0 {
		clear(dst)
		return
	}
	toBG := s.twoSided(dst, mask, shape, spacing, workers)
	for i, m := range mask {
		if m {
			dst[i] = toBG[i]
		}
	}
}

func countMask(mask []bool) (fg, bg int) {
	for _, m := range mask {
		if m {
			fg++
		}
	}
	return fg, len(mask) - fg
}

// threshold writes v > 0.5 into mask.
func threshold(mask []bool, v []float64) {
	for i, x := range v {
		mask[i] = x > 0.5
	}
}

// planeTasks runs f for every (sample, class) plane of the class list,
// in parallel when no class is listed twice (planes then write disjoint
// parts of dp), and returns the sum of f's results in plane order.
// workers is the number of goroutines each plane's distance transforms may use.
func planeTasks(d *dense, classes []int, f func(n, c, workers int) float64) float64 {
	k := len(classes)
	planes := d.g.n * k
	part := make([]float64, planes)
	if hasDuplicates(classes) {
		for i := range part {
			part[i] = f(i/k, classes[i%k], edtWorkers(d.g.s))
		}
	} else {
		workers := max(1, edtWorkers(d.g.s)/planes)
		kernel.RunFunc(planes, 1, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				part[i] = f(i/k, classes[i%k], workers)
			}
		})
	}
	return kernel.SumOrdered(part)
}

// boundaryLoss is Kervadec's surface loss: the mean over (N, classes,
// spatial) of p_c phi_c, phi the signed distance map of the target > 0.5.
// It is linear in p, so the gradient phi/count is exact.
//
// Special cases are:
//
//	empty or full target of a (sample, class): phi = 0, no contribution
func boundaryLoss(o *Options, d *dense, dp []float64, cache *MapCache) float64 {
	g := d.g
	classes := d.classList()
	count := float64(g.n * len(classes) * g.s)
	sum := planeTasks(d, classes, func(n, c, workers int) float64 {
		mask := make([]bool, g.s)
		off := d.at(n, c, 0)
		threshold(mask, d.t[off:off+g.s])
		ms := new(mapScratch)
		m := cache.get(mapSigned, packMask(&ms.bits, mask), mask, d.spatial, o.Spacing, make([]float64, g.s), workers, ms, signedMap)
		var sum float64
		for s, f := range m {
			sum += d.p[off+s] * f
			if dp != nil {
				dp[off+s] += f / count
			}
		}
		return sum
	})
	return sum / count
}

// hausdorffDT is MONAI's HausdorffDTLoss: the mean over (N, classes,
// spatial) of (p-g)² (D_p^alpha + D_g^alpha), D_p the distance map of
// p > 0.5 and D_g of g > 0.5, both constants; with log, log(1 + loss).
// The gradient is exact for the frozen maps (the loss jumps where a p
// crosses 0.5).
//
// Special cases are:
//
//	a mask empty or full: its map is 0
func hausdorffDT(o *Options, d *dense, dp []float64, log bool, cache *MapCache) float64 {
	g := d.g
	classes := d.classList()
	count := float64(g.n * len(classes) * g.s)
	var coef []float64
	if dp != nil {
		coef = make([]float64, len(dp))
	}
	sum := planeTasks(d, classes, func(n, c, workers int) float64 {
		mask := make([]bool, g.s)
		dpm := make([]float64, g.s)
		off := d.at(n, c, 0)
		ms := new(mapScratch)
		threshold(mask, d.p[off:off+g.s])
		unsignedMap(dpm, mask, d.spatial, o.Spacing, workers, ms)
		threshold(mask, d.t[off:off+g.s])
		mg := cache.get(mapUnsigned, packMask(&ms.bits, mask), mask, d.spatial, o.Spacing, make([]float64, g.s), workers, ms, unsignedMap)
		var sum float64
		for s := range dpm {
			e := d.p[off+s] - d.t[off+s]
			w := powAlpha(dpm[s], o.Alpha) + powAlpha(mg[s], o.Alpha)
			sum += e * e * w
			if coef != nil {
				coef[off+s] += 2 * e * w / count
			}
		}
		return sum
	})
	v := sum / count
	scale := 1.0
	if log {
		scale = 1 / (1 + v)
		v = math.Log1p(v)
	}
	for i, c := range coef {
		dp[i] += scale * c
	}
	return v
}

// powAlpha is d^alpha, with the common exponents without math.Pow.
func powAlpha(d, alpha float64) float64 {
	switch alpha {
	case 1:
		return d
	case 2:
		return d * d
	case 0.5:
		return math.Sqrt(d)
	}
	return math.Pow(d, alpha)
}
