package segloss_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/segloss/segloss"
)

// TestSumIsSumOfParts checks that a weighted sum's value and gradient are
// the weighted sums of its parts', in both element types.
func TestSumIsSumOfParts(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, tc := range []struct {
		spec   string
		parts  []string
		w      []float64
		shape  []int
		target string
	}{
		{"dice:mode=multiclass,from_logits=true+topk_ce:k=10", []string{"dice:mode=multiclass,from_logits=true", "topk_ce:k=10"}, []float64{1, 1}, []int{2, 3, 5, 4}, "labels"},
		{"0.5*dice:from_logits=true+focal_sigmoid:gamma=2", []string{"dice:from_logits=true", "focal_sigmoid:gamma=2"}, []float64{0.5, 1}, []int{2, 1, 6, 3}, "binary"},
		{"dice:smooth=1e+5+ -2*boundary", []string{"dice:smooth=1e5", "boundary"}, []float64{1, -2}, []int{1, 1, 4, 4}, "binary"},
	} {
		l, err := segloss.Parse(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		w, parts := l.Terms()
		if len(parts) != len(tc.parts) {
			t.Fatalf("%s: %d parts, want %d", tc.spec, len(parts), len(tc.parts))
		}
		b := randomBatch(rng, parts[0], tc.shape, tc.target, 0)
		grad := make([]float64, len(b.Input))
		v, err := segloss.Eval(l, grad, b)
		if err != nil {
			t.Fatal(err)
		}
		var want float64
		wantGrad := make([]float64, len(b.Input))
		for i, ps := range tc.parts {
			if w[i] != tc.w[i] {
				t.Errorf("%s: weight %d = %v, want %v", tc.spec, i, w[i], tc.w[i])
			}
			p, _ := segloss.Parse(ps)
			g := make([]float64, len(b.Input))
			pv, err := segloss.Eval(p, g, b)
			if err != nil {
				t.Fatal(err)
			}
			want += tc.w[i] * pv
			for j := range g {
				wantGrad[j] += tc.w[i] * g[j]
			}
		}
		if math.Abs(v-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: value %v, want %v", tc.spec, v, want)
		}
		for j := range grad {
			if math.Abs(grad[j]-wantGrad[j]) > 1e-12 {
				t.Fatalf("%s: grad[%d] = %v, want %v", tc.spec, j, grad[j], wantGrad[j])
			}
		}
		per := make([]float64, tc.shape[0])
		if err := segloss.PerSampleLoss(per, l, b); err != nil {
			t.Fatal(err)
		}
	}
}

// repeatPixels returns b with pixel j of every sample repeated k[j] times
// (an integer weight map), as a batch with one spatial axis.
func repeatPixels(b segloss.Batch[float64], k []int) segloss.Batch[float64] {
	n, c := b.Shape[0], b.Shape[1]
	s := len(b.Input) / (n * c)
	tot := 0
	for _, v := range k[:s] {
		tot += v
	}
	out := segloss.Batch[float64]{Shape: []int{n, c, tot}}
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < s; j++ {
				for r := 0; r < k[i*s+j]; r++ {
					out.Input = append(out.Input, b.Input[(i*c+ch)*s+j])
					if b.Target != nil {
						out.Target = append(out.Target, b.Target[(i*c+ch)*s+j])
					}
				}
			}
		}
		for j := 0; j < s && b.Labels != nil; j++ {
			for r := 0; r < k[i*s+j]; r++ {
				out.Labels = append(out.Labels, b.Labels[i*s+j])
			}
		}
	}
	return out
}

