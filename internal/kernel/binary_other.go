//go:build !amd64

package kernel

// The vector entry points are never selected off amd64 (the kernel set
// is always generic there); they run the plain-Go kernels.

func bceVec(grad, x, t []float32, o *BCEOpts) Sums        { return bceGo(grad, x, t, o) }
func focalVec(grad, x, t []float32, o *FocalOpts) Sums    { return focalGo(grad, x, t, o) }
func binaryStatsVec(x, t []float32, o *Binary) Sums       { return binaryStatsGo(x, t, o) }
func binaryGradVec(grad, x, t []float32, o *Binary)       { binaryGradGo(grad, x, t, o) }
func binaryStatsDPVec(dp, x, t []float32, o *Binary) Sums { return binaryStatsDPGo(dp, x, t, o) }
func binaryGradDPVec(g, t []float32, o *Binary)           { binaryGradDPGo(g, t, o) }

func expNegVec(dst, src []float32, _ bool) {
	for i, v := range src {
		dst[i] = Exp32(v)
	}
}
