package stats

import (
	"math"
	"sort"
)

// Summary describes a sample: the count, mean and sample standard
// deviation of its finite values, how many values were NaN or infinite,
// and the mean and median of the values that are not NaN (infinities
// included).
type Summary struct {
	N       int     // finite values
	NaN     int     // NaN values, left out of everything
	Inf     int     // infinite values, left out of Mean and SD
	Mean    float64 // of the finite values; NaN when N is 0
	SD      float64 // of the finite values: sample standard deviation (n-1); 0 for one value, NaN for none
	MeanAll float64 // of the values that are not NaN: ±Inf when one is infinite, NaN with both signs or no value
	Median  float64 // of the values that are not NaN (infinities sort to the ends); NaN when there is none
}

// Describe summarizes the finite values of xs.
//
// Special cases are:
//
//	Describe(nil) = Summary{Mean: NaN, SD: NaN, MeanAll: NaN, Median: NaN}
//	one finite value x: Mean = MeanAll = Median = x, SD = 0
func Describe(xs []float64) Summary {
	s := Summary{Mean: math.NaN(), SD: math.NaN(), MeanAll: math.NaN(), Median: math.NaN()}
	fin := make([]float64, 0, len(xs))
	all := make([]float64, 0, len(xs))
	var inf float64
	for _, x := range xs {
		switch {
		case math.IsNaN(x):
			s.NaN++
			continue
		case math.IsInf(x, 0):
			s.Inf++
			inf += x
		default:
			fin = append(fin, x)
		}
		all = append(all, x)
	}
	s.N = len(fin)
	if s.N > 0 {
		s.Mean, s.SD = meanSD(fin)
		s.MeanAll = s.Mean
	}
	if s.Inf > 0 {
		s.MeanAll = inf // +Inf, -Inf, or NaN with both signs
	}
	if len(all) > 0 {
		sort.Float64s(all)
		h := len(all) / 2
		s.Median = all[h]
		if len(all)%2 == 0 {
			s.Median = (all[h-1] + all[h]) / 2
		}
	}
	return s
}

// Mean returns the mean of the finite values of xs, NaN when there are
// none.
func Mean(xs []float64) float64 {
	var sum float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// meanSD returns the mean and the sample standard deviation of the
// (finite, non-empty) values v; the standard deviation is 0 for one value.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}
