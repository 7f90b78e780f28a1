package kernel

import (
	"fmt"
	"sync"
)

// Sgemm computes C = alpha op(A) op(B) + beta C for row-major float32
// matrices, with op(X) = X or its transpose: op(A) is m×k, op(B) is k×n,
// C is m×n, and lda, ldb, ldc are the row strides. As in BLAS, C is not
// read when beta is 0 (it may hold NaN), and alpha = 0 or k = 0 only
// scales C. A and B are only read, so their rows may overlap (a stride
// below the row length: a sliding window over one vector, as the weight
// gradient of a convolution reads its input); C's rows may not. Sgemm is
// single-threaded; it panics on too-short slices or strides.
//
// The product runs in blocks of kc steps of k, nc columns and mc rows:
// A is packed into panels of mr rows (alpha folded in), B into panels of
// nr columns (read in place when it is not transposed; the vector sets
// read the last, partial panel in place with masked loads), and a
// register-blocked mr×nr micro-kernel of the current kernel set computes
// each tile of C.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	offs := [1]int{}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, offs[:], ldb, beta, c, offs[:], ldc)
}

// SgemmSharedA computes C[coffs[i]:] = A·B[boffs[i]:] + beta C[coffs[i]:]
// for every i: several products of one m×k matrix A (row stride lda) with
// k×n matrices B (row stride ldb; rows may overlap) into m×n matrices C
// (row stride ldc), each as Sgemm(false, false, m, n, k, 1, ...) computes
// it, bit for bit, but A is packed once per block for all of them. The
// C matrices must not overlap (the B ones may). It panics on too-short slices or strides, or len(boffs) != len(coffs).
func SgemmSharedA(m, n, k int, a []float32, lda int, b []float32, boffs []int, ldb int, beta float32, c []float32, coffs []int, ldc int) {
	if len(boffs) != len(coffs) {
		panic(fmt.Sprintf("kernel.SgemmSharedA: %d offsets of B but %d of C", len(boffs), len(coffs)))
	}
	for i, bo := range boffs {
		co := coffs[i]
		if bo < 0 || co < 0 || bo > len(b) || co > len(c) {
			panic(fmt.Sprintf("kernel.SgemmSharedA: offsets %d (B, %d elements), %d (C, %d elements) out of range", bo, len(b), co, len(c)))
		}
		checkGemm(false, false, m, n, k, a, lda, b[bo:], ldb, c[co:], ldc)
	}
	sgemm(false, false, m, n, k, 1, a, lda, b, boffs, ldb, beta, c, coffs, ldc)
}

