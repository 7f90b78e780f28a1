package segloss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// clBatch draws a float32 batch for the clDice tests: logits N(0, 2²)
// (or their sigmoid) and, by kind, a 0/1 target ("hard"), a soft one, an
// empty or a full one, plane 0 empty and plane 1 full ("mixed"), values
// on a coarse grid (many ties in the morphology: "ties"), or class
// indices ("labels").
func clBatch(r *rand.Rand, shape []int, kind string, probs bool) Batch[float32] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := Batch[float32]{Shape: shape, Input: make([]float32, n)}
	for i := range b.Input {
		x := r.NormFloat64() * 2
		if kind == "ties" {
			x = float64(r.IntN(3) - 1)
		}
		b.Input[i] = float32(x)
		if probs {
			b.Input[i] = float32(1 / (1 + math.Exp(-x)))
		}
	}
	if kind == "labels" {
		b.Labels = make([]int32, n/shape[1])
		for i := range b.Labels {
			b.Labels[i] = int32(r.IntN(shape[1]))
		}
		return b
	}
	b.Target = make([]float32, n)
	per := n / shape[0]
	for i := range b.Target {
		switch {
		case kind == "soft":
			b.Target[i] = float32(r.Float64())
		case kind == "full", kind == "mixed" && i >= per:
			b.Target[i] = 1
		case kind == "hard", kind == "ties":
			if r.Float64() < 0.4 {
				b.Target[i] = 1
			}
		}
	}
	return b
}

// TestClDiceFusedMatchesGeneral runs the fused float32 path of cldice and
// dice_cldice against the general path (dense float64 batch) on batches
// of 1, 2 and 3 spatial dimensions. The fused path activates each plane
// as the general path does and runs the same skeleton code, so the value
// must be bit-identical and, for cldice, so must the gradient; dice_cldice
// adds its Dice gradient in float32 (axpy) where the general path adds it
// in float64 before rounding, so its gradient may differ by an ulp:
// tolerance 2^-22 relative + 1e-7 of the largest entry. Each result must
// be bit-identical with 1 and 2 threads, and the value without a gradient
// the same.
func TestClDiceFusedMatchesGeneral(t *testing.T) {
	cases := []struct {
		spec string
		c    int
		kind []string
	}{
		{"cldice", 1, []string{"hard", "soft", "empty", "full", "mixed", "ties"}},
		{"cldice:from_logits=true", 1, []string{"hard", "soft", "empty", "full", "mixed", "ties"}},
		{"cldice:from_logits=true,iter_=0", 1, []string{"hard"}},
		{"cldice:from_logits=true,iter_=1,smooth=0", 1, []string{"hard", "mixed"}},
		{"cldice:iter_=5,smooth=1e-3,reduction=per_sample", 1, []string{"hard", "soft"}},
		{"cldice:from_logits=true,reduction=global", 1, []string{"hard"}},
		{"cldice:from_logits=true,reduction=none", 1, []string{"hard"}},
		{"cldice:mode=multilabel,from_logits=true", 3, []string{"hard", "soft", "ties"}},
		{"cldice:mode=multilabel,from_logits=true,classes=[2,0],reduction=per_sample", 3, []string{"hard"}},
		{"cldice:mode=multiclass", 3, []string{"soft"}},
		{"cldice:mode=multiclass,from_logits=true", 3, []string{"labels"}},
		{"cldice:mode=multiclass,from_logits=true,classes=[1,2],iter_=2,reduction=per_sample", 4, []string{"labels"}},
		{"dice_cldice", 1, []string{"hard", "empty", "full"}},
		{"dice_cldice:from_logits=true", 1, []string{"hard", "soft", "mixed"}},
		{"dice_cldice:from_logits=true,alpha=0.3,iter_=2,reduction=global", 1, []string{"hard"}},
		{"dice_cldice:from_logits=true,alpha=0,smooth=0", 1, []string{"hard"}},
		{"dice_cldice:mode=multilabel,from_logits=true,classes=[1],alpha=1", 2, []string{"hard"}},
		{"dice_cldice:from_logits=true,reduction=none", 1, []string{"hard"}},
		{"dice_cldice:mode=multiclass,from_logits=true,alpha=0.7", 3, []string{"labels"}},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range cases {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range [][]int{{37, 41}, {300}, {6, 7, 5}, {1, 9}, {1}, {}} {
			n := 2
			if l.opts.Reduction == None {
				n = 1 // N > 1 runs this path once per sample (evalMeanOfSamples)
			}
			shape := append([]int{n, tc.c}, sp...)
			for _, kind := range tc.kind {
				b := clBatch(r, shape, kind, !l.opts.FromLogits)
				name := tc.spec + " " + kind
				g, err := checkBatch(l, b, nil)
				if err != nil {
					t.Fatalf("%s %v: %v", name, shape, err)
				}
				// A fresh Loss's first call without a gradient sizes its own scratch.
				fresh, _ := Parse(tc.spec)
				v0, _, _ := fastEval32(fresh, g, nil, b)
				v1, g1 := fusedBitIdentical(t, l, g, b, name)
				want := make([]float32, len(b.Input))
				w := eval(l, new(workspace), g, want, b)
				if math.Float64bits(v1) != math.Float64bits(w) {
					t.Errorf("%s %v: loss %v, general %v", name, shape, v1, w)
				}
				scale := 0.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				for i := range want {
					d := math.Abs(float64(g1[i] - want[i]))
					if l.name == ClDice && math.Float32bits(g1[i]) != math.Float32bits(want[i]) ||
						d > 0x1p-22*math.Abs(float64(want[i]))+1e-7*scale {
						t.Errorf("%s %v: grad[%d] = %v, general %v", name, shape, i, g1[i], want[i])
						break
					}
				}
				if math.Float64bits(v0) != math.Float64bits(v1) {
					t.Errorf("%s %v: value without grad (fresh Loss) %v != %v", name, shape, v0, v1)
				}
				if v0, _, _ := fastEval32(l, g, nil, b); math.Float64bits(v0) != math.Float64bits(v1) {
					t.Errorf("%s %v: value without grad %v != %v", name, shape, v0, v1)
				}
			}
		}
	}
}

// TestClDiceFusedDeclines checks the options the fused path leaves to the
// general path: repeated classes and the softmax of a float target.
func TestClDiceFusedDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		spec string
		kind string
	}{
		{"cldice:mode=multilabel,classes=[1,1]", "hard"},
		{"cldice:mode=multiclass,from_logits=true", "soft"},
		{"dice_cldice:mode=multiclass,from_logits=true", "soft"},
	} {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		b := clBatch(r, []int{2, 3, 8, 8}, tc.kind, !l.opts.FromLogits)
		g, err := checkBatch(l, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, handled, _ := fastEval32(l, g, make([]float32, len(b.Input)), b); handled {
			t.Errorf("%s: handled by the fused path", tc.spec)
		}
		if _, err := Eval(l, make([]float32, len(b.Input)), b); err != nil {
			t.Errorf("%s: %v", tc.spec, err)
		}
	}
}

