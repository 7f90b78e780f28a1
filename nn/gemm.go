package nn

import (
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

// Blocking of the plain-Go matrix multiplication: C is computed in
// gemmMR×gemmNR register tiles from packed panels of at most gemmKC terms.
const (
	gemmMR = 4
	gemmNR = 4
	gemmKC = 256
	gemmNC = 512
	gemmMC = 64
)

// gemmBuf holds the packed panels of one sgemm call.
type gemmBuf struct{ a, b []float32 }

var gemmPool = sync.Pool{New: func() any {
	return &gemmBuf{a: make([]float32, gemmMC*gemmKC), b: make([]float32, gemmKC*gemmNC)}
}}

// sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(A) is m×k (A, or Aᵀ when transA), op(B) is k×n and C is m×n with
// leading dimensions lda, ldb and ldc, like BLAS. With beta 0, C is not
// read. It allocates nothing in steady state. The result depends only on
// the arguments (the order of the k terms is fixed), never on the caller.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	buf := gemmPool.Get().(*gemmBuf)
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			packB(buf.b, transB, b, ldb, pc, jc, kc, nc)
			for ic := 0; ic < m; ic += gemmMC {
				mc := min(gemmMC, m-ic)
				packA(buf.a, transA, a, lda, ic, pc, mc, kc)
				macroKernel(mc, nc, kc, alpha, buf.a, buf.b, c[ic*ldc+jc:], ldc)
			}
		}
	}
	gemmPool.Put(buf)
}

// packA copies op(A)[i0:i0+mc, p0:p0+kc] into panels of gemmMR rows,
// each stored k-major (mr values per term), zero-padded.
func packA(dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc int) {
	for ip := 0; ip < mc; ip += gemmMR {
		panel := dst[ip*kc : ip*kc+gemmMR*kc]
		rows := min(gemmMR, mc-ip)
		for r := 0; r < gemmMR; r++ {
			if r >= rows {
				for p := 0; p < kc; p++ {
					panel[p*gemmMR+r] = 0
				}
				continue
			}
			i := i0 + ip + r
			if trans {
				for p := 0; p < kc; p++ {
					panel[p*gemmMR+r] = a[(p0+p)*lda+i]
				}
			} else {
				src := a[i*lda+p0 : i*lda+p0+kc]
				for p, v := range src {
					panel[p*gemmMR+r] = v
				}
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc, j0:j0+nc] into panels of gemmNR columns,
// each stored k-major (nr values per term), zero-padded.
func packB(dst []float32, trans bool, b []float32, ldb, p0, j0, kc, nc int) {
	for jp := 0; jp < nc; jp += gemmNR {
		panel := dst[jp*kc : jp*kc+gemmNR*kc]
		cols := min(gemmNR, nc-jp)
		if !trans && cols == gemmNR {
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jp : (p0+p)*ldb+j0+jp+gemmNR]
				d := panel[p*gemmNR : p*gemmNR+gemmNR]
				d[0], d[1], d[2], d[3] = src[0], src[1], src[2], src[3]
			}
			continue
		}
		for r := 0; r < gemmNR; r++ {
			if r >= cols {
				for p := 0; p < kc; p++ {
					panel[p*gemmNR+r] = 0
				}
				continue
			}
			j := j0 + jp + r
			if trans {
				src := b[j*ldb+p0 : j*ldb+p0+kc]
				for p, v := range src {
					panel[p*gemmNR+r] = v
				}
			} else {
				for p := 0; p < kc; p++ {
					panel[p*gemmNR+r] = b[(p0+p)*ldb+j]
				}
			}
		}
	}
}

// macroKernel adds alpha·Ap·Bp to the mc×nc block of C at c.
func macroKernel(mc, nc, kc int, alpha float32, ap, bp, c []float32, ldc int) {
	for jp := 0; jp < nc; jp += gemmNR {
		bpan := bp[jp*kc : jp*kc+gemmNR*kc]
		cols := min(gemmNR, nc-jp)
		for ip := 0; ip < mc; ip += gemmMR {
			apan := ap[ip*kc : ip*kc+gemmMR*kc]
			rows := min(gemmMR, mc-ip)
			acc := micro4x4(kc, apan, bpan)
			for r := 0; r < rows; r++ {
				row := c[(ip+r)*ldc+jp : (ip+r)*ldc+jp+cols]
				for j := range row {
					row[j] += alpha * acc[r*4+j]
				}
			}
		}
	}
}

// micro4x4 returns the 4×4 product of a 4-row and a 4-column packed panel
// of kc terms.
func micro4x4(kc int, a, b []float32) [16]float32 {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:kc*4]
	b = b[:kc*4]
	for p := 0; p+4 <= len(a); p += 4 {
		av := a[p : p+4 : p+4]
		bv := b[p : p+4 : p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	return [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
}

// gemm is the matrix multiplication of the convolutions: the project's
// kernel.Sgemm (assembly micro-kernels chosen by CPU). The plain-Go sgemm
// above is the fallback it replaced; BenchmarkTrainStep* compare the two
// with -args -plaingemm.
var gemm = kernel.Sgemm
