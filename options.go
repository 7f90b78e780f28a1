package segloss

import (
	"fmt"
	"math"
)

// Mode says how the channels of the input are read.
type Mode string

// The modes of the golden conventions.
const (
	// Binary: one channel (C == 1), sigmoid per element, float target of the input's shape.
	Binary Mode = "binary"
	// Multilabel: C independent binary channels, sigmoid per element, float target of the input's shape.
	Multilabel Mode = "multilabel"
	// Multiclass: softmax over the channels; the target is either class indices
	// [N, spatial...] (Batch.Labels) or a one-hot or soft map [N, C, spatial...] (Batch.Target).
	Multiclass Mode = "multiclass"
)

// Reduction says how per-element or per-region values become one loss.
type Reduction string

// Reductions. Pixel losses (bce, focal, cross_entropy) take Mean or Sum;
// region losses (dice, jaccard, tversky, ...) take Global or PerSample.
// None is accepted by every loss: Eval returns the mean of the per-sample
// losses and PerSample returns them one by one.
const (
	Mean      Reduction = "mean"       // mean over non-ignored elements
	Sum       Reduction = "sum"        // sum over non-ignored elements
	Global    Reduction = "global"     // region sums over batch and space, one score per class
	PerSample Reduction = "per_sample" // one score per (sample, class), mean over both
	None      Reduction = "none"       // one loss per sample; Eval returns their mean
)

// TPForm is the soft true-positive count of the overlap losses.
type TPForm string

// True-positive forms.
const (
	// Product: TP = sum p*g.
	Product TPForm = "product"
	// L1: TP = (sum p + sum g - sum |p-g|)/2, which equals sum min(p, g) for
	// soft labels (segmentation_models_pytorch, MONAI soft_label).
	L1 TPForm = "l1"
)

// Options holds every option of every loss, named after the golden
// conventions. Each loss reads only the options listed for it by
// OptionNames; DefaultOptions returns a loss's defaults. A nil *Options
// passed to New means the defaults.
type Options struct {
	Mode       Mode      // binary, multilabel or multiclass
	FromLogits bool      // apply sigmoid/softmax to the input (true) or read it as probabilities
	Smooth     float64   // added to numerator and denominator of overlap ratios
	Eps        float64   // denominator floor (region losses), clip (BCE from probabilities) or count offset (mcc)
	LogEps     float64   // added inside the logarithms of BCE from probabilities (Keras)
	Reduction  Reduction // see Reduction
	// Classes selects the channels that enter the class mean (nil: all).
	Classes []int
	// PresentOnly (lovasz_softmax classes="present") averages only over
	// classes that occur in the labels.
	PresentOnly bool
	// ClassWeights (length C, by channel) turns the class mean into
	// sum_c w_c L_c / sum_c w_c; for cross_entropy they weight the pixels.
	ClassWeights []float64
	// Ignore enables IgnoreIndex: pixels whose label equals it are dropped
	// from region sums and from both sides of pixel means.
	Ignore      bool
	IgnoreIndex int
	Squared     bool   // dice: denominators use p², g²
	TPForm      TPForm // product or l1
	EmptyZero   bool   // loss 0 for classes whose sum g == 0
	LogLoss     bool   // -log(score) instead of 1 - score
	// LabelSmoothing s: t ← t(1-s) + (1-t)s for BCE, t ← (1-s)t + s/C for cross-entropy.
	LabelSmoothing float64
	PosWeight      float64 // weight of positive targets in BCE from logits (1: unweighted)
	// Alpha: tversky/focal_tversky weight of false positives; focal_keras
	// global scale; focal_sigmoid weight of positives (negative: no weighting).
	Alpha float64
	Beta  float64 // tversky/focal_tversky weight of false negatives
	Gamma float64 // focusing exponent (focal) or the applied exponent (focal_tversky)
	// PtForm of focal_sigmoid: "linear" p_t = pt + (1-p)(1-t) (torchvision), or "exp" p_t = exp(-BCE) (smp).
	PtForm string
	// Form of focal_keras: "elementwise" (focal term per element, then mean) or "mean_bce".
	Form string
	// WType of generalized_dice: "square" 1/(sum g)², "simple" 1/sum g, or "uniform" 1.
	WType      string
	PerImage   bool    // lovasz: one loss per sample, then the mean
	BCEWeight  float64 // dice_bce: weight of the cross-entropy term
	DiceWeight float64 // dice_bce, dice_focal, generalized_dice_focal: weight of the Dice term

	// Options of the second loss family (see names.go).
	Delta         float64     // asymmetric_*, unified_focal: weight of the foreground (false negatives)
	K             float64     // topk_ce: percentage of the largest pixel losses kept
	Iter          int         // cldice, dice_cldice: skeleton iterations (iter_)
	CERatio       float64     // combo: weight of the cross-entropy term
	R             float64     // sensitivity_specificity: weight of the sensitivity term
	Weight        float64     // unified_focal: weight of the asymmetric focal term
	FocalForm     string      // dice_focal, generalized_dice_focal: "sigmoid" or "softmax"
	FocalWeight   float64     // dice_focal, generalized_dice_focal: weight of the focal term
	DistMatrix    [][]float64 // generalized_wasserstein_dice: class distances (nil: 1 - I)
	WeightingMode string      // generalized_wasserstein_dice: "default" or "GDL"
	// Spacing is the voxel size along each spatial axis for the distance
	// maps of boundary, hausdorff_dt and log_hausdorff_dt (nil: 1).
	Spacing []float64
}