// TestClDiceFusedBadValues plants one bad value at a time: the fused path
// must flag it and Eval must return the general path's error (that of
// checkValues), never a value.
func TestClDiceFusedBadValues(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		spec  string
		kind  string
		input map[int]float32
		tgt   map[int]float32
		label map[int]int32
	}{
		{"cldice:from_logits=true", "hard", map[int]float32{5: nan}, nil, nil},
		{"cldice:from_logits=true", "hard", map[int]float32{100: -inf}, nil, nil},
		{"cldice", "hard", map[int]float32{9: 1.5}, nil, nil},
		{"cldice", "hard", map[int]float32{9: -0.25}, nil, nil},
		{"cldice", "hard", nil, map[int]float32{3: 2}, nil},
		{"cldice:mode=multilabel,classes=[0]", "hard", nil, map[int]float32{100: nan}, nil}, // a channel outside classes
		{"dice_cldice:from_logits=true", "hard", nil, map[int]float32{11: -0.5}, nil},
		{"dice_cldice:from_logits=true", "hard", map[int]float32{70: inf}, nil, nil},
		{"cldice:mode=multiclass,from_logits=true", "labels", map[int]float32{90: nan}, nil, nil},
		{"cldice:mode=multiclass,from_logits=true,classes=[0]", "labels", nil, nil, map[int]int32{7: 2}},
		{"dice_cldice:mode=multiclass,from_logits=true", "labels", nil, nil, map[int]int32{40: -1}},
	} {
		l, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		c := 1
		if l.opts.Mode != Binary {
			c = 2
		}
		b := clBatch(r, []int{2, c, 8, 8}, tc.kind, !l.opts.FromLogits)
		for i, v := range tc.input {
			b.Input[i] = v
		}
		for i, v := range tc.tgt {
			b.Target[i] = v
		}
		for i, v := range tc.label {
			b.Labels[i] = v
		}
		g, err := checkShape(l, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := checkValues(l, g, b)
		if want == nil {
			t.Fatalf("%s: checkValues accepts the batch", tc.spec)
		}
		if _, handled, bad := fastEval32(l, g, make([]float32, len(b.Input)), b); !handled || !bad {
			t.Errorf("%s: handled %v, bad %v", tc.spec, handled, bad)
		}
		for _, grad := range [][]float32{nil, make([]float32, len(b.Input))} {
			if _, err := Eval(l, grad, b); err == nil || err.Error() != want.Error() {
				t.Errorf("%s: error %v, want %v", tc.spec, err, want)
			}
		}
	}
}
