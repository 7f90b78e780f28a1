package segloss

import (
	"fmt"
	"slices"

	"github.com/segloss/segloss/internal/kernel"
)

// The kernel sets of the fused float32 paths, for SetKernels.
const (
	// KernelsAuto selects the fastest set this CPU supports (or the one
	// the environment variable SEGLOSS_KERNELS names).
	KernelsAuto = "auto"
	// KernelsGeneric is the portable Go set, on every platform.
	KernelsGeneric = "generic"
	// KernelsAVX2 is the AVX2+FMA assembly set (amd64).
	KernelsAVX2 = "avx2"
	// KernelsAVX512 is the AVX-512 assembly set (amd64).
	KernelsAVX512 = "avx512"
)

// KernelSets returns the names of the kernel sets this CPU can run, the
// fastest first.
func KernelSets() []string {
	s := kernel.Available()
	slices.Reverse(s)
	return s
}

// Kernels returns the name of the kernel set in use.
func Kernels() string { return kernel.Current() }

// SetKernels selects the kernel set of the fused float32 paths by name
// (KernelsAuto, or one of KernelSets) and returns the previous one, so
// that benchmarks and tests can compare sets:
//
//	prev, err := segloss.SetKernels(segloss.KernelsGeneric)
//	defer segloss.SetKernels(prev)
//
// Results agree between sets to float32 rounding. It must not be called
// while Eval runs. A set this CPU lacks, or an unknown name, is an
// *OptionError.
func SetKernels(name string) (prev string, err error) {
	prev = Kernels()
	if err := kernel.Set(name); err != nil {
		return prev, &OptionError{Key: "kernels", Value: name, Err: fmt.Errorf("%v; available: %v", err, KernelSets())}
	}
	return prev, nil
}
