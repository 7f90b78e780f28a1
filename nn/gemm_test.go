package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is the float64 triple loop.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
		}
	}
	return out
}

func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ m, n, k int }{{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {17, 33, 300}, {70, 530, 9}, {8, 600, 520}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				lda, ldb, ldc := tc.k+2, tc.n+1, tc.n+3
				if ta {
					lda = tc.m + 2
				}
				if tb {
					ldb = tc.k + 1
				}
				rows := func(r, ld int) []float32 {
					s := make([]float32, r*ld)
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
					return s
				}
				ar, br := tc.m, tc.k
				if ta {
					ar = tc.k
				}
				if tb {
					br = tc.n
				}
				a, b, c := rows(ar, lda), rows(br, ldb), rows(tc.m, ldc)
				for _, beta := range []float32{0, 1, 0.5} {
					cc := append([]float32(nil), c...)
					want := refGemm(ta, tb, tc.m, tc.n, tc.k, 1.5, a, lda, b, ldb, beta, cc, ldc)
					sgemm(ta, tb, tc.m, tc.n, tc.k, 1.5, a, lda, b, ldb, beta, cc, ldc)
					for i := 0; i < tc.m; i++ {
						for j := 0; j < tc.n; j++ {
							got, w := float64(cc[i*ldc+j]), want[i*tc.n+j]
							if math.Abs(got-w) > 1e-4*math.Sqrt(float64(tc.k))*(1+math.Abs(w)) {
								t.Fatalf("%v ta=%v tb=%v beta=%v: C[%d,%d] = %v, want %v", tc, ta, tb, beta, i, j, got, w)
							}
						}
						for j := tc.n; j < ldc; j++ {
							if cc[i*ldc+j] != c[i*ldc+j] {
								t.Fatalf("%v: wrote outside C", tc)
							}
						}
					}
				}
			}
		}
	}
}

func BenchmarkSgemm(b *testing.B) {
	m, n, k := 16, 256, 432
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = 1
	}
	for i := range bb {
		bb[i] = 1
	}
	b.SetBytes(int64(2 * m * n * k)) // "MB/s" reads as MFLOP/s
	for i := 0; i < b.N; i++ {
		sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
	}
}
