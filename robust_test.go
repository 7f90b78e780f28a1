package segloss_test

import (
	"errors"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"testing"

	"github.com/segloss/segloss"
)

// TestShapeOverflow: a shape whose element count overflows an int is an
// error, not a panic (2·1·2^62·2 wrapped to 0, so empty slices matched).
func TestShapeOverflow(t *testing.T) {
	shapes := [][]int{{2, 1, 1 << 62, 2}, {1 << 32, 1 << 32, 1}, {3, 1, 1 << 62}, {1, 1, math.MaxInt, 2, 2}}
	for _, name := range segloss.Names() {
		l := segloss.MustNew(name, nil)
		for _, shape := range shapes {
			for _, labels := range []bool{false, true} {
				b := segloss.Batch[float32]{Shape: shape, Input: []float32{}}
				if labels {
					b.Labels = []int32{}
				} else {
					b.Target = []float32{}
				}
				check := func(what string, err error) {
					t.Helper()
					var ie *segloss.InputError
					if err == nil || !errors.As(err, &ie) || !errors.Is(err, segloss.ErrBadInput) {
						t.Errorf("%s %s %v: err = %v, want an *InputError", name, what, shape, err)
					}
				}
				_, err := segloss.Eval(l, nil, b)
				check("Eval", err)
				_, err = segloss.Eval(l, []float32{}, b)
				check("Eval with grad", err)
				check("PerSampleLoss", segloss.PerSampleLoss(make([]float64, 2), l, b))
				b64 := segloss.Batch[float64]{Shape: shape, Input: []float64{}, Target: []float64{}}
				_, err = segloss.Eval(l, nil, b64)
				check("Eval float64", err)
				if _, err := segloss.Stats(l, b); err == nil {
					t.Errorf("%s Stats %v: no error", name, shape)
				}
			}
		}
	}
}

// TestRegionStatsFromOutside: stats that came from elsewhere (the network,
// in data-parallel training) with short or nil sums are an error in Add
// and EvalFromStats, for every region loss, never a panic.
func TestRegionStatsFromOutside(t *testing.T) {
	b := segloss.Batch[float64]{Shape: []int{1, 1, 4}, Input: []float64{0.1, 0.8, 0.6, 0.3}, Target: []float64{0, 1, 1, 0}}
	for _, name := range segloss.Names() {
		l := segloss.MustNew(name, nil)
		if l.Options().Mode == segloss.Multiclass {
			var err error
			if l, err = segloss.Parse(string(name) + ":mode=binary,from_logits=false"); err != nil {
				continue // no binary mode: not a region loss
			}
		}
		good, err := segloss.Stats(l, b)
		if err != nil {
			continue // not a region loss
		}
		breakers := map[string]func(r *segloss.RegionStats){
			"nil SumP":      func(r *segloss.RegionStats) { r.SumP = nil },
			"short TP":      func(r *segloss.RegionStats) { r.TP = r.TP[:0] },
			"long Count":    func(r *segloss.RegionStats) { r.Count = append(r.Count, 1) },
			"zero classes":  func(r *segloss.RegionStats) { r.Classes = 0 },
			"groups":        func(r *segloss.RegionStats) { r.Groups = 2 },
			"huge geometry": func(r *segloss.RegionStats) { r.Groups, r.Classes = 1<<40, 1<<40 },
		}
		for what, brk := range breakers {
			bad := good.Clone()
			brk(bad)
			sum := good.Clone()
			if err := sum.Add(bad); err == nil || !errors.Is(err, segloss.ErrBadInput) {
				t.Errorf("%s: Add(%s) = %v, want a bad-input error", name, what, err)
			}
			if err := bad.Add(good); err == nil {
				t.Errorf("%s: (%s).Add = nil, want an error", name, what)
			}
			if _, err := segloss.EvalFromStats(l, make([]float64, 4), b, bad); err == nil || !errors.Is(err, segloss.ErrBadInput) {
				t.Errorf("%s: EvalFromStats(%s) = %v, want a bad-input error", name, what, err)
			}
		}
		if err := good.Add(nil); err == nil {
			t.Errorf("%s: Add(nil): no error", name)
		}
		if _, err := segloss.EvalFromStats(l, nil, b, nil); err == nil {
			t.Errorf("%s: EvalFromStats(nil): no error", name)
		}
		sum := good.Clone()
		if err := sum.Add(good); err != nil {
			t.Errorf("%s: Add of good stats: %v", name, err)
		}
	}
}

// TestHugeLogits: logits up to ±MaxFloat32, against either target, give
// an error or a finite loss with a finite gradient, for every loss that
// reads logits, in both element types and every kernel set (focal_sigmoid
// gave NaN gradients from 1e38 on, in the fused float32 path).
func TestHugeLogits(t *testing.T) {
	xs := []float64{1e38, 2e38, 3.4e38, -3.4e38, -1e38, 1e30, 3.4028234663852886e38, -3.4028234663852886e38}
	for _, kset := range segloss.KernelSets() {
		prev, err := segloss.SetKernels(kset)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range fuzzSpecs {
			l := must(segloss.Parse(spec))
			o := l.Options()
			if !o.FromLogits || o.Mode == segloss.Multiclass {
				continue
			}
			for _, n := range []int{5, 40} { // 40: the vectorized loops too
				for _, tgt := range []float64{0, 1} {
					c := 1
					if o.Mode == segloss.Multilabel {
						c = 2
					}
					b := segloss.Batch[float64]{Shape: []int{2, c, n}, Input: make([]float64, 2*c*n), Target: make([]float64, 2*c*n)}
					for i := range b.Input {
						b.Input[i] = xs[i%len(xs)]
						b.Target[i] = tgt
						if i%3 == 0 {
							b.Target[i] = 1 - tgt
						}
					}
					fuzzCheck(t, l, b)
					fuzzCheck(t, l, segloss.Batch[float32]{Shape: b.Shape, Input: to32(b.Input), Target: to32(b.Target)})
				}
			}
		}
		segloss.SetKernels(prev)
	}
}

