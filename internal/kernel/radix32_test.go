package kernel

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// softmaxEntries lists the positive errors of one class of the standard
// multiclass workload (4 classes, logits N(0, 2²), uniform labels, n
// pixels) as packed entries, the way the fused lovasz_softmax does.
func softmaxEntries(n int) (entries []uint64, npos int) {
	r := rand.New(rand.NewPCG(9, 10))
	var x [4]float64
	for i := 0; i < n; i++ {
		m := math.Inf(-1)
		for k := range x {
			x[k] = r.NormFloat64() * 2
			m = max(m, x[k])
		}
		var z float64
		for k := range x {
			z += math.Exp(x[k] - m)
		}
		p := float32(math.Exp(x[0]-m) / z)
		e, id := p, int32(i)
		if r.IntN(4) == 0 {
			e, id, npos = 1-p, id|LovaszFG, npos+1
		}
		if e > 0 {
			entries = append(entries, PackDesc32(e, id))
		}
	}
	return entries, npos
}

func first(e []uint64, _ int) []uint64 { return e }

// BenchmarkSortPacked32 times the packed sort alone (no weights) on the
// errors of the standard workloads: lovasz_hinge's batch (parallel) and
// one sample (sequential), lovasz_softmax's one class (sequential).
func BenchmarkSortPacked32(b *testing.B) {
	for _, c := range []struct {
		name string
		src  []uint64
		seq  bool
	}{{"hinge", first(hingeEntries(8 << 18)), false}, {"hingeSample", first(hingeEntries(1 << 18)), true},
		{"softmax", first(softmaxEntries(8 << 16)), true}} {
		b.Run(c.name, func(b *testing.B) {
			var s Sorter
			s.SetSequential(c.seq)
			b.SetBytes(int64(8 * len(c.src)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(c.src)), c.src)
				s.sortPacked(len(c.src), nil)
			}
		})
	}
}

// TestSortLow checks the in-bucket sort against a stable comparison sort
// at the sizes of each method (insertion, three 7-bit digits, 11 and 10
// bits) with key bits 0..20 random under masks that leave some digits
// constant (their passes skipped) and with many ties; the entries'
// indices are increasing, so ties must keep that order.
func TestSortLow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var cnt lowCounts
	for _, n := range []int{2, 32, 33, 100, lowNarrow, lowNarrow + 1, 5000} {
		for _, mask := range []uint32{1<<21 - 1, 1<<7 - 1, 1<<11 - 1, 0x7f << 7, 0x7f << 14, 0x3ff << 11, 0x101, 0} {
			b := make([]uint64, n)
			for i := range b {
				b[i] = uint64(0x5a5<<21|r.Uint32()&mask)<<32 | uint64(i)
			}
			want := slices.Clone(b)
			slices.SortStableFunc(want, func(x, y uint64) int { return cmp.Compare(x>>32, y>>32) })
			tmp := make([]uint64, n+3)
			sortLow(b, tmp, &cnt)
			if !slices.Equal(b, want) {
				t.Fatalf("n=%d mask=%#x: order differs", n, mask)
			}
		}
	}
}

// TestSortPackedBigBucket sorts, in parallel and sequentially, entries of
// which most share one top-digit bucket (over half: no two lane scratch
// regions fit), against a stable comparison sort.
func TestSortPackedBigBucket(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := parallelSortMin + 777
	src := make([]uint64, n)
	for i := range src {
		k := float32(0.5 + 0.1*r.Float64()) // one bucket: [0.5, 0.625)
		if r.IntN(4) == 0 {
			k = float32(r.NormFloat64())
		}
		src[i] = PackDesc32(k, int32(i))
	}
	want := slices.Clone(src)
	slices.SortStableFunc(want, func(x, y uint64) int { return cmp.Compare(x>>32, y>>32) })
	for _, procs := range []int{1, 2, 4} {
		for _, seq := range []bool{false, true} {
			old := runtime.GOMAXPROCS(procs)
			var s Sorter
			s.SetSequential(seq)
			copy(s.Buffer32(n), src)
			got := s.sortPacked(n, nil)
			runtime.GOMAXPROCS(old)
			if !slices.Equal(got, want) {
				t.Fatalf("procs=%d seq=%v: order differs", procs, seq)
			}
		}
	}
}
