package segloss

import (
	"math"
	"runtime"
	"slices"

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

// edt returns the distance from every voxel to the nearest voxel where
// feature is true (+Inf everywhere when there is none), on up to workers goroutines.
func edt(feature []bool, shape []int, spacing []float64, workers int) []float64 {
	d, err := surface.DistanceTransform(feature, shape, spacing, workers)
	if err != nil { // shapes are checked before; a failure here is a bug
		panic(err)
	}
	return d
}

// signedMap writes into phi the signed distance map of mask (LIVIAETS
// one_hot2dist): +d(x, FG) outside the mask, -(d(x, BG) - 1) inside. An
// empty or full mask gives phi = 0.
func signedMap(phi []float64, mask []bool, shape []int, spacing []float64, workers int) {
	fg, bg := countMask(mask)
	if fg == 0 || bg == 0 {
		clear(phi)
		return
	}
	toFG := edt(mask, shape, spacing, workers)
	inv := make([]bool, len(mask))
	for i, m := range mask {
		inv[i] = !m
	}
	toBG := edt(inv, shape, spacing, workers)
	for i, m := range mask {
		if m {
			phi[i] = -(toBG[i] - 1)
		} else {
			phi[i] = toFG[i]
		}
	}
}

// unsignedMap writes into dst MONAI's Hausdorff distance map of mask:
// d(x, BG) on the mask, d(x, FG) off it; 0 everywhere when the mask is
// empty or full.
func unsignedMap(dst []float64, mask []bool, shape []int, spacing []float64, workers int) {
	fg, bg := countMask(mask)
	if fg == 0 || bg == 0 {
		clear(dst)
		return
	}
	toFG := edt(mask, shape, spacing, workers)
	inv := make([]bool, len(mask))
	for i, m := range mask {
		inv[i] = !m
	}
	toBG := edt(inv, shape, spacing, workers)
	for i, m := range mask {
		if m {
			dst[i] = toBG[i]
		} else {
			dst[i] = toFG[i]
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
		m := cache.get(mapSigned, mask, d.spatial, o.Spacing, make([]float64, g.s), workers, signedMap)
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
		threshold(mask, d.p[off:off+g.s])
		unsignedMap(dpm, mask, d.spatial, o.Spacing, workers)
		threshold(mask, d.t[off:off+g.s])
		mg := cache.get(mapUnsigned, mask, d.spatial, o.Spacing, make([]float64, g.s), workers, unsignedMap)
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

// fusedBoundary is boundary's float32 path for sigmoid modes (binary,
// multilabel) on float targets: per plane, the target map (cached when
// the loss has a MapCache) and one parallel pass that checks the values,
// activates, sums p phi and writes the gradient phi p(1-p)/count (or
// phi/count on probabilities), with no float64 copy of the batch.
func fusedBoundary(l *Loss, _ *fastWS, g geom, grad []float32, b Batch[float32]) (v float64, handled, bad bool) {
	o := &l.opts
	if o.Mode == Multiclass || b.Target == nil || hasDuplicates(o.Classes) {
		return 0, false, false
	}
	for _, t := range b.Target {
		if !(t >= 0 && t <= 1) { // NaN included
			return 0, true, true
		}
	}
	spatial := b.Shape[2:]
	if len(spatial) == 0 {
		spatial = []int{1}
	}
	classes := o.Classes
	if classes == nil {
		classes = allClasses(nil, g.c)
	}
	k := len(classes)
	count := float64(g.n * k * g.s)
	planes := g.n * k
	part := make([]float64, planes)
	fail := make([]bool, planes)
	workers := max(1, edtWorkers(g.s)/planes)
	kernel.RunFunc(planes, 1, func(_, lo, hi int) {
		mask := make([]bool, g.s)
		for i := lo; i < hi; i++ {
			off := ((i/k)*g.c + classes[i%k]) * g.s
			for s, t := range b.Target[off : off+g.s] {
				mask[s] = t > 0.5
			}
			phi := l.maps.get(mapSigned, mask, spatial, o.Spacing, make([]float64, g.s), workers, signedMap)
			var sum float64
			for s, f := range phi {
				x := float64(b.Input[off+s])
				if math.IsNaN(x) || math.IsInf(x, 0) || (!o.FromLogits && (x < 0 || x > 1)) {
					fail[i] = true
					return
				}
				p, dp := x, 1.0
				if o.FromLogits {
					p = sigmoid(x)
					dp = p * (1 - p)
				}
				sum += p * f
				if grad != nil {
					grad[off+s] = float32(f * dp / count)
				}
			}
			part[i] = sum
		}
	})
	for _, f := range fail {
		if f {
			return 0, true, true
		}
	}
	if grad != nil && k < g.c { // channels outside classes
		for n := 0; n < g.n; n++ {
			for c := 0; c < g.c; c++ {
				if !slices.Contains(classes, c) {
					clear(grad[(n*g.c+c)*g.s : (n*g.c+c+1)*g.s])
				}
			}
		}
	}
	return kernel.SumOrdered(part) / count, true, false
}
