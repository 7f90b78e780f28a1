package segloss_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

func TestBadInputIsAnError(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name, spec string
		b          segloss.Batch[float64]
		grad       []float64
		want       string // substring of the error
	}{
		{"shape mismatch", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 2, 2}, Input: []float64{.1, .2, .3}, Target: []float64{0, 1, 0}}, nil, "shape [1 1 2 2] needs 4"},
		{"target mismatch", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{.1, .2}, Target: []float64{0, 1, 0}}, nil, "target has 3 values"},
		{"labels mismatch", "dice:mode=multiclass", segloss.Batch[float64]{Shape: []int{1, 2, 2}, Input: []float64{.5, .5, .5, .5}, Labels: []int32{0, 1, 1}}, nil, "labels have 3 values, shape [1 2] needs 2"},
		{"grad mismatch", "bce", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{.1, .2}, Target: []float64{0, 1}}, make([]float64, 3), "grad has 3 values"},
		{"empty", "bce", segloss.Batch[float64]{Shape: []int{0, 1, 2}, Input: nil, Target: nil}, nil, "empty tensor"},
		{"rank", "bce", segloss.Batch[float64]{Shape: []int{4}, Input: []float64{1, 2, 3, 4}, Target: []float64{0, 1, 0, 1}}, nil, "want [N, C, spatial...]"},
		{"rank 6", "bce", segloss.Batch[float64]{Shape: []int{1, 1, 1, 1, 1, 1}, Input: []float64{.5}, Target: []float64{0}}, nil, "0 to 3 spatial"},
		{"nan input", "bce_logits", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{nan, 0}, Target: []float64{0, 1}}, nil, "input[0] = NaN"},
		{"inf input", "bce_logits", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{0, math.Inf(1)}, Target: []float64{0, 1}}, nil, "input[1] = +Inf"},
		{"nan target", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{.1, .2}, Target: []float64{nan, 1}}, nil, "target[0] = NaN"},
		{"prob range", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{1.5, .2}, Target: []float64{0, 1}}, nil, "probabilities must be in [0, 1]"},
		{"target range", "bce", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{.5, .2}, Target: []float64{2, 1}}, nil, "target[0] = 2"},
		{"label range", "cross_entropy", segloss.Batch[float64]{Shape: []int{1, 2, 2}, Input: []float64{1, 2, 3, 4}, Labels: []int32{0, 2}}, nil, "labels[1] = 2: class index out of range [0, 2) and not ignore_index -100"},
		{"negative label", "dice:mode=multiclass", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{.5, .5}, Labels: []int32{-1}}, nil, "out of range"},
		{"both targets", "dice:mode=multiclass", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{.5, .5}, Target: []float64{1, 0}, Labels: []int32{0}}, nil, "exactly one of Target"},
		{"no target", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 1}, Input: []float64{.5}}, nil, "exactly one of Target"},
		{"labels for binary", "dice", segloss.Batch[float64]{Shape: []int{1, 1, 1}, Input: []float64{.5}, Labels: []int32{0}}, nil, "need a multiclass loss"},
		{"binary C=2", "dice", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{.5, .5}, Target: []float64{0, 1}}, nil, "binary mode needs C = 1"},
		{"class weights length", "dice:mode=multilabel,class_weights=[1,2,3]", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{.5, .5}, Target: []float64{0, 1}}, nil, "class_weights has 3 entries, the input has C = 2"},
		{"classes range", "dice:mode=multilabel,classes=[0,5]", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{.5, .5}, Target: []float64{0, 1}}, nil, "class 5 is out of range"},
		{"lovasz labels", "lovasz_hinge", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{.5, .5}, Target: []float64{0.5, 1}}, nil, "0/1 labels"},
		{"0/0", "dice:smooth=0", segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{0, 0}, Target: []float64{0, 0}}, nil, "the loss is NaN"},
		{"log of zero", "cross_entropy:from_logits=false", segloss.Batch[float64]{Shape: []int{1, 2, 1}, Input: []float64{0, 1}, Labels: []int32{0}}, nil, "the loss is +Inf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := segloss.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			_, err = segloss.Eval(l, tc.grad, tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), string(l.Name())) {
				t.Errorf("error %q does not name the loss", err)
			}
			var ie *segloss.InputError
			if !errors.As(err, &ie) || ie.Loss != l.Name() {
				t.Fatalf("error %v (%T) is not an *InputError of %s", err, err, l.Name())
			}
			nonFinite := strings.Contains(tc.want, "NaN") || strings.Contains(tc.want, "Inf")
			if errors.Is(err, segloss.ErrNonFinite) != nonFinite {
				t.Errorf("errors.Is(%v, ErrNonFinite) = %v, want %v", err, !nonFinite, nonFinite)
			}
			if !errors.Is(err, segloss.ErrBadInput) && ie.Field != "loss" {
				t.Errorf("errors.Is(%v, ErrBadInput) = false", err)
			}
			if strings.Contains(tc.want, "[") && strings.Contains(tc.want, "] = ") && ie.Index < 0 {
				t.Errorf("%v: Index = %d, want the element", err, ie.Index)
			}
		})
	}
}

