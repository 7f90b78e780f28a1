package segloss_test

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/segloss/segloss"
)

// mccRef returns the mcc loss of probabilities p against targets g (eps e)
// and d loss / d p, in 256-bit arithmetic: the sums are exact and the
// formula has no cancellation left at that precision.
func mccRef(p, g []float64, e float64) (float64, []float64) {
	const prec = 256
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }
	z := func() *big.Float { return new(big.Float).SetPrec(prec) }
	tp, sp, sg := z(), z(), z()
	for i := range p {
		tp.Add(tp, z().Mul(f(p[i]), f(g[i])))
		sp.Add(sp, f(p[i]))
		sg.Add(sg, f(g[i]))
	}
	cnt, eps := f(float64(len(p))), f(e)
	TP := z().Add(tp, eps)
	FP := z().Add(z().Sub(sp, tp), eps)
	FN := z().Add(z().Sub(sg, tp), eps)
	TN := z().Add(z().Sub(z().Sub(cnt, sg), z().Sub(sp, tp)), eps)
	A, B, C, D := z().Add(TP, FP), z().Add(TP, FN), z().Add(TN, FP), z().Add(TN, FN)
	den := z().Sqrt(z().Mul(z().Mul(A, B), z().Mul(C, D)))
	num := z().Sub(z().Mul(TP, TN), z().Mul(FP, FN))
	m := z().Quo(num, den)
	// dm/dtp = (A + D)/den; dm/dsp = -B/den - m/2 (1/A - 1/D)
	half := z().Quo(m, f(2))
	corr := z().Mul(half, z().Sub(z().Quo(f(1), A), z().Quo(f(1), D)))
	dtp := z().Quo(z().Add(A, D), den)
	dsp := z().Sub(z().Neg(z().Quo(B, den)), corr)
	grad := make([]float64, len(p))
	for i := range p {
		d := z().Add(z().Mul(dtp, f(g[i])), dsp)
		grad[i], _ = z().Neg(d).Float64()
	}
	lm, _ := z().Sub(f(1), m).Float64()
	return lm, grad
}

// TestMCCGradientNearOne: a 3-D volume with a full target (every voxel
// foreground) puts MCC near 0 and the loss near 1, where d/dTP and d/dSP
// nearly cancel; the gradient must keep its digits (it was 1.3e-9 off).
func TestMCCGradientNearOne(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, tc := range []struct {
		shape  []int
		full   bool
		logits bool
	}{{[]int{2, 1, 4, 6, 6}, true, true}, {[]int{3, 1, 8, 6}, true, true}, {[]int{2, 1, 3, 5, 4}, false, false}, {[]int{1, 1, 7, 7, 3}, true, false}} {
		spec := "mcc"
		if tc.logits {
			spec = "mcc:from_logits=true"
		}
		l := must(segloss.Parse(spec))
		n := 1
		for _, d := range tc.shape {
			n *= d
		}
		b := segloss.Batch[float64]{Shape: tc.shape, Input: make([]float64, n), Target: make([]float64, n)}
		p := make([]float64, n)
		for i := range b.Input {
			if tc.logits {
				b.Input[i] = rng.Float64()*6 - 3
				p[i] = 1 / (1 + math.Exp(-b.Input[i]))
			} else {
				b.Input[i] = rng.Float64()
				p[i] = b.Input[i]
			}
			b.Target[i] = 1
			if !tc.full {
				b.Target[i] = float64(rng.Intn(2))
			}
		}
		grad := make([]float64, n)
		v, err := segloss.Eval(l, grad, b)
		if err != nil {
			t.Fatal(err)
		}
		wantV, wantDP := mccRef(p, b.Target, l.Options().Eps)
		if math.Abs(v-wantV) > 1e-13*math.Abs(wantV) {
			t.Errorf("%s %v: loss %.17g, want %.17g", spec, tc.shape, v, wantV)
		}
		worst := 0.0
		for i := range grad {
			want := wantDP[i]
			if tc.logits {
				want *= p[i] * (1 - p[i])
			}
			worst = math.Max(worst, math.Abs(grad[i]-want)/math.Abs(want))
		}
		if worst > 1e-11 {
			t.Errorf("%s %v full=%v: gradient max relative error %.3g, want <= 1e-11", spec, tc.shape, tc.full, worst)
		}
	}
}

func must(l *segloss.Loss, err error) *segloss.Loss {
	if err != nil {
		panic(err)
	}
	return l
}

// TestAllIgnoredIsZero: ignore_index on every pixel gives loss 0 and
// gradient 0 for every loss that has ignore_index, mcc included (it gave 1).
// The one exception is combo, whose specification (golden2 case tagged
// all_ignored) gives its perfect-prediction value -(1-ce_ratio): CE 0 and
// every Dice coefficient smooth/smooth = 1.
func TestAllIgnoredIsZero(t *testing.T) {
	for _, name := range segloss.Names() {
		if !slicesContains(segloss.OptionNames(name), "ignore_index") {
			continue
		}
		for _, red := range []string{"", "reduction=per_sample", "per_image=true"} {
			spec := string(name) + ":ignore_index=7"
			if red != "" {
				spec += "," + red
			}
			l, err := segloss.Parse(spec)
			if err != nil {
				continue // the loss has no such reduction
			}
			o := l.Options()
			b := segloss.Batch[float64]{Shape: []int{2, 1, 3}, Input: []float64{0.2, 0.5, 0.9, 0.1, 0.3, 0.7}}
			if o.Mode == segloss.Multiclass {
				b = segloss.Batch[float64]{Shape: []int{2, 2, 3}, Input: []float64{0.2, 0.5, 0.9, 0.8, 0.5, 0.1, 0.4, 0.3, 0.7, 0.6, 0.7, 0.3},
					Labels: []int32{7, 7, 7, 7, 7, 7}}
			} else {
				b.Target = []float64{7, 7, 7, 7, 7, 7}
			}
			for _, dt := range []string{"float64", "float32"} {
				var v float64
				var g []float64
				if dt == "float64" {
					g = make([]float64, len(b.Input))
					v, err = segloss.Eval(l, g, b)
				} else {
					b32 := segloss.Batch[float32]{Shape: b.Shape, Input: to32(b.Input), Labels: b.Labels}
					if b.Target != nil {
						b32.Target = to32(b.Target)
					}
					g32 := make([]float32, len(b.Input))
					v, err = segloss.Eval(l, g32, b32)
					for _, x := range g32 {
						g = append(g, float64(x))
					}
				}
				if err != nil {
					t.Errorf("%s %s: %v", spec, dt, err)
					continue
				}
				want := 0.0
				if name == segloss.Combo {
					want = -(1 - o.CERatio)
				}
				if math.Abs(v-want) > 1e-6 {
					t.Errorf("%s %s: every pixel ignored: loss %v, want %v", spec, dt, v, want)
				}
				for i, x := range g {
					if x != 0 {
						t.Errorf("%s %s: grad[%d] = %v, want 0", spec, dt, i, x)
						break
					}
				}
			}
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