// sgemm is Sgemm and SgemmSharedA: the products op(A)·op(B[boffs[i]:])
// into C[coffs[i]:], A packed once per block of rows and steps.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, boffs []int, ldb int, beta float32, c []float32, coffs []int, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		for _, co := range coffs {
			scaleC(m, n, beta, c[co:], ldc)
		}
		return
	}
	if beta == 0 {
		beta = 0 // -0 reads C; +0 does not
	}
	g := gemmKernels[cur]
	mr, nr := g.mr, g.nr
	buf := gemmPool.Get().(*gemmBuf)
	defer gemmPool.Put(buf)
	mc := gemmMC
	nc := gemmNC / nr * nr
	ap := grow(&buf.a, mc*gemmKC)
	bp := grow(&buf.b, gemmKC*nc)
	tile := &buf.tile // in the pooled buffer: a local array escapes through g.kern
	for pc := 0; pc < k; pc += gemmKC {
		kb := min(gemmKC, k-pc)
		bt := beta
		if pc > 0 {
			bt = 1
		}
		for ic := 0; ic < m; ic += mc {
			mb := min(mc, m-ic)
			packA(ap, a, lda, transA, ic, mb, pc, kb, mr, alpha)
			for i, bo := range boffs {
				b, c := b[bo:], c[coffs[i]:]
				for jc := 0; jc < n; jc += nc {
					nb := min(nc, n-jc)
					if transB {
						packB(bp, b, ldb, true, pc, kb, jc, nb, nr)
					} else if nb%nr != 0 && g.kernM == nil {
						// Only the last, partial panel is packed (zero-padded).
						j0 := nb / nr * nr
						packB(bp[j0*kb:], b, ldb, false, pc, kb, jc+j0, nb-j0, nr)
					}
					for jr := 0; jr < nb; jr += nr {
						nw := min(nr, nb-jr)
						bs, bld := bp[jr*kb:], nr
						inPlace := !transB && (nw == nr || g.kernM != nil)
						if inPlace {
							bs, bld = b[pc*ldb+jc+jr:], ldb
						}
						for ir := 0; ir < mb; ir += mr {
							mw := min(mr, mb-ir)
							as := ap[ir*kb:]
							co := (ic+ir)*ldc + jc + jr
							if mw == mr && nw == nr {
								g.kern(kb, as, bs, bld, c[co:], ldc, bt)
								continue
							}
							// Edge tile: compute into tile, then add the valid part.
							if inPlace && nw < nr {
								g.kernM(kb, as, bs, bld, tile[:], nr, 0, nw)
							} else {
								g.kern(kb, as, bs, bld, tile[:], nr, 0)
							}
							for r := 0; r < mw; r++ {
								cr := c[co+r*ldc : co+r*ldc+nw]
								tr := tile[r*nr : r*nr+nw]
								if bt == 0 {
									copy(cr, tr)
									continue
								}
								for j := range cr {
									cr[j] = tr[j] + bt*cr[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// Block sizes: kc steps of k, mc rows of A (a multiple of every mr) and
// about nc columns of B per packed block; gemmMaxTile bounds mr×nr.
const (
	gemmKC      = 256
	gemmMC      = 96
	gemmNC      = 2048
	gemmMaxTile = 8 * 32
)

// gemmKern is one micro-kernel: an mr×nr tile of C (stride ldc) from a
// packed A panel (mr floats per step) and k rows of B (stride ldb); kernM
// (nil: none, the partial panel is packed) reads only the first nw < nr
// columns of B, the last panel read in place.
type gemmKern struct {
	mr, nr int
	kern   func(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32)
	kernM  func(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, nw int)
}

// gemmBuf holds the packing buffers of one Sgemm call.
type gemmBuf struct {
	a, b []float32
	tile [gemmMaxTile]float32
}

var gemmPool = sync.Pool{New: func() any { return new(gemmBuf) }}

// grow returns (*s)[:n], reallocating when it is too short.
func grow(s *[]float32, n int) []float32 {
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	return (*s)[:n]
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernel.Sgemm: negative size %d×%d×%d", m, n, k))
	}
	need := func(name string, x []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		minLD := 0 // read-only operands: rows may overlap
		if name == "C" {
			minLD = cols
		}
		if ld < minLD || len(x) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernel.Sgemm: %s is %d×%d with stride %d but has %d elements", name, rows, cols, ld, len(x)))
		}
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need("A", a, ar, ac, lda)
	need("B", b, br, bc, ldb)
	need("C", c, m, n, ldc)
}

// scaleC sets C = beta C (C = 0 for beta = 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA writes alpha op(A)[i0:i0+mb, p0:p0+kb] into ap as panels of mr
// rows, each kb steps of mr floats, zero-padded below the last row.
func packA(ap, a []float32, lda int, trans bool, i0, mb, p0, kb, mr int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		mw := min(mr, mb-ir)
		panel := ap[ir*kb : ir*kb+mr*kb]
		for r := 0; r < mr; r++ {
			if r >= mw {
				for p := 0; p < kb; p++ {
					panel[p*mr+r] = 0
				}
				continue
			}
			i := i0 + ir + r
			if trans {
				for p := 0; p < kb; p++ {
					panel[p*mr+r] = alpha * a[(p0+p)*lda+i]
				}
				continue
			}
			row := a[i*lda+p0 : i*lda+p0+kb]
			for p, v := range row {
				panel[p*mr+r] = alpha * v
			}
		}
	}
}

// packB writes op(B)[p0:p0+kb, j0:j0+nb] into bp as panels of nr
// columns, each kb rows of nr floats, zero-padded right of the last column.
func packB(bp, b []float32, ldb int, trans bool, p0, kb, j0, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		nw := min(nr, nb-jr)
		panel := bp[jr*kb : jr*kb+nr*kb]
		for p := 0; p < kb; p++ {
			dst := panel[p*nr : p*nr+nr]
			if trans {
				for j := 0; j < nw; j++ {
					dst[j] = b[(j0+jr+j)*ldb+p0+p]
				}
			} else {
				o := (p0+p)*ldb + j0 + jr
				copy(dst, b[o:o+nw])
			}
			clear(dst[nw:])
		}
	}
}

// sgemmKernGo is the generic 4×4 micro-kernel.
func sgemmKernGo(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:4*k]
	for p := 0; p < k; p++ {
		bp := b[p*ldb : p*ldb+4]
		ak := a[4*p : 4*p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1, a2, a3 := ak[0], ak[1], ak[2], ak[3]
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
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for r := range acc {
		row := c[r*ldc : r*ldc+4]
		for j := range row {
			if beta == 0 {
				row[j] = acc[r][j]
			} else {
				row[j] = acc[r][j] + beta*row[j]
			}
		}
	}
}