func TestBadOptionsAreErrors(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"dicey", "unknown loss \"dicey\"; valid losses: asymmetric_focal, asymmetric_focal_tversky, bce"},
		{"topk_ce:k=0", "k=0: must be a percentage in (0, 100]"},
		{"topk_ce:k=101", "must be a percentage"},
		{"cldice:iter_=-1", "iter_=-1"},
		{"cldice:iter_=1.5", "not an integer"},
		{"asymmetric_focal:delta=1.5", "delta=1.5: must be in [0, 1]"},
		{"asymmetric_focal:mode=multilabel", "needs binary"},
		{"unified_focal:weight=-0.1", "weight=-0.1"},
		{"combo:ce_ratio=2", "ce_ratio=2"},
		{"dice_cldice:alpha=1.5", "alpha = 1.5"},
		{"dice_focal:from_logits=false", "needs from_logits=true"},
		{"dice_focal:focal_form=softmax", "needs mode multiclass"},
		{"dice_focal:focal_form=tanh", "focal_form"},
		{"generalized_wasserstein_dice:weighting_mode=max", "weighting_mode"},
		{"generalized_wasserstein_dice:dist_matrix=[[0,1],[1]]", "want square"},
		{"generalized_wasserstein_dice:dist_matrix=[[0,0],[0,0]]", "every entry is 0"},
		{"boundary:spacing=[1,0]", "spacing"},
		{"sensitivity_specificity:r=3", "r=3"},
		{"dice+", "term 2 is empty"},
		{"x*dice", "weight \"x\" of term 1 is not a number"},
		{"dice+dicey", "unknown loss \"dicey\""},
		{"dice:alpha=0.3", "unknown option \"alpha\" for dice; valid options: mode, from_logits"},
		{"tversky:alpha=x", "not a number"},
		{"tversky:alpha=0,beta=0,smooth=0", "alpha = 0 and beta = 0 with smooth = 0"},
		{"focal_sigmoid:gamma=-1", "gamma=-1: must be a finite number >= 0"},
		{"dice:smooth=-1", "smooth=-1"},
		{"dice:mode=triclass", "mode=triclass: want binary, multilabel or multiclass"},
		{"dice:reduction=mean", "want one of [global per_sample none]"},
		{"bce:reduction=global", "want one of [mean sum none]"},
		{"dice:classes=[1,", "unbalanced"},
		{"dice:classes=[]", "classes is empty"},
		{"dice:class_weights=[1,-1]", "finite and >= 0"},
		{"bce:label_smoothing=2", "label_smoothing=2"},
		{"dice:tp_form=max", "tp_form"},
		{"generalized_dice:w_type=cubic", "w_type"},
		{"dice_bce:mode=multiclass,from_logits=false", "expects logits"},
		{"bce:eps=0.7", "must be < 0.5"},
		{"dice:squared", "not key=value"},
		{"bce_logits:from_logits=false", "bce_logits needs from_logits=true"},
	}
	for _, tc := range cases {
		_, err := segloss.Parse(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.spec, err, tc.want)
		}
		var oe *segloss.OptionError
		if unknown := strings.Contains(tc.want, "unknown loss"); unknown != errors.Is(err, segloss.ErrUnknownLoss) {
			t.Errorf("Parse(%q): errors.Is(%v, ErrUnknownLoss) = %v", tc.spec, err, !unknown)
		} else if !unknown && !errors.As(err, &oe) {
			t.Errorf("Parse(%q): %v (%T) is not an *OptionError", tc.spec, err, err)
		}
		if errors.Is(err, segloss.ErrBadInput) {
			t.Errorf("Parse(%q): %v is a bad-input (data) error", tc.spec, err)
		}
	}
}

