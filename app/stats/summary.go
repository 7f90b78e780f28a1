package stats

import (
	"math"
	"sort"
)

// Summary describes a sample: the count, mean, sample standard deviation
// and median of its finite values, and how many values were NaN or
// infinite (left out of the statistics).
type Summary struct {
	N      int     // finite values
	NaN    int     // NaN values, left out
	Inf    int     // infinite values, left out
	Mean   float64 // NaN when N is 0
	SD     float64 // sample standard deviation (n-1); 0 for one value, NaN for none
	Median float64 // NaN when N is 0
}

// Describe summarizes the finite values of xs.
//
// Special cases are:
//
//	Describe(nil) = Summary{Mean: NaN, SD: NaN, Median: NaN}
//	one finite value x: Mean = Median = x, SD = 0
func Describe(xs []float64) Summary {
	s := Summary{Mean: math.NaN(), SD: math.NaN(), Median: math.NaN()}
	fin := make([]float64, 0, len(xs))
	for _, x := range xs {
		switch {
		case math.IsNaN(x):
			s.NaN++
		case math.IsInf(x, 0):
			s.Inf++
		default:
			fin = append(fin, x)
		}
	}
	s.N = len(fin)
	if s.N == 0 {
		return s
	}
	s.Mean, s.SD = meanSD(fin)
	sort.Float64s(fin)
	h := s.N / 2
	s.Median = fin[h]
	if s.N%2 == 0 {
		s.Median = (fin[h-1] + fin[h]) / 2
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
