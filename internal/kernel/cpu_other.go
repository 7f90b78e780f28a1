//go:build !amd64

package kernel

// detectSet returns generic: the vector kernels are amd64 assembly.
func detectSet() int { return setGeneric }
