//go:build !(goexperiment.simd && amd64)

package kernel

// hasSIMD is false: this build has no vectorized kernels (build with
// GOEXPERIMENT=simd on amd64 for them).
const hasSIMD = false

// The vectorized entry points fall back to the plain-Go kernels; they are
// never selected in this build.

func expNegSIMD(dst, src []float32) {
	for i, v := range src {
		dst[i] = Exp32(v)
	}
}

func softmaxCESIMD(grad, x []float32, lab []int32, o *Softmax) Sums {
	return softmaxCEGo(grad, x, lab, o)
}
func softmaxStatsSIMD(out []Sums, x []float32, lab []int32, o *Softmax) {
	softmaxStatsGo(out, x, lab, o)
}
func softmaxGradSIMD(grad, x []float32, lab []int32, o *Softmax) { softmaxGradGo(grad, x, lab, o) }
func softmaxProbsSIMD(dst, x []float32, lab []int32, o *Softmax) Sums {
	return softmaxProbsGo(dst, x, lab, o)
}

func softmaxChainSIMD(grad, p []float32, C, S, s0, s1 int, f float64) {
	softmaxChainGo(grad, p, C, S, s0, s1, f)
}
