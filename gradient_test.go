package segloss_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/segloss/segloss"
)

// fdCase is one finite-difference check: a loss spec, a shape and the kind
// of target to draw.
type fdCase struct {
	spec   string
	shape  []int
	target string // "binary", "soft", "labels", "onehot"
	ignore int    // ignore value planted in ~15% of the targets, or 0 for none
}

var fdCases = []fdCase{
	{"bce", []int{2, 1, 4, 3}, "binary", 0},
	{"bce:eps=0", []int{2, 1, 5}, "soft", 0},
	{"bce:log_eps=1e-3,reduction=sum", []int{1, 3, 2, 2}, "soft", 0},
	{"bce_logits", []int{2, 1, 3, 3, 2}, "binary", 0},
	{"bce_logits:pos_weight=2,label_smoothing=0.1,ignore_index=-1", []int{2, 2, 7}, "binary", -1},
	{"focal_keras", []int{2, 1, 6}, "binary", 0},
	{"focal_keras:from_logits=true,gamma=1.5,ignore_index=-1", []int{2, 1, 6}, "soft", -1},
	{"focal_keras:form=mean_bce,from_logits=true", []int{3, 1, 2, 2}, "binary", 0},
	{"focal_sigmoid", []int{2, 3, 2, 2}, "binary", 0},
	{"focal_sigmoid:pt_form=exp,alpha=null,gamma=3", []int{2, 1, 9}, "soft", 0},
	{"focal_sigmoid:from_logits=false,gamma=1", []int{2, 1, 9}, "binary", 0},
	{"focal_softmax", []int{2, 4, 3, 2}, "labels", 0},
	{"focal_softmax:gamma=0.5,class_weights=[1,2,0.5],ignore_index=9", []int{2, 3, 5}, "labels", 9},
	{"focal_softmax:gamma=2", []int{1, 3, 2, 2}, "onehot", 0},
	{"focal_softmax:from_logits=false", []int{1, 3, 4}, "labels", 0},
	{"cross_entropy", []int{2, 4, 3, 2}, "labels", 0},
	{"cross_entropy:label_smoothing=0.1,class_weights=[1,2,0.5],ignore_index=7", []int{2, 3, 2, 2, 2}, "labels", 7},
	{"cross_entropy:label_smoothing=0.2", []int{2, 3, 4}, "onehot", 0},
	{"cross_entropy:from_logits=false", []int{2, 3, 4}, "labels", 0},
	{"dice", []int{2, 1, 4, 4}, "binary", 0},
	{"dice:from_logits=true,reduction=per_sample", []int{3, 1, 5}, "soft", 0},
	{"dice:mode=multilabel,from_logits=true,squared=true,class_weights=[1,2,3]", []int{2, 3, 3, 2}, "binary", 0},
	{"dice:mode=multiclass,from_logits=true", []int{2, 4, 3, 3}, "labels", 0},
	{"dice:mode=multiclass,from_logits=true,ignore_index=255,classes=[1,2],log_loss=true", []int{2, 3, 2, 3, 2}, "labels", 255},
	{"dice:mode=multiclass,from_logits=true,tp_form=l1", []int{2, 3, 4}, "onehot", 0},
	{"dice:tp_form=l1,eps=1e-7,empty_zero=true,ignore_index=-1", []int{2, 1, 8}, "soft", -1},
	{"jaccard", []int{2, 1, 4, 4}, "binary", 0},
	{"jaccard:mode=multiclass,from_logits=true,reduction=per_sample,class_weights=[1,0.5,2]", []int{2, 3, 6}, "labels", 0},
	{"jaccard:mode=multilabel,tp_form=l1,log_loss=true", []int{2, 2, 5}, "soft", 0},
	{"tversky", []int{2, 1, 3, 3}, "binary", 0},
	{"tversky:alpha=0.3,beta=0.7,from_logits=true,mode=multiclass,ignore_index=-1", []int{2, 3, 2, 2, 2}, "labels", -1},
	{"tversky:alpha=0.7,beta=0.3,mode=multilabel,reduction=per_sample,classes=[0,2]", []int{2, 3, 4}, "soft", 0},
	{"focal_tversky", []int{2, 1, 3, 3}, "binary", 0},
	{"focal_tversky:gamma=2,mode=multiclass,from_logits=true,class_weights=[3,1,2]", []int{2, 3, 5}, "labels", 0},
	{"focal_tversky:gamma=1.3333333333333333,reduction=per_sample,mode=multilabel,from_logits=true", []int{2, 2, 2, 3}, "soft", 0},
	{"generalized_dice", []int{2, 3, 3, 2}, "labels", 0},
	{"generalized_dice:w_type=simple,reduction=per_sample,ignore_index=-1", []int{2, 4, 5}, "labels", -1},
	{"generalized_dice:w_type=uniform,mode=multilabel,classes=[0,1]", []int{2, 3, 4}, "soft", 0},
	{"log_cosh_dice", []int{2, 1, 3, 3}, "binary", 0},
	{"log_cosh_dice:mode=multiclass,from_logits=true,reduction=per_sample", []int{2, 3, 5}, "labels", 0},
	{"mcc", []int{2, 1, 4, 4}, "binary", 0},
	{"mcc:from_logits=true,reduction=per_sample,ignore_index=-1", []int{3, 1, 6}, "binary", -1},
	{"dice_bce", []int{2, 1, 4, 3}, "binary", 0},
	{"dice_bce:from_logits=false,bce_weight=0.5,dice_weight=2,reduction=per_sample", []int{2, 1, 7}, "soft", 0},
	{"dice_bce:mode=multiclass,class_weights=[1,2,3],ignore_index=-1", []int{2, 3, 2, 3}, "labels", -1},
	{"lovasz_hinge", []int{2, 1, 4, 3}, "binary", 0},
	{"lovasz_hinge:per_image=true,ignore_index=-1", []int{3, 1, 7}, "binary", -1},
	{"lovasz_softmax", []int{2, 4, 3, 2}, "labels", 0},
	{"lovasz_softmax:classes=all,per_image=true,ignore_index=255", []int{2, 3, 5}, "labels", 255},
	{"lovasz_softmax:classes=[0,2],from_logits=false", []int{1, 3, 6}, "labels", 0},
	{"dice:reduction=none,from_logits=true", []int{3, 1, 5}, "binary", 0},
	{"bce_logits:reduction=none,ignore_index=-1", []int{3, 1, 5}, "binary", -1},
	// The second family (golden2). Random inputs stay away from the kinks:
	// clamps at eps, p = 0.5 of the Hausdorff maps, pooling and top-k ties.
	{"dice_focal", []int{2, 1, 4, 3}, "binary", 0},
	{"dice_focal:mode=multiclass,reduction=global,alpha=0.25,gamma=1.5,class_weights=[1,2,0.5],classes=[1,2],ignore_index=-1", []int{2, 3, 3, 2}, "labels", -1},
	{"dice_focal:mode=multiclass,focal_form=softmax,alpha=0.75,dice_weight=0.5,focal_weight=2", []int{2, 3, 5}, "labels", 0},
	{"dice_focal:mode=multilabel,gamma=0,ignore_index=-1", []int{2, 2, 6}, "soft", -1},
	{"generalized_dice_focal", []int{2, 3, 3, 2}, "labels", 0},
	{"generalized_dice_focal:mode=multilabel,w_type=simple,reduction=global,class_weights=[1,2]", []int{2, 2, 5}, "binary", 0},
	{"generalized_dice_focal:focal_form=softmax,w_type=uniform,ignore_index=255,alpha=0.25", []int{2, 3, 4}, "labels", 255},
	{"topk_ce", []int{2, 3, 4, 4}, "labels", 0},
	{"topk_ce:k=30,class_weights=[1,2,0.5],label_smoothing=0.1,ignore_index=7", []int{2, 3, 3, 3}, "labels", 7},
	{"topk_ce:k=50,from_logits=false", []int{2, 3, 6}, "labels", 0},
	{"topk_ce:k=25", []int{2, 3, 6}, "onehot", 0},
	{"boundary", []int{2, 1, 5, 4}, "binary", 0},
	{"boundary:mode=multiclass,from_logits=true,classes=[1,2]", []int{2, 3, 4, 3}, "labels", 0},
	{"boundary:mode=multilabel,from_logits=true,spacing=[2,0.5,1]", []int{1, 2, 3, 4, 3}, "binary", 0},
	{"hausdorff_dt", []int{2, 1, 5, 4}, "binary", 0},
	{"hausdorff_dt:mode=multiclass,from_logits=true,alpha=1,classes=[0,2]", []int{2, 3, 4, 3}, "labels", 0},
	{"hausdorff_dt:alpha=0.5,from_logits=true,spacing=[1,2,0.5]", []int{1, 1, 3, 3, 4}, "soft", 0},
	{"log_hausdorff_dt", []int{2, 1, 5, 4}, "binary", 0},
	{"log_hausdorff_dt:mode=multilabel,from_logits=true,alpha=3", []int{2, 2, 4, 4}, "soft", 0},
	{"cldice", []int{2, 1, 6, 5}, "binary", 0},
	{"cldice:mode=multiclass,from_logits=true,iter_=2,smooth=0.1,reduction=per_sample,classes=[1,2]", []int{2, 3, 5, 4}, "labels", 0},
	{"cldice:mode=multilabel,iter_=1,from_logits=true", []int{1, 2, 3, 4, 3}, "soft", 0},
	{"dice_cldice", []int{2, 1, 6, 5}, "binary", 0},
	{"dice_cldice:mode=multiclass,from_logits=true,iter_=1,alpha=0.3,reduction=per_sample", []int{2, 3, 4, 4}, "labels", 0},
	{"asymmetric_focal", []int{2, 1, 4, 3}, "binary", 0},
	{"asymmetric_focal:mode=multiclass,from_logits=true,delta=0.6,gamma=0.5,ignore_index=255", []int{2, 3, 3, 3}, "labels", 255},
	{"asymmetric_focal:mode=multiclass,gamma=0", []int{2, 3, 5}, "onehot", 0},
	{"asymmetric_focal_tversky", []int{2, 1, 4, 3}, "binary", 0},
	{"asymmetric_focal_tversky:mode=multiclass,from_logits=true,reduction=global,gamma=0.2,smooth=1,ignore_index=-1", []int{2, 3, 3, 3}, "labels", -1},
	{"unified_focal", []int{2, 1, 4, 3}, "binary", 0},
	{"unified_focal:mode=multiclass,from_logits=true,weight=0.3,delta=0.4,gamma=0.75,reduction=global", []int{2, 3, 5}, "labels", 0},
	{"combo", []int{2, 1, 4, 3}, "binary", 0},
	{"combo:mode=multiclass,from_logits=true,alpha=0.3,ce_ratio=0.7,reduction=global,ignore_index=-1", []int{2, 3, 3, 3}, "labels", -1},
	{"combo:mode=multilabel,alpha=null,ignore_index=-1", []int{2, 2, 5}, "soft", -1},
	{"sensitivity_specificity", []int{2, 1, 4, 3}, "binary", 0},
	{"sensitivity_specificity:mode=multiclass,from_logits=true,r=0.4,reduction=global,classes=[0,2],ignore_index=9", []int{2, 3, 3, 3}, "labels", 9},
	{"sensitivity_specificity:mode=multilabel,smooth=1e-5,ignore_index=-1", []int{2, 2, 5}, "soft", -1},
	{"generalized_wasserstein_dice", []int{2, 4, 3, 3}, "labels", 0},
	{"generalized_wasserstein_dice:weighting_mode=GDL,reduction=global,ignore_index=255", []int{2, 3, 5}, "labels", 255},
	{"generalized_wasserstein_dice:dist_matrix=[[0,1,2],[1,0,1.5],[2,1.5,0]],weighting_mode=GDL,from_logits=false", []int{1, 3, 6}, "labels", 0},
	// Weighted sums of losses: value and gradient are the weighted sums of the parts.
	{"dice:mode=multiclass,from_logits=true+topk_ce:k=10", []int{2, 3, 4, 4}, "labels", 0},
	{"0.5*dice:from_logits=true+focal_sigmoid:gamma=2", []int{2, 1, 4, 3}, "binary", 0},
	{"dice:mode=multiclass,from_logits=true+0.25*boundary:mode=multiclass,from_logits=true", []int{2, 3, 4, 3}, "labels", 0},
}

