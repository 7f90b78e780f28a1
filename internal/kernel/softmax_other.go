//go:build !amd64

package kernel

// The vector entry points are never selected off amd64; they run the
// plain-Go kernels.

func softmaxCEVec(grad, x []float32, lab []int32, o *Softmax) Sums {
	return softmaxCEGo(grad, x, lab, o)
}
func softmaxStatsVec(out []Sums, x []float32, lab []int32, o *Softmax) {
	softmaxStatsGo(out, x, lab, o)
}
func softmaxGradVec(grad, x []float32, lab []int32, o *Softmax) { softmaxGradGo(grad, x, lab, o) }
func softmaxProbsVec(dst, x []float32, lab []int32, o *Softmax) Sums {
	return softmaxProbsGo(dst, x, lab, o)
}
func softmaxChainVec(grad, p []float32, C, S, s0, s1 int, f float64) {
	softmaxChainGo(grad, p, C, S, s0, s1, f)
}
