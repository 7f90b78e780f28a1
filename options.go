package segloss

import "fmt"

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

// PtForm is the p_t of focal_sigmoid.
type PtForm string

// The forms of p_t.
const (
	PtLinear PtForm = "linear" // p_t = p t + (1-p)(1-t) (torchvision)
	PtExp    PtForm = "exp"    // p_t = exp(-BCE) (segmentation_models_pytorch)
)

// FocalForm says where focal_keras applies its focal term.
type FocalForm string

// The forms of focal_keras.
const (
	Elementwise FocalForm = "elementwise" // the focal term per element, then the mean
	MeanBCE     FocalForm = "mean_bce"    // the focal term of the mean BCE
)

// WType is the class weighting of generalized_dice.
type WType string

// The weightings of generalized_dice.
const (
	WSquare  WType = "square"  // 1/(sum g)²
	WSimple  WType = "simple"  // 1/sum g
	WUniform WType = "uniform" // 1
)

// FocalTerm is the form of the focal term of dice_focal and generalized_dice_focal.
type FocalTerm string

// The forms of the focal term.
const (
	FocalSigmoidTerm FocalTerm = "sigmoid" // one-vs-rest sigmoid focal per element (MONAI DiceFocalLoss)
	FocalSoftmaxTerm FocalTerm = "softmax" // softmax focal per pixel (multiclass)
)

// Weighting is the class weighting of generalized_wasserstein_dice.
type Weighting string

// The weightings of generalized_wasserstein_dice.
const (
	WeightDefault Weighting = "default" // a_0 = 0, a_c = 1
	WeightGDL     Weighting = "GDL"     // a_c = 1/(V_c + 1)
)

// NoAlpha is the Alpha of focal_sigmoid without the a_t weighting (alpha=null).
const NoAlpha = -1.0

// Options holds every option of every loss, named after the golden
// conventions. Each loss reads only the options listed for it by
// OptionNames; DefaultOptions returns a loss's defaults, and a nil
// *Options passed to New means the defaults.
//
// A field left at its zero value ("", 0, false, nil) means the loss's
// default, so Options{} behaves like DefaultOptions for every loss and
// &Options{FromLogits: true} changes one thing only. To ask for a zero or
// false value where the default is not (pos_weight=0, smooth=0,
// from_logits=false for bce_logits' siblings), start from DefaultOptions
// and change the field, or use SetOption: both mark the keys as set, and a
// set key keeps its value, zero or not.
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
	// global scale; focal_sigmoid weight of positives (NoAlpha: no weighting).
	Alpha      float64
	Beta       float64   // tversky/focal_tversky weight of false negatives
	Gamma      float64   // focusing exponent (focal) or the applied exponent (focal_tversky)
	PtForm     PtForm    // focal_sigmoid: PtLinear or PtExp
	Form       FocalForm // focal_keras: Elementwise or MeanBCE
	WType      WType     // generalized_dice: WSquare, WSimple or WUniform
	PerImage   bool      // lovasz: one loss per sample, then the mean
	BCEWeight  float64   // dice_bce: weight of the cross-entropy term
	DiceWeight float64   // dice_bce, dice_focal, generalized_dice_focal: weight of the Dice term

	// Options of the second loss family (see names.go).
	Delta         float64     // asymmetric_*, unified_focal: weight of the foreground (false negatives)
	K             float64     // topk_ce: percentage of the largest pixel losses kept
	Iter          int         // cldice, dice_cldice: skeleton iterations (iter_)
	CERatio       float64     // combo: weight of the cross-entropy term
	R             float64     // sensitivity_specificity: weight of the sensitivity term
	Weight        float64     // unified_focal: weight of the asymmetric focal term
	FocalTerm     FocalTerm   // dice_focal, generalized_dice_focal: FocalSigmoidTerm or FocalSoftmaxTerm
	FocalWeight   float64     // dice_focal, generalized_dice_focal: weight of the focal term
	DistMatrix    [][]float64 // generalized_wasserstein_dice: class distances (nil: 1 - I)
	WeightingMode Weighting   // generalized_wasserstein_dice: WeightDefault or WeightGDL
	// Spacing is the voxel size along each spatial axis for the distance
	// maps of boundary, hausdorff_dt and log_hausdorff_dt (nil: 1).
	Spacing []float64

	// set has bit i when key optKeys[i] was set explicitly (DefaultOptions,
	// SetOption, Parse, Loss.Options): such a key keeps its zero value.
	set uint64
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

// resolve returns opts completed with the defaults of loss d: every key
// that is neither set nor away from its zero value takes d's default, and
// d's forced values override everything. nil means the defaults.
func (d *descriptor) resolve(opts *Options) Options {
	if opts == nil {
		return d.def.clone()
	}
	o := opts.clone()
	for i, k := range optKeys {
		if o.set&(1<<i) == 0 && k.zero(&o) {
			_ = k.parse(d, &o, k.format(&d.def)) // the default's own text: parses
		}
	}
	d.force(&o)
	o.set = allKeysSet
	return o
}

// validate checks the options that loss d reads, each with its key's
// check, then the checks across keys. Channel-dependent checks (class
// indices, weight lengths) happen in checkShape once C is known.
func (o *Options) validate(d *descriptor) error {
	for _, k := range optKeys {
		if k.check == nil || !(d.keySet[k.key] || k.key == "mode" || k.key == "classes" || k.key == "class_weights") {
			continue
		}
		if err := k.check(d, o); err != nil {
			return &OptionError{Loss: d.name, Key: k.key, Value: k.format(o), Err: err}
		}
	}
	if d.keySet["alpha"] && d.keySet["beta"] && o.Alpha+o.Beta == 0 && o.Smooth == 0 {
		return &OptionError{Loss: d.name, Err: fmt.Errorf("options alpha = 0 and beta = 0 with smooth = 0: the Tversky index is 0/0 for a perfect empty prediction")}
	}
	if d.check != nil {
		return d.check(o)
	}
	return nil
}
