//go:build !amd64

package kernel

// gemmKernels holds the generic SGEMM micro-kernel only.
var gemmKernels = [...]gemmKern{setGeneric: {4, 4, sgemmKernGo, nil}}
