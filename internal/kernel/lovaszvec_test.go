package kernel

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The vector Lovász kernels against the plain-Go ones, on every kernel
// set: bit-identical weights, gradient values, loss lanes and listings.

// oddKeys are float32 keys with edge cases for the weigh and listing kernels.
var oddKeys = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-40, -1e-40,
	math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}

// withSet runs f with the kernel set name selected.
func withSet(name string, f func()) {
	prev := Current()
	defer Set(prev)
	if err := Set(name); err != nil {
		panic(err)
	}
	f()
}

func TestWeighKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	lens := []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 71, 72, 73, 200, 1000, 4099}
	forEachSet(t, func(t *testing.T) {
		set := Current()
		for _, n := range lens {
			for trial := 0; trial < 4; trial++ {
				pk := make([]uint64, n)
				size := 2*n + 10
				perm := r.Perm(size)
				fgs := 0
				for k := range pk {
					key := float32(r.NormFloat64())
					if trial == 3 {
						key = oddKeys[r.IntN(len(oddKeys))]
					}
					id := int32(perm[k])
					if r.IntN(3) == 0 {
						id |= LovaszFG
						fgs++
					}
					pk[k] = PackDesc32(key, id)
				}
				slices.Sort(pk)
				lo, fgBefore := 0, 0
				if trial > 0 {
					lo = r.IntN(5000) + 1
					fgBefore = r.IntN(lo + 1)
				}
				npos := fgBefore + fgs + r.IntN(100)
				if trial == 2 {
					npos = 0 // J = 1 - 0/cumNeg, or NaN
				}
				for _, withOut := range []bool{true, false} {
					lp := lovaszPacked{npos: float64(npos), f: 1 / 3.0, off: 0.25}
					var want, got []float32
					if withOut {
						want, got = make([]float32, size), make([]float32, size)
					}
					var wl, gl float64
					withSet("generic", func() { lp.out = want; wl = lp.weigh(pk, lo, fgBefore) })
					withSet(set, func() { lp.out = got; gl = lp.weigh(pk, lo, fgBefore) })
					if math.Float64bits(wl) != math.Float64bits(gl) && !(math.IsNaN(wl) && math.IsNaN(gl)) {
						t.Fatalf("n=%d trial %d: loss %v, plain Go %v", n, trial, gl, wl)
					}
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							t.Fatalf("n=%d trial %d: out[%d] = %v, plain Go %v", n, trial, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestWeighSerial checks the lane-summed loss of the weigh pass against a
// serial sum of the same terms: the summation error bound, n 2^-52 of the
// sum of the terms' magnitudes.
func TestWeighSerial(t *testing.T) {
	src, npos := hingeEntries(100003)
	slices.Sort(src)
	out := make([]float32, 100003)
	forEachSet(t, func(t *testing.T) {
		lp := lovaszPacked{npos: float64(npos), f: 1, off: 1, out: out}
		got := lp.weigh(src, 0, 0)
		var want, mag, cumPos, cumNeg, prev float64
		for _, v := range src {
			fg := float64(uint32(v) >> 31)
			cumPos += fg
			cumNeg += 1 - fg
			j := lovaszJ(float64(npos), cumPos, cumNeg)
			term := (1 + float64(descInv32(uint32(v>>32)))) * (j - prev)
			prev = j
			want += term
			mag += math.Abs(term)
		}
		if tol := float64(len(src)) * 0x1p-52 * mag; math.Abs(got-want) > tol {
			t.Fatalf("loss %v, serial %v (tolerance %g)", got, want, tol)
		}
	})
}

func TestHingeListKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	targets := []float32{0, 1, float32(math.Copysign(0, -1)), 0.5, 2, -1, float32(math.NaN()), float32(math.Inf(1))}
	forEachSet(t, func(t *testing.T) {
		set := Current()
		for n := 0; n < 70; n++ {
			for trial := 0; trial < 6; trial++ {
				x, tg := make([]float32, n), make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 2)
					if r.IntN(4) == 0 {
						x[i] = float32(r.IntN(5) - 2) // exact: errors 0 at x = ±1
					}
					if trial >= 4 && r.IntN(n+1) == 0 {
						x[i] = oddKeys[r.IntN(len(oddKeys))]
					}
					if r.IntN(3) == 0 {
						tg[i] = 1
					}
					if trial == 5 && r.IntN(n+1) == 0 {
						tg[i] = targets[r.IntN(len(targets))]
					}
				}
				base := r.IntN(1 << 20)
				checkList(t, set, n, func(buf []uint64) (int, int, int, bool) {
					m, np, bad := HingeList32(x, tg, 0, false, base, buf)
					return m, np, 0, bad
				})
			}
		}
	})
}

func TestSoftListKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	forEachSet(t, func(t *testing.T) {
		set := Current()
		for n := 0; n < 70; n++ {
			for trial := 0; trial < 8; trial++ {
				p, lab := make([]float32, n), make([]int32, n)
				for i := range p {
					p[i] = r.Float32()
					switch r.IntN(8) {
					case 0:
						p[i] = 0
					case 1:
						p[i] = 1
					case 2:
						p[i] = oddKeys[r.IntN(len(oddKeys))]
					}
					lab[i] = int32(r.IntN(5)) - 1
				}
				c, ign := int32(r.IntN(3)), int32(r.IntN(5))-1
				useIgn := trial%2 == 1
				base := r.IntN(1 << 20)
				checkList(t, set, n, func(buf []uint64) (int, int, int, bool) {
					m, np, ig := SoftList32(p, lab, c, ign, useIgn, base, buf)
					return m, np, ig, false
				})
			}
		}
	})
}

// checkList runs a listing with the plain-Go kernels and with set and
// compares the counts, the flag and the listed entries.
func checkList(t *testing.T, set string, n int, list func(buf []uint64) (m, npos, ignored int, bad bool)) {
	t.Helper()
	want, got := make([]uint64, n), make([]uint64, n)
	var wm, wp, wi, gm, gp, gi int
	var wb, gb bool
	withSet("generic", func() { wm, wp, wi, wb = list(want) })
	withSet(set, func() { gm, gp, gi, gb = list(got) })
	if wm != gm || wp != gp || wi != gi || wb != gb {
		t.Fatalf("n=%d: listed %d, fg %d, ignored %d, bad %v; plain Go %d, %d, %d, %v", n, gm, gp, gi, gb, wm, wp, wi, wb)
	}
	if !slices.Equal(want[:wm], got[:gm]) {
		t.Fatalf("n=%d: entries %x, plain Go %x", n, got[:gm], want[:wm])
	}
}

// BenchmarkLovaszWeigh times the weigh pass alone on the sorted hinge
// entries of the binary workload (8×512×512), in buckets of 4093, with
// the gradient stores, per kernel set.
func BenchmarkLovaszWeigh(b *testing.B) {
	src, npos := hingeEntries(8 << 18)
	slices.Sort(src)
	out := make([]float32, 8<<18)
	lp := lovaszPacked{npos: float64(npos), f: 1, off: 1, out: out}
	for _, set := range Available() {
		b.Run(set, func(b *testing.B) {
			withSet(set, func() {
				b.SetBytes(8 * int64(len(src)))
				for i := 0; i < b.N; i++ {
					for lo := 0; lo < len(src); lo += 4093 {
						lp.weigh(src[lo:min(lo+4093, len(src))], lo, 0)
					}
				}
			})
		})
	}
}

// TestWeighRange checks that an entry index outside the gradient panics
// on every set (the vector kernels store nothing outside it).
func TestWeighRange(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		for _, bad := range []int{0, 5, 13} {
			pk := make([]uint64, 16)
			for k := range pk {
				id := int32(k)
				if k == bad {
					id = 16 | LovaszFG
				}
				pk[k] = PackDesc32(float32(16-k), id)
			}
			guard := make([]float32, 32)
			out := guard[:16]
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("index 16 at %d of 16 entries: no panic", bad)
					}
				}()
				lp := lovaszPacked{npos: 3, f: 1, out: out}
				lp.weigh(pk, 0, 0)
			}()
			if guard[16] != 0 {
				t.Errorf("index 16 at %d: stored %v past the gradient", bad, guard[16])
			}
		}
	})
}