// randomBatch draws a batch for l: logits in [-3, 3] or probabilities in
// [0.05, 0.95] (softmax-normalised for multiclass), and the asked target.
func randomBatch(rng *rand.Rand, l *segloss.Loss, shape []int, target string, ignore int) segloss.Batch[float64] {
	o := l.Options()
	n, c, s := shape[0], shape[1], 1
	for _, d := range shape[2:] {
		s *= d
	}
	b := segloss.Batch[float64]{Shape: shape, Input: make([]float64, n*c*s)}
	for i := range b.Input {
		if o.FromLogits {
			b.Input[i] = rng.Float64()*6 - 3
		} else {
			b.Input[i] = 0.05 + 0.9*rng.Float64()
		}
	}
	if !o.FromLogits && o.Mode == segloss.Multiclass {
		for k := 0; k < n; k++ {
			for j := 0; j < s; j++ {
				var z float64
				for ch := 0; ch < c; ch++ {
					z += b.Input[(k*c+ch)*s+j]
				}
				for ch := 0; ch < c; ch++ {
					b.Input[(k*c+ch)*s+j] /= z
				}
			}
		}
	}
	plant := func() bool { return ignore != 0 && rng.Float64() < 0.15 }
	switch target {
	case "binary", "soft":
		b.Target = make([]float64, len(b.Input))
		for i := range b.Target {
			if target == "binary" {
				b.Target[i] = float64(rng.Intn(2))
			} else {
				b.Target[i] = rng.Float64()
			}
			if plant() {
				b.Target[i] = float64(ignore)
			}
		}
	case "labels":
		b.Labels = make([]int32, n*s)
		for i := range b.Labels {
			b.Labels[i] = int32(rng.Intn(c))
			if plant() {
				b.Labels[i] = int32(ignore)
			}
		}
	case "onehot":
		b.Target = make([]float64, len(b.Input))
		for k := 0; k < n; k++ {
			for j := 0; j < s; j++ {
				var z float64
				for ch := 0; ch < c; ch++ {
					v := rng.Float64()
					b.Target[(k*c+ch)*s+j] = v
					z += v
				}
				for ch := 0; ch < c; ch++ {
					b.Target[(k*c+ch)*s+j] /= z
				}
			}
		}
	}
	return b
}

