package segloss

import (
	"fmt"
	"math"
)

// Float is the element type of inputs, targets and gradients.
type Float interface{ float32 | float64 }

// Batch is one batch of predictions and their ground truth, channel-first
// and row-major: Shape is [N, C, spatial...] with 0 to 3 spatial
// dimensions, and Input holds N*C*S values (logits or probabilities, per
// the loss's FromLogits).
//
// The ground truth is either Target, a float map of the input's shape
// (hard 0/1 or soft labels; one-hot or soft maps in multiclass mode), or
// Labels, class indices of shape [N, spatial...] (multiclass losses only).
// Exactly one of them is set.
type Batch[T Float] struct {
	Shape  []int
	Input  []T
	Target []T
	Labels []int32
	// Weights, when not nil, is a pixel weight map (the U-Net paper's
	// border weights): one weight >= 0 per pixel, shape [N, spatial...],
	// broadcast over the channels, or one per element, shape [N, C,
	// spatial...]; the layout follows from the length (the same for C = 1).
	// It multiplies every element's term in the numerator of pixel means
	// (bce, bce_logits, cross_entropy; the denominator stays unweighted)
	// and every region sum (dice): an integer weight k counts the pixel k
	// times. Other losses reject it.
	Weights []T
}

// geom is the validated geometry of a batch.
type geom struct {
	n, c, s int // samples, channels, elements per channel
}

func (g geom) size() int { return g.n * g.c * g.s }

// Eval returns the loss of batch b and, when grad is not nil, writes
// d loss / d Input into grad (of Input's length), overwriting it. The
// gradient is taken with respect to the input as given: the logits when
// FromLogits is true, the probabilities otherwise. Sums accumulate in
// float64 whatever T is.
//
// Eval returns an error, and leaves grad unspecified, when the batch does
// not fit the loss: shapes that disagree (both are named), empty tensors,
// NaN or Inf in the input or the target, probabilities outside [0, 1],
// labels outside [0, C) other than the ignore index, or a non-finite result.
func Eval[T Float](l *Loss, grad []T, b Batch[T]) (float64, error) {
	if l.terms != nil {
		return evalSum(l, grad, b)
	}
	g, err := checkShape(l, b, grad)
	if err != nil {
		return 0, err
	}
	if b32, ok := any(b).(Batch[float32]); ok && b.Weights == nil {
		g32, _ := any(grad).([]float32)
		v, handled, bad := fastEval32(l, g, g32, b32)
		if handled && !bad {
			return v, finite(l, v, b.Shape)
		}
	}
	if err := checkValues(l, g, b); err != nil {
		return 0, err
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	v := eval(l, ws, g, grad, b)
	return v, finite(l, v, b.Shape)
}

// finite returns an error when the loss value v is NaN or infinite.
func finite(l *Loss, v float64, shape []int) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("segloss: %s: the loss is %v (input %v); check extreme probabilities and the options", l.name, v, shape)
	}
	return nil
}

// eval dispatches on the loss family; inputs are already checked.
func eval[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	if l.opts.Reduction == None && g.n > 1 {
		return evalMeanOfSamples(l, ws, g, grad, b)
	}
	if isFamily2(l.name) {
		return evalFamily2(l, ws, g, grad, b)
	}
	switch l.name {
	case "bce", "bce_logits":
		return bceLoss(&l.opts, g, grad, b)
	case "focal_keras":
		return focalKeras(&l.opts, g, grad, b)
	case "focal_sigmoid":
		return focalSigmoid(&l.opts, g, grad, b)
	case "cross_entropy", "focal_softmax":
		return softmaxCE(l.name == "focal_softmax", &l.opts, ws, g, grad, b)
	case "dice_bce":
		return diceBCE(l, ws, g, grad, b)
	case "lovasz_hinge":
		return lovaszHinge(&l.opts, ws, g, grad, b)
	case "lovasz_softmax":
		return lovaszSoftmax(&l.opts, ws, g, grad, b)
	default:
		return regionLoss(l.name, &l.opts, ws, g, grad, b)
	}
}

// sample returns sample i of b as a batch of one; its shape lives in ws.
func sample[T Float](ws *workspace, g geom, b Batch[T], i int) Batch[T] {
	shape := grow(&ws.shape, len(b.Shape))
	shape[0] = 1
	copy(shape[1:], b.Shape[1:])
	per := g.c * g.s
	out := Batch[T]{Shape: shape, Input: b.Input[i*per : (i+1)*per]}
	if b.Target != nil {
		out.Target = b.Target[i*per : (i+1)*per]
	}
	if b.Labels != nil {
		out.Labels = b.Labels[i*g.s : (i+1)*g.s]
	}
	if b.Weights != nil {
		k := len(b.Weights) / g.n
		out.Weights = b.Weights[i*k : (i+1)*k]
	}
	return out
}

// evalMeanOfSamples is reduction None: the mean over samples of the loss of each sample alone.
func evalMeanOfSamples[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	per := g.c * g.s
	g1 := geom{1, g.c, g.s}
	var total float64
	for i := 0; i < g.n; i++ {
		sb := sample(ws, g, b, i)
		var sg []T
		if grad != nil {
			sg = grad[i*per : (i+1)*per]
		}
		total += eval(l, ws, g1, sg, sb)
	}
	scaleGrad(grad, 1/float64(g.n))
	return total / float64(g.n)
}

// PerSampleLoss writes into dst (length N) the loss of each sample of b
// taken alone, the values behind reduction "none". Errors are those of Eval.
func PerSampleLoss[T Float](dst []float64, l *Loss, b Batch[T]) error {
	if l.terms != nil {
		return perSampleSum(dst, l, b)
	}
	g, err := checkBatch[T](l, b, nil)
	if err != nil {
		return err
	}
	if len(dst) != g.n {
		return fmt.Errorf("segloss: %s: dst has length %d, want N = %d", l.name, len(dst), g.n)
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	g1 := geom{1, g.c, g.s}
	for i := range dst {
		v := eval[T](l, ws, g1, nil, sample(ws, g, b, i))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("segloss: %s: the loss of sample %d is %v", l.name, i, v)
		}
		dst[i] = v
	}
	return nil
}
