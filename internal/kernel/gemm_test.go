package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is the textbook triple loop in float64; it also returns the
// magnitude sum |alpha a b| + |beta c| of each element, the scale of its
// rounding error.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, mag []float64) {
	ref, mag = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, g float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
				g += math.Abs(float64(av) * float64(bv))
			}
			s *= float64(alpha)
			g *= math.Abs(float64(alpha))
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j], mag[i*n+j] = s, g
		}
	}
	return ref, mag
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func checkSgemm(t *testing.T, r *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	pad := r.IntN(3)
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := randSlice(r, max(ar*lda, 1))
	b := randSlice(r, max(br*ldb, 1))
	c := randSlice(r, max(m*ldc, 1))
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN()) // must not be read
		}
	}
	ref, mag := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	pads := append([]float32(nil), c...)
	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n {
				if math.Float32bits(got) != math.Float32bits(pads[i*ldc+j]) {
					t.Fatalf("%v %v %d×%d×%d: padding C[%d][%d] changed", transA, transB, m, n, k, i, j)
				}
				continue
			}
			want := ref[i*n+j]
			tol := 1e-6*float64(k+4)*mag[i*n+j] + 1e-30
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				t.Fatalf("%v %v %d×%d×%d alpha %g beta %g: C[%d][%d] = %g, want %g (tol %g)",
					transA, transB, m, n, k, alpha, beta, i, j, got, want, tol)
			}
		}
	}
}

func TestSgemm(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 9))
		type size struct{ m, n, k int }
		sizes := []size{{0, 5, 3}, {5, 0, 3}, {4, 5, 0}, {1, 1, 1}, {8, 32, 1}, {4, 24, 7},
			{9, 33, 17}, {97, 70, 257}, {16, 2049, 20}, {3, 4100, 9}, {64, 300, 576}}
		for i := 0; i < 40; i++ {
			sizes = append(sizes, size{1 + r.IntN(40), 1 + r.IntN(80), 1 + r.IntN(60)})
		}
		for _, s := range sizes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				alpha, beta := float32(1), float32(0)
				switch r.IntN(4) {
				case 1:
					beta = 1
				case 2:
					alpha, beta = -0.5, 0.25
				case 3:
					alpha = 2
				}
				checkSgemm(t, r, tr[0], tr[1], s.m, s.n, s.k, alpha, beta)
			}
		}
		checkSgemm(t, r, false, false, 5, 6, 7, 0, 0.5)
	})
}

// TestSgemmOverlap checks A and B whose rows overlap (stride below the
// row length, a sliding window over one vector, as the weight gradient of
// nn's convolutions reads its input) on every kernel set, B read in place
// and packed (n = 3·c for several c around the micro-kernels' widths).
func TestSgemmOverlap(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, c := range []int{1, 2, 3, 5, 8, 11, 16, 24, 32, 33} {
			for _, mk := range [][2]int{{1, 1}, {8, 300}, {13, 257}, {16, 40}} {
				m, k, n := mk[0], mk[1], 3*c
				a := randSlice(r, m*k)
				b := randSlice(r, (k-1)*c+n)
				for _, tb := range []bool{false, true} {
					ldb, bb := c, b
					if tb { // op(B) = Bᵀ: n rows of k, overlapping by stride 1
						ldb, bb = 1, randSlice(r, n-1+k)
					}
					cc := randSlice(r, m*n)
					ref, mag := refGemm(false, tb, m, n, k, 1, a, k, bb, ldb, 1, cc, n)
					Sgemm(false, tb, m, n, k, 1, a, k, bb, ldb, 1, cc, n)
					for i, want := range ref {
						tol := 1e-6*float64(k+4)*mag[i] + 1e-30
						if d := math.Abs(float64(cc[i]) - want); !(d <= tol) {
							t.Fatalf("c %d m %d k %d transB %v: C[%d] = %g, want %g", c, m, k, tb, i, cc[i], want)
						}
					}
				}
				// overlapping rows of A (stride 1), m×k
				aa := randSlice(r, m-1+k)
				bn := randSlice(r, k*n)
				cc := make([]float32, m*n)
				ref, mag := refGemm(false, false, m, n, k, 1, aa, 1, bn, n, 0, cc, n)
				Sgemm(false, false, m, n, k, 1, aa, 1, bn, n, 0, cc, n)
				for i, want := range ref {
					tol := 1e-6*float64(k+4)*mag[i] + 1e-30
					if d := math.Abs(float64(cc[i]) - want); !(d <= tol) {
						t.Fatalf("overlapping A: c %d m %d k %d: C[%d] = %g, want %g", c, m, k, i, cc[i], want)
					}
				}
			}
		}
	})
}

