package segloss_test

import (
	"math"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

func eval64(t *testing.T, spec string, b segloss.Batch[float64]) (float64, []float64) {
	t.Helper()
	l, err := segloss.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, len(b.Input))
	v, err := segloss.Eval(l, grad, b)
	if err != nil {
		t.Fatal(err)
	}
	return v, grad
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestSpecialCases checks the values that the loss docs promise.
func TestSpecialCases(t *testing.T) {
	empty := segloss.Batch[float64]{Shape: []int{1, 1, 4}, Input: []float64{0, 0, 0, 0}, Target: []float64{0, 0, 0, 0}}
	perfect := segloss.Batch[float64]{Shape: []int{1, 1, 4}, Input: []float64{1, 0, 1, 0}, Target: []float64{1, 0, 1, 0}}
	ignored := segloss.Batch[float64]{Shape: []int{1, 1, 3}, Input: []float64{0.3, -2, 5}, Target: []float64{-1, -1, -1}}
	for _, tc := range []struct {
		spec string
		b    segloss.Batch[float64]
		want float64
	}{
		{"dice", empty, 0},
		{"jaccard", empty, 0},
		{"tversky", empty, 0},
		{"dice", perfect, 0},
		{"jaccard", perfect, 0},
		{"focal_tversky", perfect, 0},
		{"mcc", empty, 1 - 4/(2*(4+2e-5))}, // TN/(2(TN+2eps)) with TN = 4
		{"bce", perfect, -math.Log(1 - 1e-7)},
		{"bce_logits:ignore_index=-1", ignored, 0},
		{"focal_sigmoid:ignore_index=-1", ignored, 0},
		{"lovasz_hinge:ignore_index=-1", ignored, 0},
		{"dice:empty_zero=true", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{0.9, 0.2}, Target: []float64{0, 0}}, 0},
		// 1 - (2*0 + 1e-6)/(1.1 + 1e-6): an empty target against a non-empty prediction
		{"dice", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{0.9, 0.2}, Target: []float64{0, 0}}, 1 - 1e-6/(1.1+1e-6)},
	} {
		got, grad := eval64(t, tc.spec, tc.b)
		if !near(got, tc.want, 1e-12) {
			t.Errorf("%s on %v/%v = %.15g, want %.15g", tc.spec, tc.b.Input, tc.b.Target, got, tc.want)
		}
		for i, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				t.Errorf("%s: grad[%d] = %v", tc.spec, i, g)
			}
		}
	}
	// every pixel ignored: cross-entropy is 0 with a zero gradient
	ce := segloss.Batch[float64]{Shape: []int{1, 3, 2}, Input: []float64{1, 2, 3, 4, 5, 6}, Labels: []int32{-100, -100}}
	if v, g := eval64(t, "cross_entropy", ce); v != 0 || g[0] != 0 {
		t.Errorf("cross_entropy, all ignored = %v, grad %v", v, g)
	}
}

// TestFocalSoftmaxReference checks focal_softmax against a hand-computed
// pixel and against cross_entropy at gamma = 0.
func TestFocalSoftmaxReference(t *testing.T) {
	// logits (0, ln 3): p = (1/4, 3/4); label 1, gamma 2: -(1/4)² log(3/4)
	b := segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{0, math.Log(3)}, Labels: []int32{1}}
	got, _ := eval64(t, "focal_softmax", b)
	if want := -0.0625 * math.Log(0.75); !near(got, want, 1e-14) {
		t.Errorf("focal_softmax = %.16g, want %.16g", got, want)
	}
	rng := rand.New(rand.NewSource(3))
	l, _ := segloss.Parse("focal_softmax:gamma=0,class_weights=[1,2,3],ignore_index=-1")
	b = randomBatch(rng, l, []int{2, 3, 4, 4}, "labels", -1)
	f, fg := eval64(t, l.String(), b)
	c, cg := eval64(t, "cross_entropy:class_weights=[1,2,3],ignore_index=-1", b)
	if !near(f, c, 1e-13) {
		t.Errorf("focal_softmax gamma 0 = %v, cross_entropy %v", f, c)
	}
	for i := range fg {
		if !near(fg[i], cg[i], 1e-12) {
			t.Fatalf("grad[%d]: focal_softmax %v, cross_entropy %v", i, fg[i], cg[i])
		}
	}
}

