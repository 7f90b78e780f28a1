package nn

import "github.com/segloss/segloss/internal/kernel"

// gemm is the matrix multiplication of the convolutions: the project's
// kernel.Sgemm (packing, blocking and assembly micro-kernels chosen by CPU,
// with a plain-Go kernel set elsewhere; SEGLOSS_KERNELS=generic selects
// that one for a comparison).
var gemm = kernel.Sgemm
