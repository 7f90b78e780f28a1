package kernel

// gemmKernels are the SGEMM micro-kernels of each kernel set.
var gemmKernels = [...]gemmKern{
	setGeneric: {4, 4, sgemmKernGo, nil},
	setAVX2:    {4, 24, sgemmAVX2, sgemmAVX2M},
	setAVX512:  {8, 32, sgemmAVX512, sgemmAVX512M},
}

// laneMask[32-nw:] starts with nw all-ones int32 lanes, then zeros: the
// column mask of a partial panel of nw columns.
var laneMask = func() (m [64]int32) {
	for i := range 32 {
		m[i] = -1
	}
	return m
}()

func sgemmAVX2(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	_, _, _ = a[4*k-1], b[(k-1)*ldb+23], c[3*ldc+23]
	sgemmKernAVX2(k, &a[0], &b[0], ldb, &c[0], ldc, beta)
}

func sgemmAVX512(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	_, _, _ = a[8*k-1], b[(k-1)*ldb+31], c[7*ldc+31]
	sgemmKernAVX512(k, &a[0], &b[0], ldb, &c[0], ldc, beta)
}

func sgemmAVX2M(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, nw int) {
	_, _, _ = a[4*k-1], b[(k-1)*ldb+nw-1], c[3*ldc+23]
	sgemmKernAVX2M(k, &a[0], &b[0], ldb, &c[0], ldc, beta, &laneMask[32-nw])
}

func sgemmAVX512M(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, nw int) {
	_, _, _ = a[8*k-1], b[(k-1)*ldb+nw-1], c[7*ldc+31]
	sgemmKernAVX512M(k, &a[0], &b[0], ldb, &c[0], ldc, beta, &laneMask[32-nw])
}
