package segloss

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/segloss/segloss/internal/kernel"
)

// distBatch draws a batch for the distance losses: blobby targets (a few
// discs, so that the maps have structure), soft targets when soft, the
// target of sample 0 empty and of the last sample full when edge, class
// indices when labels.
func distBatch(r *rand.Rand, shape []int, labels, probs, soft, edge bool) Batch[float32] {
	b := protoBatch(r, shape, labels, probs, 0)
	n, c := shape[0], shape[1]
	s := len(b.Input) / (n * c)
	w := shape[len(shape)-1]
	blob := func(k int) bool { // a disc of radius 9 around a row's centre
		row, col := k/w%max(s/w, 1), k%w
		cy, cx := s/w/2, w/3
		return (row-cy)*(row-cy)+(col-cx)*(col-cx) < 81
	}
	for i := range n * c * s {
		ni, ch, k := i/(c*s), i/s%c, i%s
		on := blob(k) != (ch%2 == 1) || r.Float64() < 0.02
		if edge && ni == 0 {
			on = false
		}
		if edge && ni == n-1 && n > 1 {
			on = true
		}
		if labels {
			if ch == 0 {
				b.Labels[ni*s+k] = int32(r.IntN(c))
				if blob(k) {
					b.Labels[ni*s+k] = 1 % int32(c)
				}
				if edge && ni == 0 {
					b.Labels[ni*s+k] = 0
				}
			}
			continue
		}
		v := float32(0)
		if on {
			v = 1
		}
		if soft {
			v = float32(0.8*float64(v) + 0.2*r.Float64())
		}
		b.Target[i] = v
	}
	return b
}