// TestFiniteDifferences checks every analytic gradient against central
// differences on random inputs.
func TestFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	covered := map[segloss.Name]bool{}
	for _, tc := range fdCases {
		t.Run(tc.spec, func(t *testing.T) {
			l, err := segloss.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			covered[l.Name()] = true
			if _, parts := l.Terms(); parts != nil {
				covered["sum"] = true
			}
			for rep := 0; rep < 3; rep++ {
				b := randomBatch(rng, l, tc.shape, tc.target, tc.ignore)
				grad := make([]float64, len(b.Input))
				if _, err := segloss.Eval(l, grad, b); err != nil {
					t.Fatal(err)
				}
				checked, msg := checkFD(l, b, grad)
				if msg != "" {
					t.Fatalf("rep %d: %s", rep, msg)
				}
				if checked != len(b.Input) {
					t.Fatalf("rep %d: checked %d of %d elements", rep, checked, len(b.Input))
				}
			}
		})
	}
	for _, name := range segloss.Names() {
		if !covered[name] {
			t.Errorf("no finite-difference case for %s", name)
		}
	}
}

// checkFD compares grad with central differences of l at b and returns
// the number of elements it checked, or a message for the first element
// that disagrees or whose evaluation fails (the random inputs stay a
// step h inside the probability domain, so none may fail).
func checkFD(l *segloss.Loss, b segloss.Batch[float64], grad []float64) (checked int, msg string) {
	const h = 1e-6
	x := b.Input
	for i := range x {
		orig := x[i]
		x[i] = orig + h
		fp, err1 := segloss.Eval(l, nil, b)
		x[i] = orig - h
		fm, err2 := segloss.Eval(l, nil, b)
		x[i] = orig
		if err := errors.Join(err1, err2); err != nil {
			return checked, fmt.Sprintf("d/dx[%d]: a step of %g fails: %v", i, h, err)
		}
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
			return checked, fmt.Sprintf("d/dx[%d]: analytic %.9g, finite difference %.9g", i, grad[i], fd)
		}
		checked++
	}
	return checked, ""
}
