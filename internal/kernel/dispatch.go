package kernel

// useSIMD selects the vectorized kernels; it starts true when the build
// has them (GOEXPERIMENT=simd, amd64) and the CPU has AVX-512.
var useSIMD = hasSIMD && best == setAVX512

// syncSIMD follows a change of kernel set: the archsimd kernels are the
// avx512 set.
func syncSIMD() { useSIMD = hasSIMD && cur == setAVX512 }

// SIMDAvailable reports whether this build and CPU have the vectorized kernels.
func SIMDAvailable() bool { return hasSIMD }

// SIMDEnabled reports whether the vectorized kernels are in use.
func SIMDEnabled() bool { return useSIMD }

// SetSIMD turns the vectorized kernels on or off (on only where
// available) and returns the previous setting. Tests use it to run both
// code paths; it must not be called while kernels run.
func SetSIMD(on bool) (prev bool) {
	prev = useSIMD
	useSIMD = on && hasSIMD
	return prev
}
