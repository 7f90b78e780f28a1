package kernel

// gemmKernels are the SGEMM micro-kernels of each kernel set.
var gemmKernels = [...]gemmKern{
	setGeneric: {4, 4, sgemmKernGo},
	setAVX2:    {4, 24, sgemmAVX2},
	setAVX512:  {8, 32, sgemmAVX512},
}

func sgemmAVX2(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	_, _, _ = a[4*k-1], b[(k-1)*ldb+23], c[3*ldc+23]
	sgemmKernAVX2(k, &a[0], &b[0], ldb, &c[0], ldc, beta)
}

func sgemmAVX512(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	_, _, _ = a[8*k-1], b[(k-1)*ldb+31], c[7*ldc+31]
	sgemmKernAVX512(k, &a[0], &b[0], ldb, &c[0], ldc, beta)
}