func TestSpecRoundTrip(t *testing.T) {
	for _, spec := range []string{"dice", "tversky:alpha=0.3,beta=0.7", "dice:mode=multiclass,classes=[1,2],ignore_index=255",
		"lovasz_softmax:classes=all", "focal_sigmoid:alpha=null", "cross_entropy:class_weights=[1,2.5,3]",
		"topk_ce:k=5", "cldice:iter_=5", "dice_focal:alpha=0.25,focal_weight=2", "boundary:spacing=[1,2]",
		"generalized_wasserstein_dice:dist_matrix=[[0,1],[1,0]],weighting_mode=GDL",
		"dice+topk_ce:k=20", "0.5*dice+focal_sigmoid:gamma=3", "dice:smooth=100000+2*boundary"} {
		l, err := segloss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.String(); got != spec {
			t.Errorf("Parse(%q).String() = %q", spec, got)
		}
	}
}

// TestErrorClasses checks errors.Is and errors.As for every error class:
// the strconv error behind a value that does not parse, an unknown key,
// the fields of OptionError and InputError.
func TestErrorClasses(t *testing.T) {
	_, err := segloss.Parse("tversky:alpha=x")
	var oe *segloss.OptionError
	if !errors.As(err, &oe) || oe.Loss != segloss.Tversky || oe.Key != "alpha" || oe.Value != "x" {
		t.Fatalf("alpha=x: %#v", err)
	}
	if !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("alpha=x: %v does not wrap strconv.ErrSyntax", err)
	}
	if _, err := segloss.Parse("dice:alpha=1"); !errors.Is(err, segloss.ErrUnknownOption) {
		t.Errorf("dice:alpha: %v does not wrap ErrUnknownOption", err)
	}
	if _, err := segloss.New("nope", nil); !errors.Is(err, segloss.ErrUnknownLoss) || !strings.Contains(err.Error(), "dice") {
		t.Errorf("New(nope): %v", err)
	}
	o := segloss.Options{Smooth: math.Inf(1)}
	_, err = segloss.New(segloss.Dice, &o)
	if !errors.As(err, &oe) || oe.Key != "smooth" || oe.Value != "+Inf" {
		t.Errorf("smooth=+Inf: %#v", err)
	}
	l := segloss.MustNew(segloss.BCELogits, nil)
	_, err = segloss.Eval(l, nil, segloss.Batch[float32]{Shape: []int{1, 1, 3}, Input: []float32{0, float32(math.NaN()), 0}, Target: []float32{0, 1, 0}})
	var ie *segloss.InputError
	if !errors.As(err, &ie) || ie.Field != "input" || ie.Index != 1 || !errors.Is(err, segloss.ErrNonFinite) || !errors.Is(err, segloss.ErrBadInput) {
		t.Errorf("NaN input (float32, fused path): %#v", err)
	}
	_, err = segloss.Eval(l, nil, segloss.Batch[float64]{Shape: []int{1, 2, 2}, Input: []float64{0, 0, 0}, Target: []float64{0, 1, 0}})
	if !errors.As(err, &ie) || ie.Field != "input" || ie.Index != -1 || errors.Is(err, segloss.ErrNonFinite) {
		t.Errorf("short input: %#v", err)
	}
}
