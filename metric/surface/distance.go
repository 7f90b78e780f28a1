package surface

import (
	"fmt"
	"math"
	"sort"
)

// Distances returns the directed surface distances between two masks of
// the given shape and spacing (nil means 1): ab holds, for each surface
// voxel of a in row-major order, the distance to the nearest surface voxel
// of b, and ba the converse. The distance transforms run on up to workers
// goroutines, over the bounding box of the two masks only.
//
// Special cases are:
//
//	ab, ba = empty if a and b are both empty
//	ab = +Inf for every surface voxel of a if b is empty (and ba the converse)
func Distances(a, b []bool, shape []int, spacing []float64, workers int) (ab, ba []float64, err error) {
	return DistancesMetric(a, b, shape, spacing, workers, Euclidean)
}

// DistancesMetric is Distances with the distance metric m: Euclidean (in
// the units of the spacing), or Taxicab or Chessboard (in voxels; the
// spacing is ignored, as MONAI does).
func DistancesMetric(a, b []bool, shape []int, spacing []float64, workers int, m DistanceMetric) (ab, ba []float64, err error) {
	if len(a) != len(b) {
		return nil, nil, fmt.Errorf("surface: masks have %d and %d voxels", len(a), len(b))
	}
	if err := checkGeometry(len(a), shape, spacing); err != nil {
		return nil, nil, err
	}
	bx, any := unionBox(a, b, shape, 1)
	if !any {
		return []float64{}, []float64{}, nil
	}
	sub := bx.shape()
	sa, sb := Boundary(bx.crop(a, shape), sub), Boundary(bx.crop(b, shape), sub)
	ab, err = directed(sa, sb, sub, spacing, workers, m)
	if err != nil {
		return nil, nil, err
	}
	ba, err = directed(sb, sa, sub, spacing, workers, m)
	return ab, ba, err
}

