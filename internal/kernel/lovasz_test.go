package kernel

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// refLovasz is the textbook computation: stable sort of all errors, the
// Lovász gradient, loss over positive errors, gradient -w(2t-1).
func refLovasz(e []float64, fg []bool) (float64, []float64) {
	n := len(e)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(e[b], e[a]) })
	npos := 0.0
	for _, f := range fg {
		if f {
			npos++
		}
	}
	grad := make([]float64, n)
	var loss, cp, cn, prev float64
	for _, i := range idx {
		if fg[i] {
			cp++
		} else {
			cn++
		}
		j := 1 - (npos-cp)/(npos+cn)
		w := j - prev
		prev = j
		if e[i] > 0 {
			loss += e[i] * w
			if fg[i] {
				grad[i] = -w
			} else {
				grad[i] = w
			}
		}
	}
	return loss, grad
}

func TestLovaszKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 5, 1000, 3 * lovaszChunk, parallelSortMin + 999} {
		for _, ties := range []bool{false, true} {
			x := make([]float32, n)
			fg := make([]bool, n)
			e64 := make([]float64, n)
			npos := 0
			for i := range x {
				x[i] = float32(r.NormFloat64() * 2)
				if ties {
					x[i] = float32(r.IntN(9)-4) * 0.5
				}
				fg[i] = r.Float64() < 0.3
				s := float32(-1)
				if fg[i] {
					s, npos = 1, npos+1
				}
				e64[i] = float64(1 - x[i]*s)
			}
			wantLoss, wantGrad := refLovasz(e64, fg)
			for _, seq := range []bool{false, true} {
				for _, procs := range []int{1, 2} {
					old := runtime.GOMAXPROCS(procs)
					var s Sorter
					s.SetSequential(seq)
					var k32 []float32
					var k64 []float64
					var idx []int32
					for i := range x {
						if e64[i] > 0 {
							k32 = append(k32, float32(e64[i]))
							k64 = append(k64, e64[i])
							v := int32(i)
							if fg[i] {
								v |= LovaszFG
							}
							idx = append(idx, v)
						}
					}
					idx64 := slices.Clone(idx)
					out32 := make([]float32, n)
					out64 := make([]float64, n)
					l32 := s.Lovasz32(k32, idx, npos, out32, 1, 0)
					l64 := s.Lovasz64(k64, idx64, npos, out64, 1)
					runtime.GOMAXPROCS(old)
					if math.Abs(l64-wantLoss) > 1e-12*math.Max(1, wantLoss) || math.Abs(l32-wantLoss) > 1e-6*math.Max(1, wantLoss) {
						t.Fatalf("n=%d ties=%v: loss %v (float32 %v), want %v", n, ties, l64, l32, wantLoss)
					}
					for i := range wantGrad {
						if math.Abs(out64[i]-wantGrad[i]) > 1e-15 || math.Abs(float64(out32[i])-wantGrad[i]) > 1e-7*math.Abs(wantGrad[i])+1e-12 {
							t.Fatalf("n=%d ties=%v: grad[%d] = %v / %v, want %v", n, ties, i, out64[i], out32[i], wantGrad[i])
						}
					}
				}
			}
		}
	}
}

// hingeEntries lists the positive hinge errors of n random logits (N(0, 2²),
// 30% foreground) as packed entries, the way the fused lovasz_hinge does.
func hingeEntries(n int) (entries []uint64, npos int) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < n; i++ {
		x := float32(r.NormFloat64() * 2)
		id := int32(i)
		key := -x
		if r.Float64() < 0.3 {
			key, id, npos = x, id|LovaszFG, npos+1
		}
		if key+1 > 0 {
			entries = append(entries, PackDesc32(key, id))
		}
	}
	return entries, npos
}

// BenchmarkLovaszPacked32 sorts and weighs the hinge errors of the
// standard binary workload (8×512×512, parallel) and of one of its
// samples (512×512, sequential, as per_image runs them).
func BenchmarkLovaszPacked32(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		seq  bool
	}{{"batch", 8 << 18, false}, {"sample", 1 << 18, true}} {
		b.Run(c.name, func(b *testing.B) {
			src, npos := hingeEntries(c.n)
			out := make([]float32, c.n)
			var s Sorter
			s.SetSequential(c.seq)
			b.SetBytes(int64(8 * len(src)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				copy(s.Buffer32(len(src)), src)
				s.LovaszPacked32(len(src), npos, out, 1, 1)
			}
		})
	}
}

