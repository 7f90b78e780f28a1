package segloss

import (
	"fmt"

	"github.com/segloss/segloss/internal/kernel"
)

// The kernel sets of the fused float32 paths, for SetKernels.
const (
	// KernelsAuto selects the fastest set this build and CPU have.
	KernelsAuto = "auto"
	// KernelsGeneric is the portable Go set, in every build.
	KernelsGeneric = "generic"
	// KernelsSIMD is the AVX-512 set of builds with GOEXPERIMENT=simd on amd64.
	KernelsSIMD = "simd"
)

// KernelSets returns the names of the kernel sets this build and CPU can
// run, the default first.
func KernelSets() []string {
	if kernel.SIMDAvailable() {
		return []string{KernelsSIMD, KernelsGeneric}
	}
	return []string{KernelsGeneric}
}

// Kernels returns the name of the kernel set in use.
func Kernels() string {
	if kernel.SIMDEnabled() {
		return KernelsSIMD
	}
	return KernelsGeneric
}

// SetKernels selects the kernel set of the fused float32 paths by name
// (KernelsAuto, or one of KernelSets) and returns the previous one, so
// that benchmarks and tests can compare sets:
//
//	prev, err := segloss.SetKernels(segloss.KernelsGeneric)
//	defer segloss.SetKernels(prev)
//
// Results agree between sets to float32 rounding. It must not be called
// while Eval runs. A set this build or CPU lacks is an *OptionError.
func SetKernels(name string) (prev string, err error) {
	prev = Kernels()
	switch name {
	case KernelsAuto:
		kernel.SetSIMD(true)
	case KernelsGeneric:
		kernel.SetSIMD(false)
	case KernelsSIMD:
		if !kernel.SIMDAvailable() {
			return prev, &OptionError{Key: "kernels", Value: name, Err: fmt.Errorf("this build or CPU has no %s kernels (build with GOEXPERIMENT=simd on an AVX-512 CPU); available: %v", name, KernelSets())}
		}
		kernel.SetSIMD(true)
	default:
		return prev, &OptionError{Key: "kernels", Value: name, Err: fmt.Errorf("unknown kernel set; want %s or one of %v", KernelsAuto, KernelSets())}
	}
	return prev, nil
}