// TestConcurrentEval runs Eval on shared *Loss values from many goroutines
// (run it under -race): every result equals the one-goroutine result.
func TestConcurrentEval(t *testing.T) {
	type job struct {
		l    *segloss.Loss
		b32  segloss.Batch[float32]
		b64  segloss.Batch[float64]
		v32  float64
		v64  float64
		g32  []float32
		name string
	}
	rng := rand.New(rand.NewSource(3))
	var jobs []*job
	for _, tc := range fdCases {
		l := must(segloss.Parse(tc.spec))
		shape := append([]int(nil), tc.shape...)
		shape[len(shape)-1] *= 40 // several chunks
		b := randomBatch(rng, l, shape, tc.target, tc.ignore)
		j := &job{l: l, b64: b, name: tc.spec, b32: segloss.Batch[float32]{Shape: b.Shape, Input: to32(b.Input), Labels: b.Labels}}
		if b.Target != nil {
			j.b32.Target = to32(b.Target)
		}
		j.g32 = make([]float32, len(b.Input))
		var err error
		if j.v32, err = segloss.Eval(l, j.g32, j.b32); err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if j.v64, err = segloss.Eval(l, nil, b); err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		jobs = append(jobs, j)
	}
	workers := 4 * runtime.GOMAXPROCS(0)
	rounds := 3
	if testing.Short() || raceEnabled {
		rounds = 1
	}
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for k := range jobs {
					j := jobs[(k+w)%len(jobs)]
					g := make([]float32, len(j.g32))
					v, err := segloss.Eval(j.l, g, j.b32)
					if err != nil || v != j.v32 {
						errs <- j.name + ": float32 result differs under concurrency"
						return
					}
					for i := range g {
						if g[i] != j.g32[i] {
							errs <- j.name + ": float32 gradient differs under concurrency"
							return
						}
					}
					if v, err := segloss.Eval(j.l, nil, j.b64); err != nil || v != j.v64 {
						errs <- j.name + ": float64 result differs under concurrency"
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSoakMemoryFlat makes 10,000 mixed Eval calls (every loss, both
// element types, good and bad batches) on shared losses and checks that
// the live heap does not grow: the pools hold scratch memory, nothing leaks.
func TestSoakMemoryFlat(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rng := rand.New(rand.NewSource(5))
	type job struct {
		l   *segloss.Loss
		b32 segloss.Batch[float32]
		b64 segloss.Batch[float64]
		g32 []float32
		g64 []float64
	}
	var jobs []job
	for _, tc := range fdCases {
		l := must(segloss.Parse(tc.spec))
		b := randomBatch(rng, l, tc.shape, tc.target, tc.ignore)
		j := job{l: l, b64: b, b32: segloss.Batch[float32]{Shape: b.Shape, Input: to32(b.Input), Labels: b.Labels},
			g32: make([]float32, len(b.Input)), g64: make([]float64, len(b.Input))}
		if b.Target != nil {
			j.b32.Target = to32(b.Target)
		}
		jobs = append(jobs, j)
	}
	nan := segloss.Batch[float32]{Shape: []int{1, 1, 2}, Input: []float32{float32(math.NaN()), 0}, Target: []float32{0, 1}}
	heap := func() uint64 {
		// Two collections: the first moves sync.Pool contents to the
		// victim cache, the second frees them, so only memory that
		// something still holds is counted (pooled scratch made the
		// single-collection reading flaky under load).
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	const calls = 10000
	run := func(n int) {
		for i := 0; i < n; i++ {
			j := &jobs[i%len(jobs)]
			switch i % 4 {
			case 0:
				segloss.Eval(j.l, j.g32, j.b32)
			case 1:
				segloss.Eval(j.l, j.g64, j.b64)
			case 2:
				segloss.Eval(j.l, nil, j.b32)
			case 3:
				segloss.Eval(j.l, nil, nan) // an error
			}
		}
	}
	run(len(jobs) * 4) // warm the pools
	before := heap()
	run(calls)
	after := heap()
	if after > before+1<<20 {
		t.Errorf("live heap grew from %d to %d bytes over %d calls", before, after, calls)
	}
	t.Logf("live heap %d -> %d bytes over %d calls", before, after, calls)
}

// TestSetKernels: every kernel set the CPU has can be selected and gives
// the same golden results elsewhere; an unknown or missing one is an
// *OptionError that changes nothing.
func TestSetKernels(t *testing.T) {
	start := segloss.Kernels()
	for _, k := range append(segloss.KernelSets(), segloss.KernelsAuto) {
		prev, err := segloss.SetKernels(k)
		if err != nil {
			t.Errorf("SetKernels(%s): %v", k, err)
		}
		if k != segloss.KernelsAuto && segloss.Kernels() != k {
			t.Errorf("SetKernels(%s): Kernels() = %s", k, segloss.Kernels())
		}
		segloss.SetKernels(prev)
	}
	var oe *segloss.OptionError
	if _, err := segloss.SetKernels("sse9"); !errors.As(err, &oe) || segloss.Kernels() != start {
		t.Errorf("SetKernels(sse9): %v, now %s", err, segloss.Kernels())
	}
}
