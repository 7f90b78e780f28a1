package kernel

// SIMDAvailable reports whether the default kernel set (the fastest the
// CPU supports, or the one SEGLOSS_KERNELS names) is a vector one.
func SIMDAvailable() bool { return dflt != setGeneric }

// SIMDEnabled reports whether vector kernels are in use.
func SIMDEnabled() bool { return cur != setGeneric }

// SetSIMD selects the default kernel set (on) or the generic one (off)
// and returns whether vector kernels were in use. Tests use it to run
// both code paths; it must not be called while kernels run.
func SetSIMD(on bool) (prev bool) {
	prev = cur != setGeneric
	cur = setGeneric
	if on {
		cur = dflt
	}
	return prev
}
