//go:build !amd64

package kernel

// The vector entry points are never selected off amd64 (the kernel set
// is always generic there); they run the plain-Go kernels.

func sum64Vec(v []float32) float64                       { return sum64Go(v) }
func sqDev64Vec(v []float32, mean float64) float64       { return sqDev64Go(v, mean) }
func normActVec(z, a []float32, mean, rs, slope float32) { normActGo(z, a, mean, rs, actX1S(slope)) }
func actGradVec(g, z []float32, slope float32) (float64, float64) {
	return actGradGo(g, z, actX1S(slope))
}
func normGradVec(g, z []float32, rs, m1, m2 float32) { normGradGo(g, z, rs, m1, m2) }
func adamVec(p, g, m, v []float32, h *AdamHyper)     { adamGo(p, g, m, v, h) }