// TestShardedStatsMatchWholeBatch splits a batch in two along N and checks
// that merged stats give the whole batch's loss and gradient.
func TestShardedStatsMatchWholeBatch(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, spec := range []string{"dice:from_logits=true", "jaccard:mode=multiclass,from_logits=true", "tversky:alpha=0.3,beta=0.7",
		"focal_tversky:mode=multilabel", "generalized_dice", "log_cosh_dice", "mcc", "dice:tp_form=l1,squared=true"} {
		l, err := segloss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{4, 3, 5, 3}
		target := "soft"
		switch {
		case l.Options().Mode == segloss.Multiclass:
			target = "labels"
		case l.Options().Mode == segloss.Binary:
			shape[1] = 1
		}
		b := randomBatch(rng, l, shape, target, 0)
		whole := make([]float64, len(b.Input))
		want, err := segloss.Eval(l, whole, b)
		if err != nil {
			t.Fatal(err)
		}
		half := func(i int) segloss.Batch[float64] {
			per := len(b.Input) / 2
			s := segloss.Batch[float64]{Shape: append([]int{2}, shape[1:]...), Input: b.Input[i*per : (i+1)*per]}
			if b.Target != nil {
				s.Target = b.Target[i*per : (i+1)*per]
			} else {
				s.Labels = b.Labels[i*len(b.Labels)/2 : (i+1)*len(b.Labels)/2]
			}
			return s
		}
		merged, err := segloss.Stats(l, half(0))
		if err != nil {
			t.Fatal(err)
		}
		second, _ := segloss.Stats(l, half(1))
		if err := merged.Add(second); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			grad := make([]float64, len(b.Input)/2)
			got, err := segloss.EvalFromStats(l, grad, half(i), merged)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, want, 1e-12) {
				t.Errorf("%s: shard %d loss %v, whole batch %v", spec, i, got, want)
			}
			for j, g := range grad {
				if w := whole[i*len(grad)+j]; !near(g, w, 1e-10) {
					t.Fatalf("%s: shard %d grad[%d] = %v, whole batch %v", spec, i, j, g, w)
				}
			}
		}
	}
}

// TestPerSampleLoss checks reduction none against the loss of each sample alone.
func TestPerSampleLoss(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, spec := range []string{"dice", "bce_logits", "lovasz_hinge", "cross_entropy"} {
		l, _ := segloss.Parse(spec)
		target := "binary"
		shape := []int{3, 1, 6}
		if l.Options().Mode == segloss.Multiclass {
			target, shape = "labels", []int{3, 3, 6}
		}
		b := randomBatch(rng, l, shape, target, 0)
		per := make([]float64, 3)
		if err := segloss.PerSampleLoss(per, l, b); err != nil {
			t.Fatal(err)
		}
		for i := range per {
			one := segloss.Batch[float64]{Shape: append([]int{1}, shape[1:]...)}
			k := len(b.Input) / 3
			one.Input = b.Input[i*k : (i+1)*k]
			if b.Target != nil {
				one.Target = b.Target[i*k : (i+1)*k]
			} else {
				one.Labels = b.Labels[i*shape[2] : (i+1)*shape[2]]
			}
			v, err := segloss.Eval(l, nil, one)
			if err != nil || v != per[i] {
				t.Errorf("%s: sample %d: PerSampleLoss %v, alone %v (%v)", spec, i, per[i], v, err)
			}
		}
	}
}

// TestFloat32MatchesFloat64 checks float32 inputs against float64 on random data.
func TestFloat32MatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, tc := range fdCases {
		l, _ := segloss.Parse(tc.spec)
		b := randomBatch(rng, l, tc.shape, tc.target, tc.ignore)
		b32 := segloss.Batch[float32]{Shape: b.Shape, Labels: b.Labels}
		b32.Input = make([]float32, len(b.Input))
		for i, v := range b.Input {
			b32.Input[i] = float32(v)
			b.Input[i] = float64(b32.Input[i])
		}
		if b.Target != nil {
			b32.Target = make([]float32, len(b.Target))
			for i, v := range b.Target {
				b32.Target[i] = float32(v)
				b.Target[i] = float64(b32.Target[i])
			}
		}
		g64 := make([]float64, len(b.Input))
		g32 := make([]float32, len(b.Input))
		v64, err1 := segloss.Eval(l, g64, b)
		v32, err2 := segloss.Eval(l, g32, b32)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", tc.spec, err1, err2)
		}
		if !near(v32, v64, 1e-5) {
			t.Errorf("%s: float32 %v, float64 %v", tc.spec, v32, v64)
		}
		for i := range g64 {
			if math.Abs(float64(g32[i])-g64[i]) > 1e-5*math.Max(1, math.Abs(g64[i])) {
				t.Errorf("%s: grad[%d] float32 %v, float64 %v", tc.spec, i, g32[i], g64[i])
				break
			}
		}
	}
}

// TestCoreImportsOnlyStandardLibrary enforces the dependency rule of the core module.
func TestCoreImportsOnlyStandardLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "github.com/segloss/segloss") || strings.HasPrefix(p, "github.com/segloss/segloss/app") {
			t.Errorf("the core module depends on %s: only the standard library is allowed", p)
		}
	}
}
