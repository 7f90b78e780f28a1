package segloss

import "github.com/segloss/segloss/internal/kernel"

// The kernel-set names SetKernels takes besides those of KernelSets.
const (
	// KernelsAuto selects the fastest set this CPU supports (the default).
	KernelsAuto = "auto"
	// KernelsGeneric is the portable Go set, on every platform.
	KernelsGeneric = "generic"
)

// KernelSets returns the names of the kernel sets this build and CPU can
// run, slowest first: "generic", then "avx2" and "avx512" on amd64 CPUs
// that have them. The SEGLOSS_KERNELS environment variable selects one at
// start-up.
func KernelSets() []string { return kernel.Available() }

// Kernels returns the name of the kernel set in use.
func Kernels() string { return kernel.Current() }

// SetKernels selects the kernel set of the fused float32 paths (and of
// every other kernel) by name, KernelsAuto or one of KernelSets, and
// returns the previous one, so that benchmarks and tests can compare sets:
//
//	prev, err := segloss.SetKernels(segloss.KernelsGeneric)
//	defer segloss.SetKernels(prev)
//
// Results agree between sets to float32 rounding. It must not be called
// while Eval runs. A set this CPU lacks, or an unknown name, is an
// *OptionError and changes nothing.
func SetKernels(name string) (prev string, err error) {
	prev = kernel.Current()
	if err := kernel.Set(name); err != nil {
		return prev, &OptionError{Key: "kernels", Value: name, Err: err}
	}
	return prev, nil
}
