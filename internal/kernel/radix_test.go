package kernel

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func refOrder[F float32 | float64](keys []F) []int32 {
	idx := make([]int32, len(keys))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(keys[b], keys[a]) })
	return idx
}

func genKeys(r *rand.Rand, n int, kind int) []float64 {
	k := make([]float64, n)
	for i := range k {
		switch kind {
		case 0:
			k[i] = r.NormFloat64() * 3
		case 1: // many ties, signed zeros
			k[i] = float64(r.IntN(7)-3) * 0.5
			if k[i] == 0 && r.IntN(2) == 0 {
				k[i] = math.Copysign(0, -1)
			}
		case 2: // [0, 1]
			k[i] = r.Float64()
		case 3: // huge and tiny magnitudes
			k[i] = math.Ldexp(r.Float64()-0.5, r.IntN(200)-100)
		}
	}
	return k
}

func TestSortDesc(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s Sorter
	for _, n := range []int{0, 1, 2, 3, 17, 1000, 5000, parallelSortMin + 12345} {
		for kind := 0; kind < 4; kind++ {
			k64 := genKeys(r, n, kind)
			k32 := make([]float32, n)
			for i, v := range k64 {
				k32[i] = float32(v)
			}
			want32, want64 := refOrder(k32), refOrder(k64)
			for _, procs := range []int{1, 2, 4} {
				old := runtime.GOMAXPROCS(procs)
				c32 := slices.Clone(k32)
				i32 := make([]int32, n)
				for i := range i32 {
					i32[i] = int32(i)
				}
				s.SortDesc32(c32, i32)
				c64 := slices.Clone(k64)
				i64 := make([]int32, n)
				for i := range i64 {
					i64[i] = int32(i)
				}
				s.SortDesc64(c64, i64)
				runtime.GOMAXPROCS(old)
				if !slices.Equal(i32, want32) {
					t.Fatalf("n=%d kind=%d procs=%d: float32 order differs", n, kind, procs)
				}
				if !slices.Equal(i64, want64) {
					t.Fatalf("n=%d kind=%d procs=%d: float64 order differs", n, kind, procs)
				}
				for p := range i32 {
					if c32[p] != k32[i32[p]] || c64[p] != k64[i64[p]] {
						t.Fatalf("n=%d kind=%d: keys not permuted with indices at %d: %v %v %v %v", n, kind, p, c32[p], k32[i32[p]], c64[p], k64[i64[p]])
					}
				}
			}
		}
	}
}

func TestSortDescAllocs(t *testing.T) {
	var s Sorter
	k := make([]float32, parallelSortMin*2)
	idx := make([]int32, len(k))
	r := rand.New(rand.NewPCG(3, 4))
	fill := func() {
		for i := range k {
			k[i], idx[i] = float32(r.NormFloat64()), int32(i)
		}
	}
	fill()
	s.SortDesc32(k, idx)
	if a := testing.AllocsPerRun(5, func() { fill(); s.SortDesc32(k, idx) }); a != 0 {
		t.Errorf("SortDesc32 allocates %v per call", a)
	}
}

func BenchmarkSortDesc32(b *testing.B) {
	for _, n := range []int{1 << 12, 1 << 16, 1 << 18, 1 << 21} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(r.NormFloat64() * 2)
			}
			k := make([]float32, n)
			idx := make([]int32, n)
			var s Sorter
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(k, src)
				for i := range idx {
					idx[i] = int32(i)
				}
				s.SortDesc32(k, idx)
			}
		})
	}
}

func BenchmarkSortDesc64(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 21} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			src := make([]float64, n)
			for i := range src {
				src[i] = float64(float32(r.NormFloat64() * 2))
			}
			k := make([]float64, n)
			idx := make([]int32, n)
			var s Sorter
			b.SetBytes(int64(12 * n))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(k, src)
				for i := range idx {
					idx[i] = int32(i)
				}
				s.SortDesc64(k, idx)
			}
		})
	}
}
