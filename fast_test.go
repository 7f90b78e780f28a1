package segloss

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/segloss/segloss/internal/kernel"
)

// protoBatch draws a float32 batch: logits N(0, 2²) or their sigmoid,
// a 0/1 target or class indices, ~10% ignore values when ignore != 0.
func protoBatch(r *rand.Rand, shape []int, labels bool, probs bool, ignore int) Batch[float32] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := Batch[float32]{Shape: shape, Input: make([]float32, n)}
	for i := range b.Input {
		b.Input[i] = float32(r.NormFloat64() * 2)
		if probs {
			b.Input[i] = float32(1 / (1 + math.Exp(-float64(b.Input[i]))))
		}
	}
	if labels {
		b.Labels = make([]int32, n/shape[1])
		for i := range b.Labels {
			b.Labels[i] = int32(r.IntN(shape[1]))
			if ignore != 0 && r.Float64() < 0.1 {
				b.Labels[i] = int32(ignore)
			}
		}
	} else {
		b.Target = make([]float32, n)
		for i := range b.Target {
			if r.Float64() < 0.3 {
				b.Target[i] = 1
			}
			if ignore != 0 && r.Float64() < 0.1 {
				b.Target[i] = float32(ignore)
			}
		}
	}
	return b
}

// TestFastMatchesGeneral runs every fused float32 path, plain Go and
// vectorized, on random batches of several shapes (several chunks, odd
// tails) and compares it with the general path within the golden float32
// tolerance; each result must be bit-identical with 1 and 2 threads.
func TestFastMatchesGeneral(t *testing.T) {
	if testing.Short() {
		t.Skip("slow general path on large batches")
	}
	cases := []struct {
		spec   string
		labels bool
		probs  bool
		ignore int
	}{
		{"bce_logits", false, false, 0},
		{"bce_logits:pos_weight=2,label_smoothing=0.1,ignore_index=-1", false, false, -1},
		{"bce", false, true, 0},
		{"bce:eps=0,reduction=sum", false, true, 0},
		{"focal_sigmoid", false, false, 0},
		{"focal_sigmoid:pt_form=exp,alpha=null,gamma=1.5", false, false, 0},
		{"focal_sigmoid:ignore_index=-1", false, false, -1},
		{"cross_entropy", true, false, 0},
		{"cross_entropy:ignore_index=255,reduction=sum", true, false, 255},
		{"cross_entropy:ignore_index=255", true, false, 255},
		{"cross_entropy:label_smoothing=0.1,class_weights=[1,2,0.5,1],ignore_index=255", true, false, 255},
		{"dice:from_logits=true", false, false, 0},
		{"dice", false, true, 0},
		{"dice:from_logits=true,reduction=per_sample,squared=true", false, false, 0},
		{"dice:from_logits=true,tp_form=l1,ignore_index=-1", false, false, -1},
		{"dice:mode=multiclass,from_logits=true", true, false, 0},
		{"dice:mode=multiclass,from_logits=true,ignore_index=255,classes=[1,2],log_loss=true,reduction=per_sample", true, false, 255},
		{"dice:mode=multiclass,from_logits=true,tp_form=l1,squared=true", true, false, 0},
		{"jaccard:from_logits=true", false, false, 0},
		{"jaccard:mode=multiclass,from_logits=true,class_weights=[1,0.5,2,1]", true, false, 0},
		{"tversky:from_logits=true,alpha=0.3,beta=0.7", false, false, 0},
		{"focal_tversky:from_logits=true", false, false, 0},
		{"log_cosh_dice:from_logits=true", false, false, 0},
		{"mcc:from_logits=true", false, false, 0},
		{"generalized_dice", true, false, 0},
		{"generalized_dice:w_type=simple,reduction=per_sample,ignore_index=255", true, false, 255},
		{"dice_bce", false, false, 0},
		{"dice_bce:from_logits=false", false, true, 0},
		{"dice_bce:mode=multiclass", true, false, 0},
		{"dice_bce:mode=multiclass,class_weights=[1,2,3,4],ignore_index=255", true, false, 255},
		{"lovasz_hinge", false, false, 0},
		{"lovasz_hinge:per_image=true,ignore_index=-1", false, false, -1},
		{"lovasz_softmax", true, false, 0},
		{"lovasz_softmax:per_image=true,ignore_index=255", true, false, 255},
		{"lovasz_softmax:classes=all", true, false, 0},
		{"lovasz_softmax:classes=[0,3]", true, false, 0},
		{"dice_focal", false, false, 0},
		{"dice_focal:gamma=1.5,alpha=0.25,reduction=global,ignore_index=-1", false, false, -1},
		{"dice_focal:mode=multilabel,classes=[0]", false, false, 0},
		{"dice_focal:mode=multiclass", true, false, 0},
		{"dice_focal:mode=multiclass,classes=[1,1,3],class_weights=[1,2,0.5,1],ignore_index=255", true, false, 255},
		{"dice_focal:mode=multiclass,focal_form=softmax,alpha=0.25,dice_weight=0.5,focal_weight=2", true, false, 0},
		{"dice_focal:mode=multiclass,focal_form=softmax,gamma=0,classes=[0,2,2],ignore_index=255", true, false, 255},
		{"generalized_dice_focal", true, false, 0},
		{"dice_focal:reduction=none", false, false, 0},
		{"combo:from_logits=true", false, false, 0},
		{"combo", false, true, 0},
		{"combo:from_logits=true,alpha=0.3,ce_ratio=0.7,reduction=global,ignore_index=-1", false, false, -1},
		{"combo:from_logits=true,alpha=null,reduction=none,eps=0.01", false, false, 0},
		{"combo:from_logits=true,mode=multilabel", false, false, 0},
		{"combo:from_logits=true,mode=multiclass", true, false, 0},
		{"combo:from_logits=true,mode=multiclass,alpha=0.3,reduction=global,ignore_index=255", true, false, 255},
		{"combo:from_logits=true,mode=multiclass,alpha=null,reduction=none", true, false, 0},
		{"asymmetric_focal:from_logits=true", false, false, 0},
		{"asymmetric_focal", false, true, 0},
		{"asymmetric_focal:from_logits=true,mode=multiclass,ignore_index=255", true, false, 255},
		{"asymmetric_focal:from_logits=true,gamma=0.5,delta=0.6,ignore_index=-1", false, false, -1},
		{"asymmetric_focal_tversky:from_logits=true", false, false, 0},
		{"asymmetric_focal_tversky:from_logits=true,mode=multiclass,reduction=global", true, false, 0},
		{"asymmetric_focal_tversky:from_logits=true,ignore_index=-1,gamma=0", false, false, -1},
		{"unified_focal:from_logits=true", false, false, 0},
		{"unified_focal:from_logits=true,mode=multiclass,weight=0.3,ignore_index=255", true, false, 255},
		{"unified_focal:from_logits=true,reduction=none,gamma=2", false, false, 0},
		{"generalized_wasserstein_dice", true, false, 0},
		{"generalized_wasserstein_dice:weighting_mode=GDL,reduction=global,ignore_index=255", true, false, 255},
		{"generalized_wasserstein_dice:dist_matrix=[[0,1,2,3],[1,0,1,2],[2,1,0,1],[3,2,1,0]],reduction=none", true, false, 0},
		{"sensitivity_specificity:from_logits=true", false, false, 0},
		{"sensitivity_specificity", false, true, 0},
		{"sensitivity_specificity:from_logits=true,r=0.3,reduction=global,ignore_index=-1", false, false, -1},
		{"sensitivity_specificity:from_logits=true,reduction=none", false, false, 0},
		{"sensitivity_specificity:from_logits=true,mode=multiclass", true, false, 0},
		{"sensitivity_specificity:from_logits=true,mode=multiclass,classes=[1,1,3],ignore_index=255,reduction=global", true, false, 255},
		{"generalized_dice_focal:reduction=none,focal_form=softmax", true, false, 0},
		{"generalized_dice_focal:focal_form=softmax,w_type=simple,ignore_index=255", true, false, 255},
		{"topk_ce", true, false, 0},
		{"topk_ce:k=100", true, false, 0},
		{"topk_ce:k=0.001", true, false, 0},
		{"topk_ce:k=37,label_smoothing=0.1,class_weights=[1,2,0.5,1],ignore_index=255", true, false, 255},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, simd := range []bool{false, true} {
		prev := kernel.SetSIMD(simd)
		for _, tc := range cases {
			l, err := Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, shape := range [][]int{{2, 1, 37, 41}, {3, 1, 1000}, {2, 1, 100, 333}} {
				if tc.labels {
					shape = append([]int{shape[0], 4}, shape[2:]...)
				}
				if l.opts.Reduction == None {
					// Reduction none of N > 1 runs this path once per sample
					// (evalMeanOfSamples); for N = 1, eval below is the general path.
					shape = append([]int{1}, shape[1:]...)
				}
				b := protoBatch(r, shape, tc.labels, tc.probs, tc.ignore)
				g, err := checkBatch(l, b, nil)
				if err != nil {
					t.Fatalf("%s: %v", tc.spec, err)
				}
				grad := make([]float32, len(b.Input))
				var v1 float64
				var handled, bad bool
				for _, procs := range []int{1, 2} {
					old := runtime.GOMAXPROCS(procs)
					gp := make([]float32, len(b.Input))
					v, h, bd := fastEval32(l, g, gp, b)
					runtime.GOMAXPROCS(old)
					if procs == 1 {
						v1, handled, bad = v, h, bd
						copy(grad, gp)
					} else if v != v1 || !equal32(gp, grad) {
						t.Errorf("%s %v: GOMAXPROCS 1 vs 2 differ: %v vs %v", tc.spec, shape, v1, v)
					}
				}
				if !handled {
					t.Errorf("%s: not handled", tc.spec)
					continue
				}
				if bad {
					t.Errorf("%s: flagged bad", tc.spec)
					continue
				}
				ws := new(workspace)
				want := make([]float32, len(b.Input))
				w := eval(l, ws, g, want, b)
				if math.Abs(v1-w) > 1e-4*math.Abs(w)+1e-5 {
					t.Errorf("simd=%v %s %v: loss %v, general %v", simd, tc.spec, shape, v1, w)
				}
				scale := 0.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				absTol := 1e-5
				if l.name == "lovasz_softmax" {
					// float32 errors 1-p near p = 1 are quantized: near-ties reorder
					absTol = 1e-3
				}
				for i := range want {
					if math.Abs(float64(grad[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+absTol*scale {
						t.Errorf("simd=%v %s %v: grad[%d] = %v, general %v", simd, tc.spec, shape, i, grad[i], want[i])
						break
					}
				}
				// value without gradient
				v0, _, _ := fastEval32(l, g, nil, b)
				if v0 != v1 {
					t.Errorf("%s: value without grad %v != %v", tc.spec, v0, v1)
				}
			}
		}
		kernel.SetSIMD(prev)
	}
}

func equal32(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
