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

// planeWorkers returns the goroutines of a parallel pass over planes
// planes of voxels voxels, one plane at a time each, and the goroutines
// of each plane's distance transform.
func planeWorkers(planes, voxels int) (workers, edtW int) {
	return min(runtime.GOMAXPROCS(0), planes), max(1, edtWorkers(voxels)/planes)
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

// dist64WS is the pooled scratch of the distance losses' general
// (float64) path: after the first call of a shape, a call allocates
// nothing (a MapCache miss allocates its new entry).
type dist64WS struct {
	job   dist64Job
	units []distUnit // per plane worker
	part  []float64  // per plane: its part of the sum
	coef  []float64  // hausdorff: the gradient before log's scale
}

// dist64Job computes the planes of a distance loss on the dense view:
// unit w is one worker, planes w, w+workers, ... in its scratch.
type dist64Job struct {
	o         *Options
	d         *dense
	dp        []float64 // boundary: the gradient (nil: none)
	coef      []float64 // hausdorff: the gradient's coefficients (nil: none)
	cache     *MapCache
	classes   []int
	count     float64 // (N, classes, spatial) elements
	hausdorff bool
	workers   int
	edtW      int // goroutines of one plane's distance transform
	ws        *dist64WS
}

// Do runs worker c's planes.
func (j *dist64Job) Do(c, _, _ int) {
	for i := c; i < len(j.ws.part); i += j.workers {
		k := len(j.classes)
		j.ws.part[i] = j.plane(&j.ws.units[c], i/k, j.classes[i%k])
	}
}

// plane returns the sum of plane (n, c) and adds its gradient.
func (j *dist64Job) plane(u *distUnit, n, c int) float64 {
	d, o, S := j.d, j.o, j.d.g.s
	mask := grow(&u.mask, S)
	off := d.at(n, c, 0)
	if !j.hausdorff {
		threshold(mask, d.t[off:off+S])
		m := j.cache.get(mapSigned, packMask(&u.ms.bits, mask), mask, d.spatial, o.Spacing, grow(&u.m64, S), j.edtW, &u.ms, signedMap)
		var sum float64
		for s, f := range m {
			sum += d.p[off+s] * f
			if j.dp != nil {
				j.dp[off+s] += f / j.count
			}
		}
		return sum
	}
	dpm := grow(&u.m64, S)
	threshold(mask, d.p[off:off+S])
	unsignedMap(dpm, mask, d.spatial, o.Spacing, j.edtW, &u.ms)
	threshold(mask, d.t[off:off+S])
	mg := j.cache.get(mapUnsigned, packMask(&u.ms.bits, mask), mask, d.spatial, o.Spacing, grow(&u.g64, S), j.edtW, &u.ms, unsignedMap)
	var sum float64
	for s := range dpm {
		e := d.p[off+s] - d.t[off+s]
		w := powAlpha(dpm[s], o.Alpha) + powAlpha(mg[s], o.Alpha)
		sum += e * e * w
		if j.coef != nil {
			j.coef[off+s] += 2 * e * w / j.count
		}
	}
	return sum
}

// run computes every (sample, class) plane of the class list, in
// parallel when no class is listed twice (planes then write disjoint
// parts of the gradient), and returns the sum of the planes' parts in
// plane order: the same whatever the number of threads.
func (j *dist64Job) run() float64 {
	ws, g := j.ws, j.d.g
	planes := g.n * len(j.classes)
	ws.part = grow(&ws.part, planes)
	if hasDuplicates(j.classes) {
		j.workers, j.edtW = 1, edtWorkers(g.s)
		ws.units = grow(&ws.units, 1)
		j.Do(0, 0, 0)
	} else {
		j.workers, j.edtW = planeWorkers(planes, g.s)
		ws.units = grow(&ws.units, j.workers)
		kernel.Run(j, j.workers, 1)
	}
	return kernel.SumOrdered(ws.part)
}

// boundaryLoss is Kervadec's surface loss: the mean over (N, classes,
// spatial) of p_c phi_c, phi the signed distance map of the target > 0.5.
// It is linear in p, so the gradient phi/count is exact.
//
// Special cases are:
//
//	empty or full target of a (sample, class): phi = 0, no contribution
func boundaryLoss(o *Options, ws *dist64WS, d *dense, dp []float64, cache *MapCache) float64 {
	classes := d.classList()
	j := &ws.job
	defer func() { *j = dist64Job{} }()
	*j = dist64Job{o: o, d: d, dp: dp, cache: cache, classes: classes, ws: ws,
		count: float64(d.g.n * len(classes) * d.g.s)}
	return j.run() / j.count
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
func hausdorffDT(o *Options, ws *dist64WS, d *dense, dp []float64, log bool, cache *MapCache) float64 {
	classes := d.classList()
	j := &ws.job
	defer func() { *j = dist64Job{} }()
	*j = dist64Job{o: o, d: d, cache: cache, classes: classes, ws: ws, hausdorff: true,
		count: float64(d.g.n * len(classes) * d.g.s)}
	if dp != nil {
		j.coef = zeroed(&ws.coef, len(dp))
	}
	v := j.run() / j.count
	scale := 1.0
	if log {
		scale = 1 / (1 + v)
		v = math.Log1p(v)
	}
	for i, c := range j.coef {
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