// TestPixelWeightsRepeat checks the conventions' rule that an integer
// weight k counts a pixel k times in the region sums (dice) and the
// numerator of pixel means (the mean's denominator stays unweighted, so a
// pixel mean is compared through its sum).
func TestPixelWeightsRepeat(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, tc := range []struct {
		spec, target string
		c            int
	}{
		{"dice:from_logits=true", "soft", 1},
		{"dice:mode=multiclass,from_logits=true,squared=true,reduction=per_sample", "labels", 3},
		{"jaccard:mode=multilabel,tp_form=l1", "soft", 2},
		{"bce_logits:reduction=sum,pos_weight=2", "binary", 1},
		{"cross_entropy:reduction=sum,label_smoothing=0.1,class_weights=[1,2,0.5]", "labels", 3},
	} {
		l, err := segloss.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{2, tc.c, 5}
		b := randomBatch(rng, l, shape, tc.target, 0)
		k := make([]int, 2*5)
		b.Weights = make([]float64, len(k))
		for i := range k {
			k[i] = rng.Intn(3) // 0, 1 or 2, the same for both samples
			if i < 2 {
				k[i] = 1 + i
			}
			if i >= 5 {
				k[i] = k[i-5]
			}
			b.Weights[i] = float64(k[i])
		}
		v, err := segloss.Eval(l, nil, b)
		if err != nil {
			t.Fatal(err)
		}
		rb := repeatPixels(b, k)
		rb.Weights = nil
		want, err := segloss.Eval(l, nil, rb)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(v-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: weighted %v, repeated %v", tc.spec, v, want)
		}
		// float32 takes the general path and agrees.
		b32 := segloss.Batch[float32]{Shape: b.Shape, Labels: b.Labels}
		for _, x := range b.Input {
			b32.Input = append(b32.Input, float32(x))
		}
		for _, x := range b.Target {
			b32.Target = append(b32.Target, float32(x))
		}
		for _, x := range b.Weights {
			b32.Weights = append(b32.Weights, float32(x))
		}
		v32, err := segloss.Eval(l, make([]float32, len(b32.Input)), b32)
		if err != nil || math.Abs(v32-v) > 1e-4*math.Max(1, math.Abs(v)) {
			t.Errorf("%s: float32 %v (%v), float64 %v", tc.spec, v32, err, v)
		}
	}
}