// TestSgemmSharedA checks that SgemmSharedA gives each product bit for
// bit as Sgemm does, on every kernel set, with overlapping B windows (as
// nn's weight gradient uses it) and sizes across the block limits.
func TestSgemmSharedA(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][4]int{{1, 3, 1, 1}, {8, 24, 300, 8}, {16, 48, 257, 16}, {13, 33, 40, 50},
			{100, 96, 520, 32}, {8, 3, 1030, 1}, {64, 192, 256, 64}} {
			m, n, k, ldb := s[0], s[1], s[2], s[3]
			lda := k + r.IntN(3)
			a := randSlice(r, (m-1)*lda+k)
			boffs := []int{0, 7, 2 * ldb, 3}
			b := randSlice(r, (k-1)*ldb+n+max(7, 2*ldb))
			coffs := []int{0, m * n, 3 * m * n, 2 * m * n}
			for _, beta := range []float32{0, 1} {
				c := randSlice(r, 4*m*n)
				want := append([]float32(nil), c...)
				for i := range boffs {
					Sgemm(false, false, m, n, k, 1, a, lda, b[boffs[i]:], ldb, beta, want[coffs[i]:], n)
				}
				SgemmSharedA(m, n, k, a, lda, b, boffs, ldb, beta, c, coffs, n)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%d×%d×%d beta %g: C[%d] = %g, Sgemm gives %g", m, n, k, beta, i, c[i], want[i])
					}
				}
			}
		}
	})
	for _, f := range []func(){
		func() {
			SgemmSharedA(1, 1, 1, make([]float32, 1), 1, make([]float32, 1), []int{0}, 1, 0, make([]float32, 1), nil, 1)
		},
		func() {
			SgemmSharedA(1, 1, 1, make([]float32, 1), 1, make([]float32, 1), []int{1}, 1, 0, make([]float32, 1), []int{0}, 1)
		},
		func() {
			SgemmSharedA(1, 1, 1, make([]float32, 1), 1, make([]float32, 1), []int{-1}, 1, 0, make([]float32, 1), []int{0}, 1)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("SgemmSharedA: no panic")
				}
			}()
			f()
		}()
	}
}

func TestSgemmPanics(t *testing.T) {
	for _, f := range []func(){
		func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		func() { // C's rows may not overlap
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		},
		func() { // overlapping rows of A, but too short
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 2), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// BenchmarkSgemm times the im2col shapes of a small U-Net convolution:
// m output channels, n = 4096 pixels, k = 9 × input channels.
func BenchmarkSgemm(b *testing.B) {
	forEachSetB(b, func(b *testing.B) {
		for _, s := range [][3]int{{8, 4096, 72}, {16, 4096, 144}, {32, 4096, 288}, {64, 4096, 576}, {64, 4096, 288}} {
			m, n, k := s[0], s[1], s[2]
			r := rand.New(rand.NewPCG(1, 2))
			a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	})
}

// forEachSetB is forEachSet for benchmarks.
func forEachSetB(b *testing.B, f func(b *testing.B)) {
	prev := Current()
	defer Set(prev)
	for _, name := range Available() {
		if err := Set(name); err != nil {
			b.Fatal(err)
		}
		b.Run(name, f)
	}
}