// TestFusedDistanceMatchesGeneral compares the fused float32 path of the
// distance losses with the general float64 path: the loss within 1e-6
// relative (+1e-7), the gradient within 1e-4 relative + 1e-5 of its
// largest element (the float32 sigmoid and maps; the p > 0.5 decisions
// are the general path's), with and without a MapCache (the cached run
// twice, the second from the cache), plain Go and vector kernels; every
// result bit-identical with 1 and 2 threads.
func TestFusedDistanceMatchesGeneral(t *testing.T) {
	cases := []struct {
		spec                string
		labels, probs, soft bool
	}{
		{"boundary:from_logits=true", false, false, false},
		{"boundary", false, true, false},
		{"boundary:mode=multilabel,from_logits=true,classes=[1,1]", false, false, false},
		{"boundary:mode=multilabel,from_logits=true,spacing=[0.5,2]", false, false, true},
		{"boundary:mode=multiclass,from_logits=true", true, false, false},
		{"boundary:mode=multiclass,from_logits=true,classes=[1,2,2]", true, false, false},
		{"hausdorff_dt:from_logits=true", false, false, false},
		{"hausdorff_dt", false, true, true},
		{"hausdorff_dt:mode=multilabel,from_logits=true,alpha=1,classes=[0]", false, false, true},
		{"hausdorff_dt:mode=multilabel,from_logits=true,alpha=0.5,spacing=[2,0.7]", false, false, false},
		{"hausdorff_dt:mode=multiclass,from_logits=true", true, false, false},
		{"hausdorff_dt:mode=multiclass,from_logits=true,alpha=3,classes=[0,2,2]", true, false, false},
		{"log_hausdorff_dt:from_logits=true", false, false, false},
		{"log_hausdorff_dt:mode=multilabel,from_logits=true,alpha=3", false, false, true},
		{"log_hausdorff_dt:mode=multiclass,from_logits=true,classes=[3]", true, false, false},
		{"boundary:mode=multilabel,from_logits=true,spacing=[2,1,0.5]", false, false, false},
		{"hausdorff_dt:from_logits=true,spacing=[2,1,0.5]", false, false, true},
		{"log_hausdorff_dt:mode=multiclass,from_logits=true,spacing=[1,1,3]", true, false, false},
	}
	shapes := [][]int{{2, 1, 37, 41}, {3, 1, 1000}, {2, 1, 7, 19, 23}, {2, 1, 130, 300}}
	if testing.Short() {
		shapes = shapes[:3]
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, simd := range []bool{false, true} {
		prev := kernel.SetSIMD(simd)
		for _, tc := range cases {
			l, err := Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			multi := l.opts.Mode == Multilabel || l.opts.Mode == Multiclass
			for _, shape := range shapes {
				shape = append([]int(nil), shape...)
				if multi {
					shape[1] = 2
					if tc.labels {
						shape[1] = 4
					}
				}
				if l.opts.Spacing != nil && len(l.opts.Spacing) != len(shape)-2 {
					continue
				}
				for _, edge := range []bool{false, true} {
					b := distBatch(r, shape, tc.labels, tc.probs, tc.soft, edge)
					g, err := checkBatch(l, b, nil)
					if err != nil {
						t.Fatalf("%s %v: %v", tc.spec, shape, err)
					}
					want := make([]float32, len(b.Input))
					w := eval(l, new(workspace), g, want, b)
					for _, cached := range []bool{false, true} {
						l.SetMapCache(nil)
						if cached {
							l.SetMapCache(NewMapCache(64))
						}
						for rep := 0; rep < 1+b2i(cached); rep++ {
							name := tc.spec
							v, grad := fusedBitIdentical(t, l, g, b, name)
							if math.Abs(v-w) > 1e-6*math.Abs(w)+1e-7 {
								t.Errorf("simd=%v %s %v edge=%v cached=%v: loss %.10g, general %.10g", simd, tc.spec, shape, edge, cached, v, w)
							}
							scale := 0.0
							for _, x := range want {
								scale = math.Max(scale, math.Abs(float64(x)))
							}
							for i := range want {
								if math.Abs(float64(grad[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+1e-5*scale {
									t.Errorf("simd=%v %s %v edge=%v cached=%v: grad[%d] = %v, general %v", simd, tc.spec, shape, edge, cached, i, grad[i], want[i])
									break
								}
							}
							if v0, _, _ := fastEval32(l, g, nil, b); v0 != v {
								t.Errorf("%s: value without gradient %v != %v", tc.spec, v0, v)
							}
						}
					}
					l.SetMapCache(nil)
				}
			}
		}
		kernel.SetSIMD(prev)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fusedBitIdentical runs the fused path with 1 and 2 threads, checks that
// it is handled, not flagged and bit-identical, and returns the result.
func fusedBitIdentical(t *testing.T, l *Loss, g geom, b Batch[float32], name string) (float64, []float32) {
	t.Helper()
	var v1 float64
	var g1 []float32
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		gp := make([]float32, len(b.Input))
		v, handled, bad := fastEval32(l, g, gp, b)
		runtime.GOMAXPROCS(old)
		if !handled || bad {
			t.Fatalf("%s %v: handled %v, bad %v", name, b.Shape, handled, bad)
		}
		if procs == 1 {
			v1, g1 = v, gp
		} else if math.Float64bits(v) != math.Float64bits(v1) || !equal32(gp, g1) {
			t.Errorf("%s %v: GOMAXPROCS 1 vs 2 differ: %v vs %v", name, b.Shape, v1, v)
		}
	}
	return v1, g1
}

// TestFusedDistanceThreshold checks the p > 0.5 decision of hausdorff_dt
// right at 0.5: logits 0, the smallest positive float32 and 1e-8 (where
// the float64 sigmoid is 0.5 and the general path's mask is false), 1e-7
// (true), and softmax pixels whose top two probabilities round to 0.5.
func TestFusedDistanceThreshold(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		labels bool
	}{{"hausdorff_dt:from_logits=true", false}, {"hausdorff_dt:mode=multiclass,from_logits=true", true}} {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(7, 8))
		shape := []int{1, 1, 20, 30}
		if tc.labels {
			shape[1] = 3
		}
		b := distBatch(r, shape, tc.labels, false, false, false)
		special := []float32{0, math.SmallestNonzeroFloat32, 1e-8, 1e-7, -1e-8}
		for i := range b.Input {
			if i%3 == 0 {
				b.Input[i] = special[i/3%len(special)]
			}
		}
		if tc.labels { // logits (d, 0, -30), d tiny: p_0 and p_1 within float32 rounding of 0.5
			ds := []float32{0, 1e-8, 3e-8, 6e-8, 1e-7, 2e-7, 4e-7, -1e-8, -6e-8, -1e-7, -2e-7}
			for s := 0; s < 600; s += 2 {
				b.Input[s], b.Input[600+s], b.Input[1200+s] = ds[s/2%len(ds)], 0, -30
			}
		}
		g, _ := checkBatch(l, b, nil)
		want := make([]float32, len(b.Input))
		w := eval(l, new(workspace), g, want, b)
		v, grad := fusedBitIdentical(t, l, g, b, tc.spec)
		if math.Abs(v-w) > 1e-6*math.Abs(w) {
			t.Errorf("%s: loss %.10g, general %.10g", tc.spec, v, w)
		}
		for i := range want {
			if math.Abs(float64(grad[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+1e-9 {
				t.Errorf("%s: grad[%d] = %v, general %v", tc.spec, i, grad[i], want[i])
				break
			}
		}
	}
}

// TestFusedDistanceBadValues checks that bad values anywhere (a class
// channel or not) are flagged by the fused path and give the general
// path's error through Eval.
func TestFusedDistanceBadValues(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		spec   string
		labels bool
		probs  bool
	}{
		{"boundary:from_logits=true", false, false},
		{"boundary", false, true},
		{"boundary:mode=multilabel,from_logits=true,classes=[1]", false, false},
		{"hausdorff_dt:from_logits=true", false, false},
		{"log_hausdorff_dt:mode=multilabel,from_logits=true,classes=[0]", false, false},
		{"boundary:mode=multiclass,from_logits=true,classes=[1]", true, false},
		{"hausdorff_dt:mode=multiclass,from_logits=true", true, false},
	} {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{2, 2, 40, 50}
		if l.opts.Mode == Binary {
			shape[1] = 1
		}
		if tc.labels {
			shape[1] = 3
		}
		for _, what := range []string{"input NaN", "input 1.5", "target 1.5", "target NaN", "label 7"} {
			if tc.labels != (what == "label 7") && what != "input NaN" || what == "input 1.5" && !tc.probs {
				continue
			}
			for _, at := range []int{0, 2999, 3777} { // channel 0 of sample 0, channel 1 (or 0), sample 1
				r := rand.New(rand.NewPCG(9, 10))
				b := distBatch(r, shape, tc.labels, tc.probs, false, false)
				switch what {
				case "input NaN":
					b.Input[at] = nan
				case "input 1.5":
					b.Input[at] = 1.5
				case "target 1.5":
					b.Target[at] = 1.5
				case "target NaN":
					b.Target[at] = nan
				case "label 7":
					b.Labels[at%len(b.Labels)] = 7
				}
				g, _ := checkBatch(l, b, nil)
				if _, handled, bad := fastEval32(l, g, make([]float32, len(b.Input)), b); !handled || !bad {
					t.Errorf("%s %s at %d: handled %v, bad %v", tc.spec, what, at, handled, bad)
				}
				_, err := Eval(l, make([]float32, len(b.Input)), b)
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Errorf("%s %s at %d: error %v, want an *InputError", tc.spec, what, at, err)
				}
				b64 := Batch[float64]{Shape: b.Shape, Labels: b.Labels}
				for _, v := range b.Input {
					b64.Input = append(b64.Input, float64(v))
				}
				for _, v := range b.Target {
					b64.Target = append(b64.Target, float64(v))
				}
				if _, err64 := Eval(l, make([]float64, len(b.Input)), b64); err64 == nil || err == nil || err64.Error() != err.Error() {
					t.Errorf("%s %s at %d: float32 error %v, float64 error %v", tc.spec, what, at, err, err64)
				}
			}
		}
	}
}

// TestNegativeZeroTarget checks that a -0 target (which packTarget may
// flag) gives the value and gradient of a +0 target through Eval.
func TestNegativeZeroTarget(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	b := distBatch(r, []int{2, 1, 30, 40}, false, false, false, false)
	for _, spec := range []string{"boundary:from_logits=true", "hausdorff_dt:from_logits=true"} {
		l, _ := Parse(spec)
		l.SetMapCache(NewMapCache(8))
		g0 := make([]float32, len(b.Input))
		v0, err := Eval(l, g0, b)
		if err != nil {
			t.Fatal(err)
		}
		nz := b
		nz.Target = append([]float32(nil), b.Target...)
		for i, v := range nz.Target {
			if v == 0 && i%5 == 0 {
				nz.Target[i] = float32(math.Copysign(0, -1))
			}
		}
		g1 := make([]float32, len(b.Input))
		v1, err := Eval(l, g1, nz)
		if err != nil {
			t.Fatalf("%s: -0 targets: %v", spec, err)
		}
		if math.Abs(v1-v0) > 1e-6*math.Abs(v0) {
			t.Errorf("%s: -0 targets: loss %v, want %v", spec, v1, v0)
		}
		for i := range g0 {
			if math.Abs(float64(g1[i]-g0[i])) > 1e-4*math.Abs(float64(g0[i]))+1e-9 {
				t.Errorf("%s: -0 targets: grad[%d] = %v, want %v", spec, i, g1[i], g0[i])
				break
			}
		}
	}
}

// TestPackTarget checks packTarget against packMask of t > 0.5 and its
// flags: values outside [0, 1] and NaN of either sign, in the 8-value
// body and the tail (-0 may be flagged: the full check then passes).
func TestPackTarget(t *testing.T) {
	for _, n := range []int{5, 64, 67} {
		v := make([]float32, n)
		mask := make([]bool, n)
		for i := range v {
			v[i] = []float32{0, 1, 0.5, math.Nextafter32(0.5, 1), 0.3, 0.99, math.SmallestNonzeroFloat32}[i%7]
			mask[i] = v[i] > 0.5
		}
		var want []byte
		want = packMask(&want, mask)
		got := make([]byte, len(want))
		if bad := packTarget(got, v); bad || string(got) != string(want) {
			t.Fatalf("n=%d: bits %x bad %v, want %x", n, got, bad, want)
		}
		for _, b := range []float32{-1e-30, -5, math.Nextafter32(1, 2), float32(math.NaN()), float32(math.Copysign(math.NaN(), -1)),
			float32(math.Inf(1)), float32(math.Inf(-1))} {
			for _, at := range []int{0, n - 1} {
				w := append([]float32(nil), v...)
				w[at] = b
				if !packTarget(got, w) {
					t.Errorf("n=%d: %v at %d not flagged", n, b, at)
				}
			}
		}
	}
}

// TestFusedDistanceConcurrent evaluates one loss with one MapCache from
// several goroutines at once (each call has its own pooled workspace;
// the cache is shared): every result must equal the serial one.
func TestFusedDistanceConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	b := distBatch(r, []int{3, 1, 40, 50}, false, false, false, false)
	for _, spec := range []string{"boundary:from_logits=true", "log_hausdorff_dt:from_logits=true"} {
		l, _ := Parse(spec)
		want, _ := Eval(l, make([]float32, len(b.Input)), b)
		l.SetMapCache(NewMapCache(2)) // smaller than the planes: entries are evicted while in use
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				for range 5 {
					v, err := Eval(l, make([]float32, len(b.Input)), b)
					if err == nil && v != want {
						err = errors.New(spec + ": concurrent value differs")
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}