func TestPixelWeightErrors(t *testing.T) {
	b := segloss.Batch[float64]{Shape: []int{1, 2, 3}, Input: make([]float64, 6), Target: make([]float64, 6)}
	for _, tc := range []struct {
		spec string
		w    []float64
		want string
	}{
		{"dice:mode=multilabel", []float64{1, 1}, "weights have 2 values, want N*S = 3"},
		{"dice:mode=multilabel", []float64{1, -1, 1}, "weights[1] = -1"},
		{"dice:mode=multilabel", []float64{1, math.NaN(), 1}, "finite"},
		{"boundary:mode=multilabel", []float64{1, 1, 1}, "does not take pixel weights"},
		{"cross_entropy", []float64{1, 1, 1, 1, 1, 1}, "want N*S = 3 (one per pixel)"},
	} {
		l, err := segloss.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		bb := b
		bb.Weights = tc.w
		if _, err := segloss.Eval(l, nil, bb); err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%s weights %v: error %v, want %q", tc.spec, tc.w, err, tc.want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestMapCache checks that cached target maps give the same values and
// gradients, and that repeated targets hit the cache.
func TestMapCache(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, spec := range []string{"boundary:mode=multilabel", "hausdorff_dt:mode=multilabel,from_logits=true", "dice:mode=multilabel+boundary:mode=multilabel"} {
		plain, _ := segloss.Parse(spec)
		cached, _ := segloss.Parse(spec)
		cache := segloss.NewMapCache(16)
		cached.SetMapCache(cache)
		w, parts := plain.Terms()
		_ = w
		ref := plain
		if parts != nil {
			ref = parts[0]
		}
		b := randomBatch(rng, ref, []int{2, 2, 6, 5}, "binary", 0)
		for rep := 0; rep < 3; rep++ {
			g1 := make([]float64, len(b.Input))
			g2 := make([]float64, len(b.Input))
			v1, err1 := segloss.Eval(plain, g1, b)
			v2, err2 := segloss.Eval(cached, g2, b)
			if err1 != nil || err2 != nil || v1 != v2 {
				t.Fatalf("%s: %v (%v) vs cached %v (%v)", spec, v1, err1, v2, err2)
			}
			for i := range g1 {
				if g1[i] != g2[i] {
					t.Fatalf("%s: grad[%d] %v vs cached %v", spec, i, g1[i], g2[i])
				}
			}
		}
		hits, misses := cache.Stats()
		if misses != 4 || hits != 8 {
			t.Errorf("%s: %d hits, %d misses; want 8 and 4 (2 samples x 2 channels, 3 calls)", spec, hits, misses)
		}
	}
	// A cache smaller than the working set forgets the oldest maps.
	small := segloss.NewMapCache(1)
	l, _ := segloss.Parse("boundary:mode=multilabel")
	l.SetMapCache(small)
	b := randomBatch(rng, l, []int{2, 2, 6, 5}, "binary", 0)
	for rep := 0; rep < 2; rep++ {
		if _, err := segloss.Eval(l, nil, b); err != nil {
			t.Fatal(err)
		}
	}
	// The four planes of a call are looked up in parallel, so the one map
	// a cache of 1 keeps may be the one the next call looks up first: at
	// most one hit per call after the first.
	if hits, misses := small.Stats(); hits+misses != 8 || hits > 1 {
		t.Errorf("cache of 1: %d hits, %d misses, want 8 look-ups with at most 1 hit", hits, misses)
	}
}

// TestBoundarySpacing checks the signed map's physical spacing on a line:
// a 1-D target 0 0 1 1 0 with spacing 2 has phi = 4 2 -0 -0 2... per the
// LIVIAETS form, -(d(x, BG) - 1) inside.
func TestBoundarySpacing(t *testing.T) {
	l, err := segloss.Parse("boundary:spacing=[2]")
	if err != nil {
		t.Fatal(err)
	}
	b := segloss.Batch[float64]{Shape: []int{1, 1, 6}, Input: []float64{1, 0, 0, 0, 0, 0}, Target: []float64{0, 0, 1, 1, 1, 0}}
	grad := make([]float64, 6)
	if _, err := segloss.Eval(l, grad, b); err != nil {
		t.Fatal(err)
	}
	// phi: outside d(x, FG) = 4, 2, ..., 2; inside -(d(x, BG) - 1) = -1, -3, -1.
	want := []float64{4, 2, -1, -3, -1, 2}
	for i, w := range want {
		if math.Abs(grad[i]*6-w) > 1e-12 {
			t.Errorf("phi[%d] = %v, want %v", i, grad[i]*6, w)
		}
	}
}

// TestDeepSupervision checks the wrapper against the levels evaluated by
// hand on targets down-sampled by nearest neighbour at pixel centres.
func TestDeepSupervision(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	l, _ := segloss.Parse("dice:mode=multiclass,from_logits=true+topk_ce:k=20")
	full := []int{2, 3, 8, 6}
	labels := make([]int32, 2*8*6)
	for i := range labels {
		labels[i] = int32(rng.Intn(3))
	}
	shapes := [][]int{{2, 3, 8, 6}, {2, 3, 4, 3}, {2, 3, 2, 2}}
	var outs []segloss.Batch[float64]
	var grads [][]float64
	for _, s := range shapes {
		x := make([]float64, s[0]*s[1]*s[2]*s[3])
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		outs = append(outs, segloss.Batch[float64]{Shape: s, Input: x})
		grads = append(grads, make([]float64, len(x)))
	}
	v, err := segloss.EvalDeepSupervision(l, grads, outs, segloss.Batch[float64]{Shape: full, Labels: labels}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := segloss.DeepSupervisionWeights(3)
	if math.Abs(w[0]-4.0/7) > 1e-15 || math.Abs(w[2]-1.0/7) > 1e-15 {
		t.Errorf("weights %v, want 4/7, 2/7, 1/7", w)
	}
	var want float64
	for i, s := range shapes {
		// Nearest at pixel centres: a factor f keeps source f*j + floor(f/2).
		fh, fw := 8/s[2], 6/s[3]
		lab := make([]int32, s[0]*s[2]*s[3])
		for n := 0; n < s[0]; n++ {
			for y := 0; y < s[2]; y++ {
				for x := 0; x < s[3]; x++ {
					lab[(n*s[2]+y)*s[3]+x] = labels[(n*8+y*fh+fh/2)*6+x*fw+fw/2]
				}
			}
		}
		g := make([]float64, len(outs[i].Input))
		lv, err := segloss.Eval(l, g, segloss.Batch[float64]{Shape: s, Input: outs[i].Input, Labels: lab})
		if err != nil {
			t.Fatal(err)
		}
		want += w[i] * lv
		for j := range g {
			if math.Abs(grads[i][j]-w[i]*g[j]) > 1e-15 {
				t.Fatalf("level %d grad[%d] = %v, want %v", i, j, grads[i][j], w[i]*g[j])
			}
		}
	}
	if math.Abs(v-want) > 1e-12 {
		t.Errorf("deep supervision %v, want %v", v, want)
	}
	if _, err := segloss.EvalDeepSupervision(l, nil, []segloss.Batch[float64]{{Shape: []int{2, 3, 9, 6}}}, segloss.Batch[float64]{Shape: full, Labels: labels}, nil); err == nil {
		t.Error("an output larger than the target: no error")
	}
}