// clone returns a deep copy of o.
func (o Options) clone() Options {
	if o.Classes != nil {
		o.Classes = append(make([]int, 0, len(o.Classes)), o.Classes...)
	}
	if o.ClassWeights != nil {
		o.ClassWeights = append(make([]float64, 0, len(o.ClassWeights)), o.ClassWeights...)
	}
	if o.Spacing != nil {
		o.Spacing = append([]float64(nil), o.Spacing...)
	}
	if o.DistMatrix != nil {
		m := make([][]float64, len(o.DistMatrix))
		for i, r := range o.DistMatrix {
			m[i] = append([]float64(nil), r...)
		}
		o.DistMatrix = m
	}
	return o
}

func finiteNonNeg(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("option %s = %v: must be a finite number >= 0", name, v)
	}
	return nil
}

// validate checks the options that l reads. Channel-dependent checks
// (class indices, weight lengths) happen in checkBatch once C is known.
func (o *Options) validate(name string) error {
	has := optionSet(name)
	switch o.Mode {
	case Binary, Multilabel, Multiclass:
	default:
		return fmt.Errorf("option mode = %q: want binary, multilabel or multiclass", o.Mode)
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"smooth", o.Smooth}, {"eps", o.Eps}, {"log_eps", o.LogEps}, {"gamma", o.Gamma},
		{"beta", o.Beta}, {"bce_weight", o.BCEWeight}, {"dice_weight", o.DiceWeight}, {"pos_weight", o.PosWeight}} {
		if has[f.key] {
			if err := finiteNonNeg(f.key, f.v); err != nil {
				return err
			}
		}
	}
	if has["alpha"] {
		if math.IsNaN(o.Alpha) || math.IsInf(o.Alpha, 0) {
			return fmt.Errorf("option alpha = %v: must be finite", o.Alpha)
		}
		if !nullAlpha(name) && o.Alpha < 0 {
			return fmt.Errorf("option alpha = %v: must be >= 0", o.Alpha)
		}
	}
	if has["label_smoothing"] && (math.IsNaN(o.LabelSmoothing) || o.LabelSmoothing < 0 || o.LabelSmoothing > 1) {
		return fmt.Errorf("option label_smoothing = %v: must be in [0, 1]", o.LabelSmoothing)
	}
	if has["eps"] && name != "mcc" && o.Eps >= 0.5 && (name == "bce" || name == "bce_logits" || name == "focal_keras" || name == "focal_sigmoid" || name == "dice_bce") {
		return fmt.Errorf("option eps = %v: a probability clip must be < 0.5", o.Eps)
	}
	if has["alpha"] && has["beta"] && o.Alpha+o.Beta == 0 && o.Smooth == 0 {
		return fmt.Errorf("options alpha = 0 and beta = 0 with smooth = 0: the Tversky index is 0/0 for a perfect empty prediction")
	}
	if has["reduction"] {
		ok := false
		for _, r := range reductionsFor(name) {
			ok = ok || o.Reduction == r
		}
		if !ok {
			return fmt.Errorf("option reduction = %q: want one of %v", o.Reduction, reductionsFor(name))
		}
	}
	if has["tp_form"] && o.TPForm != Product && o.TPForm != L1 {
		return fmt.Errorf("option tp_form = %q: want product or l1", o.TPForm)
	}
	if has["pt_form"] && o.PtForm != "linear" && o.PtForm != "exp" {
		return fmt.Errorf("option pt_form = %q: want linear or exp", o.PtForm)
	}
	if has["form"] && o.Form != "elementwise" && o.Form != "mean_bce" {
		return fmt.Errorf("option form = %q: want elementwise or mean_bce", o.Form)
	}
	if has["w_type"] && o.WType != "square" && o.WType != "simple" && o.WType != "uniform" {
		return fmt.Errorf("option w_type = %q: want square, simple or uniform", o.WType)
	}
	for _, w := range o.ClassWeights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fmt.Errorf("option class_weights = %v: weights must be finite and >= 0", o.ClassWeights)
		}
	}
	if o.Classes != nil && len(o.Classes) == 0 {
		return fmt.Errorf("option classes is empty: list at least one class, or leave it unset for all")
	}
	if name == "bce_logits" && !o.FromLogits {
		return fmt.Errorf("bce_logits needs from_logits=true (use bce for probabilities)")
	}
	for _, c := range o.Classes {
		if c < 0 {
			return fmt.Errorf("option classes = %v: class indices must be >= 0", o.Classes)
		}
	}
	if name == "dice_bce" && o.Mode == Multiclass && !o.FromLogits {
		return fmt.Errorf("dice_bce in multiclass mode expects logits (from_logits=true)")
	}
	return o.validate2(name)
}

func reductionsFor(name string) []Reduction {
	switch lossKinds[name] {
	case kindPixel:
		return []Reduction{Mean, Sum, None}
	default:
		return []Reduction{Global, PerSample, None}
	}
}
