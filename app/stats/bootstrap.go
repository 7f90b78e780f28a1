package stats

import (
	"math"
	"sort"
)

// DefaultResamples is the number of bootstrap resamples when
// Bootstrap.Resamples is 0.
const DefaultResamples = 2000

// Bootstrap is a percentile bootstrap of the mean over cases, with the
// seeds of a case nested in it. The zero value is the default: 2000
// resamples, seed 0, a 95 % interval.
type Bootstrap struct {
	Resamples int     // resamples (0: DefaultResamples)
	Seed      uint64  // seed of the generator
	Level     float64 // coverage of the interval (0: 0.95)
}

// Interval is an estimate and its bootstrap confidence interval.
type Interval struct {
	Mean, Low, High float64
	Cases           int // cases with at least one finite value
}

// CI returns the mean of x and its percentile confidence interval. x holds
// one row per case and one value per seed (or any repeated measurement of
// the case); NaN and infinite values are missing. The statistic is the
// mean over the cases of the mean over each case's finite values; cases
// with none are left out.
//
// Each resample draws as many cases as there are, with replacement, and
// within each drawn case as many of its values as it has, with
// replacement; the interval runs between the (1-Level)/2 and (1+Level)/2
// quantiles of the resampled statistics (linear interpolation between
// order statistics, R's type 7). The draws come from SplitMix64 seeded
// with b.Seed, in that order: case, then its values, resample after
// resample.
//
// Special cases are:
//
//	no case with a finite value: Mean, Low and High are NaN
//	one case with one value x: Mean = Low = High = x
func (b Bootstrap) CI(x [][]float64) Interval {
	rows := make([][]float64, 0, len(x))
	for _, row := range x {
		var fin []float64
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				fin = append(fin, v)
			}
		}
		if len(fin) > 0 {
			rows = append(rows, fin)
		}
	}
	nan := math.NaN()
	if len(rows) == 0 {
		return Interval{Mean: nan, Low: nan, High: nan}
	}
	var mean float64
	for _, r := range rows {
		mean += Mean(r)
	}
	mean /= float64(len(rows))
	reps := b.Resamples
	if reps <= 0 {
		reps = DefaultResamples
	}
	level := b.Level
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	rng := splitMix64{state: b.Seed}
	stat := make([]float64, reps)
	for i := range stat {
		var s float64
		for range rows {
			r := rows[rng.intn(len(rows))]
			var rs float64
			for range r {
				rs += r[rng.intn(len(r))]
			}
			s += rs / float64(len(r))
		}
		stat[i] = s / float64(len(rows))
	}
	sort.Float64s(stat)
	return Interval{Mean: mean, Low: quantile(stat, (1-level)/2), High: quantile(stat, (1+level)/2), Cases: len(rows)}
}

// quantile returns the p-quantile of the sorted values s, interpolating
// linearly between order statistics (R's type 7).
func quantile(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}