// directed returns the distance from each true voxel of from to the
// nearest true voxel of to.
func directed(from, to []bool, shape []int, spacing []float64, workers int, m DistanceMetric) ([]float64, error) {
	d := make([]float64, len(to))
	if m == Euclidean {
		if err := SquaredDistanceTransform(d, to, shape, spacing, workers); err != nil {
			return nil, err
		}
	} else if err := ChamferTransform(d, to, shape, m); err != nil {
		return nil, err
	}
	out := []float64{}
	for i, f := range from {
		if f {
			v := d[i]
			if m == Euclidean {
				v = math.Sqrt(v)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// Hausdorff returns the Hausdorff distance: the largest directed distance
// in either direction.
//
// Special cases are:
//
//	Hausdorff = 0 if ab and ba are both empty (both masks empty)
//	Hausdorff = +Inf if exactly one mask is empty
func Hausdorff(ab, ba []float64) float64 {
	m := 0.0
	for _, d := range [][]float64{ab, ba} {
		for _, v := range d {
			m = math.Max(m, v)
		}
	}
	return m
}

// HausdorffPercentile returns the larger of the p-th percentiles (0 ≤ p ≤
// 100) of the two directions, interpolating linearly between ranks as numpy
// and MONAI do; p = 95 gives HD95 and p = 100 the Hausdorff distance.
//
// Special cases are:
//
//	HausdorffPercentile = 0 if ab and ba are both empty
//	HausdorffPercentile = +Inf if exactly one mask is empty
//	HausdorffPercentile = NaN if p is outside 0..100 or NaN
func HausdorffPercentile(ab, ba []float64, p float64) float64 {
	if !(p >= 0 && p <= 100) {
		return math.NaN()
	}
	return math.Max(percentile(ab, p), percentile(ba, p))
}

// percentile returns the p-th percentile of x, or 0 for an empty x.
func percentile(x []float64, p float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	r := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(r))
	frac := r - float64(lo)
	if frac == 0 || s[lo] == s[lo+1] {
		return s[lo]
	}
	return s[lo] + frac*(s[lo+1]-s[lo])
}

// ASSD returns the average symmetric surface distance: the mean of the
// distances of both directions taken together.
//
// Special cases are:
//
//	ASSD = 0 if ab and ba are both empty
//	ASSD = +Inf if exactly one mask is empty
func ASSD(ab, ba []float64) float64 {
	n := len(ab) + len(ba)
	if n == 0 {
		return 0
	}
	var sum float64
	for _, d := range [][]float64{ab, ba} {
		for _, v := range d {
			sum += v
		}
	}
	return sum / float64(n)
}

// SurfaceDice returns the normalized surface Dice at tolerance tol: the
// fraction of the surface voxels of both masks within tol of the other
// mask's surface.
//
// Special cases are:
//
//	SurfaceDice = NaN if ab and ba are both empty (undefined: both masks empty)
//	SurfaceDice = 0 if exactly one mask is empty
func SurfaceDice(ab, ba []float64, tol float64) float64 {
	n := len(ab) + len(ba)
	if n == 0 {
		return math.NaN()
	}
	within := 0
	for _, d := range [][]float64{ab, ba} {
		for _, v := range d {
			if v <= tol {
				within++
			}
		}
	}
	return float64(within) / float64(n)
}

// Result holds the surface metrics of one pair of masks.
type Result struct {
	Hausdorff           float64
	HausdorffPercentile float64
	ASSD                float64
	SurfaceDice         float64
	// DirectedHausdorff, DirectedPercentile and SurfaceDistance are the
	// directed metrics from the prediction to the truth (MONAI's
	// directed=True and symmetric=False).
	DirectedHausdorff  float64
	DirectedPercentile float64
	SurfaceDistance    float64
	// Empty is true when both masks are empty.
	Empty bool
}

// Options are the parameters of Compare.
type Options struct {
	// Percentile of HausdorffPercentile, 0..100; 0 means 95.
	Percentile float64
	// Tolerance of SurfaceDice in the units of the spacing; 0 means 1.
	Tolerance float64
	// Workers bounds the goroutines of the distance transforms; < 1 means 1.
	Workers int
	// Metric is the distance between voxels (Euclidean by default).
	Metric DistanceMetric
	// EmptyNaN makes the distances of two empty masks NaN, as in MONAI,
	// instead of 0.
	EmptyNaN bool
}

// Compare returns every surface metric of pred against truth.
func Compare(pred, truth []bool, shape []int, spacing []float64, opt Options) (Result, error) {
	p, tol := opt.Percentile, opt.Tolerance
	if p == 0 {
		p = 95
	}
	if tol == 0 {
		tol = 1
	}
	if !(p > 0 && p <= 100) || !(tol > 0) || math.IsInf(tol, 0) {
		return Result{}, fmt.Errorf("surface: percentile %v must be in (0, 100] and tolerance %v positive", opt.Percentile, opt.Tolerance)
	}
	ab, ba, err := DistancesMetric(pred, truth, shape, spacing, opt.Workers, opt.Metric)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		Hausdorff:           Hausdorff(ab, ba),
		HausdorffPercentile: HausdorffPercentile(ab, ba, p),
		ASSD:                ASSD(ab, ba),
		SurfaceDice:         SurfaceDice(ab, ba, tol),
		DirectedHausdorff:   DirectedPercentile(ab, ba, 100),
		DirectedPercentile:  DirectedPercentile(ab, ba, p),
		SurfaceDistance:     SurfaceDistance(ab, ba),
		Empty:               len(ab)+len(ba) == 0,
	}
	if r.Empty && opt.EmptyNaN {
		nan := math.NaN()
		r.Hausdorff, r.HausdorffPercentile, r.ASSD = nan, nan, nan
		r.DirectedHausdorff, r.DirectedPercentile, r.SurfaceDistance = nan, nan, nan
	}
	return r, nil
}

// DirectedPercentile returns the p-th percentile (0 ≤ p ≤ 100) of the
// distances ab from the surface of the first mask to the second, with
// linear interpolation as HausdorffPercentile; p = 100 is the directed
// Hausdorff distance. ba only tells whether the first mask is empty.
//
// Special cases are:
//
//	DirectedPercentile = 0 if both masks are empty
//	DirectedPercentile = +Inf if exactly one mask is empty (MONAI)
//	DirectedPercentile = NaN if p is outside 0..100 or NaN
func DirectedPercentile(ab, ba []float64, p float64) float64 {
	if !(p >= 0 && p <= 100) {
		return math.NaN()
	}
	if len(ab) == 0 && len(ba) > 0 {
		return math.Inf(1)
	}
	return percentile(ab, p)
}

// SurfaceDistance returns the directed average surface distance: the mean
// of the distances ab from the surface of the first mask to the second
// (MONAI's SurfaceDistanceMetric with symmetric=False).
//
// Special cases are:
//
//	SurfaceDistance = 0 if both masks are empty
//	SurfaceDistance = +Inf if exactly one mask is empty
func SurfaceDistance(ab, ba []float64) float64 {
	if len(ab) == 0 {
		if len(ba) > 0 {
			return math.Inf(1)
		}
		return 0
	}
	var sum float64
	for _, v := range ab {
		sum += v
	}
	return sum / float64(len(ab))
}
