//go:build !amd64

package kernel

// The vector entry points are never selected off amd64; they run the
// plain-Go kernels.

func weighVec(pk []uint64, out []float32, st *weighState) int { return 0 }
func hingeListVec(x, t []float32, base int, buf []uint64) (int, int, bool) {
	return hingeListGo(x, t, base, buf)
}
func softListVec(p []float32, lab []int32, c, ign int32, useIgn bool, base int, buf []uint64) (int, int, int) {
	return softListGo(p, lab, c, ign, useIgn, base, buf)
}
