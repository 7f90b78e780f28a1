package kernel

import (
	"fmt"
	"os"
)

// A kernel set is the instruction set the kernels run with: generic
// (plain Go, every platform), avx2 (AVX2 and FMA) or avx512 (AVX-512 F,
// CD, BW, DQ, VL), both on amd64 only.
const (
	setGeneric = iota
	setAVX2
	setAVX512
)

var setNames = [...]string{"generic", "avx2", "avx512"}

// best is the fastest kernel set this CPU supports; cur is the one in use.
var best = detectSet()

var cur = best

// dflt is the kernel set selected at start: best, or the one the
// environment variable SEGLOSS_KERNELS names (CI runs the tests once per
// set; TestKernelsEnv fails when it names one that cannot run).
var dflt int

func init() {
	if v := os.Getenv("SEGLOSS_KERNELS"); v != "" && v != "auto" {
		_ = Set(v)
	}
	dflt = cur
}

// Set selects the kernel set by name: generic, avx2, avx512, or auto
// (the fastest one the CPU supports, unless SEGLOSS_KERNELS names another). A set the CPU lacks is an error
// and leaves the selection unchanged. Set must not be called while
// kernels run.
func Set(name string) error {
	if name == "auto" {
		cur = dflt
		return nil
	}
	for s, n := range setNames {
		if n != name {
			continue
		}
		if s > best {
			return fmt.Errorf("kernel set %s: not supported by this CPU (best: %s)", name, setNames[best])
		}
		cur = s
		return nil
	}
	return fmt.Errorf("kernel set %q: unknown (want generic, avx2, avx512 or auto)", name)
}

// Current returns the name of the kernel set in use.
func Current() string { return setNames[cur] }

// Available returns the kernel sets this CPU can run, slowest first.
func Available() []string { return append([]string(nil), setNames[:best+1]...) }