// TestLovaszPackedListed checks LovaszPacked32 and a chunked listing
// (Listing32, Count32, LovaszListed32) against refLovasz on hinge-like
// errors 1 + key (key exact, as the fused lovasz_hinge lists them), with
// and without ties, sequential and parallel, and that the results are
// bit-identical across thread counts and between the two entry points.
func TestLovaszPackedListed(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 5, 33, 1000, 70000, parallelSortMin + 999} {
		for _, ties := range []bool{false, true} {
			keys := make([]float32, n)
			fg := make([]bool, n)
			e := make([]float64, n)
			npos := 0
			for i := range keys {
				x := float32(r.NormFloat64() * 2)
				if ties {
					x = float32(r.IntN(9)-4) * 0.5
				}
				fg[i] = r.Float64() < 0.3
				keys[i] = -x
				if fg[i] {
					keys[i], npos = x, npos+1
				}
				e[i] = 1 + float64(keys[i])
			}
			wantLoss, wantGrad := refLovasz(e, fg)
			entry := func(i int) (uint64, bool) {
				id := int32(i)
				if fg[i] {
					id |= LovaszFG
				}
				return PackDesc32(keys[i], id), keys[i]+1 > 0
			}
			var firstLoss float64
			var firstGrad []float32
			for _, seq := range []bool{false, true} {
				for _, procs := range []int{1, 2} {
					for _, part := range []int{0, 1 << 10, 1 << 17} { // 0: LovaszPacked32
						old := runtime.GOMAXPROCS(procs)
						var s Sorter
						s.SetSequential(seq)
						out := make([]float32, n)
						var loss float64
						if part == 0 {
							buf := s.Buffer32(n)
							m := 0
							for i := range keys {
								if v, ok := entry(i); ok {
									buf[m], m = v, m+1
								}
							}
							loss = s.LovaszPacked32(m, npos, out, 1, 1)
						} else {
							buf := s.Listing32(n, part)
							for c := 0; c*part < n; c++ {
								m := 0
								for i := c * part; i < min(n, (c+1)*part); i++ {
									if v, ok := entry(i); ok {
										buf[c*part+m], m = v, m+1
									}
								}
								s.Count32(c, buf[c*part:c*part+m])
							}
							loss = s.LovaszListed32(npos, out, 1, 1)
						}
						runtime.GOMAXPROCS(old)
						if math.Abs(loss-wantLoss) > 1e-12*math.Max(1, wantLoss) {
							t.Fatalf("n=%d ties=%v seq=%v procs=%d part=%d: loss %v, want %v", n, ties, seq, procs, part, loss, wantLoss)
						}
						for i := range wantGrad {
							if math.Abs(float64(out[i])-wantGrad[i]) > 1e-7*math.Abs(wantGrad[i])+1e-12 {
								t.Fatalf("n=%d ties=%v seq=%v procs=%d part=%d: grad[%d] = %v, want %v", n, ties, seq, procs, part, i, out[i], wantGrad[i])
							}
						}
						if firstGrad == nil {
							firstLoss, firstGrad = loss, out
						} else if loss != firstLoss || !slices.Equal(out, firstGrad) {
							t.Fatalf("n=%d ties=%v seq=%v procs=%d part=%d: result differs from the first run", n, ties, seq, procs, part)
						}
					}
				}
			}
		}
	}
}

// TestLovaszListedAllocs checks that a warm listed sort allocates nothing.
func TestLovaszListedAllocs(t *testing.T) {
	src, npos := hingeEntries(1 << 18)
	out := make([]float32, 1<<18)
	var s Sorter
	run := func() {
		buf := s.Listing32(len(src), len(src))
		copy(buf, src)
		s.Count32(0, buf[:len(src)])
		s.LovaszListed32(npos, out, 1, 1)
	}
	run()
	if a := testing.AllocsPerRun(5, run); a != 0 {
		t.Errorf("LovaszListed32 allocates %v per call", a)
	}
}
