package stats

import "math/bits"

// splitMix64 is Vigna's SplitMix64 generator: a fixed, published
// algorithm (reference outputs in the test), so that a bootstrap with a
// given seed draws the same resamples on every machine and Go version.
type splitMix64 struct{ state uint64 }

// next returns the next 64 random bits.
func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a draw in [0, n): the high word of next() × n (Lemire's
// multiply-shift; its bias, below n/2^64, is far below the bootstrap's
// own error).
func (r *splitMix64) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}
