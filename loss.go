package segloss

import (
	"fmt"
	"math"
	"strconv"
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
	// and every region sum (dice and the other region losses): an integer
	// weight k counts the pixel k times. Other losses reject it.
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
	if b32, ok := any(b).(Batch[float32]); ok && l.d.fused != nil && b.Weights == nil {
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

// finite returns an *InputError wrapping ErrNonFinite when the loss value
// v is NaN or infinite.
func finite(l *Loss, v float64, shape []int) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &InputError{Loss: l.name, Field: "loss", Index: -1, Err: &reason{
			msg:   "the loss is " + formatValue(v) + " (input " + formatShape(shape) + "); check extreme probabilities and the options",
			kinds: []error{ErrNonFinite}}}
	}
	return nil
}

// eval runs the general path of l's descriptor; inputs are already checked.
func eval[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	if l.opts.Reduction == None && g.n > 1 {
		return evalMeanOfSamples(l, ws, g, grad, b)
	}
	var f any = l.d.eval.f64
	if _, ok := any(grad).([]float32); ok {
		f = l.d.eval.f32
	}
	return f.(evalFunc[T])(l, ws, g, grad, b)
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
		total += evalOne(l, ws, g1, sg, sb)
	}
	scaleGrad(grad, 1/float64(g.n))
	return total / float64(g.n)
}

// evalOne is the loss of one sample of reduction none: the fused float32
// path where there is one (values are already checked), else the general path.
func evalOne[T Float](l *Loss, ws *workspace, g1 geom, grad []T, b Batch[T]) float64 {
	if b32, ok := any(b).(Batch[float32]); ok && l.d.fused != nil && b.Weights == nil {
		g32, _ := any(grad).([]float32)
		if v, handled, bad := fusedWith(l, &ws.fast, g1, g32, b32); handled && !bad {
			return v
		}
	}
	return eval(l, ws, g1, grad, b)
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
		return inputErr(l.name, "dst", -1, "dst has length %d, want N = %d", len(dst), g.n)
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	g1 := geom{1, g.c, g.s}
	for i := range dst {
		v := evalOne[T](l, ws, g1, nil, sample(ws, g, b, i))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &InputError{Loss: l.name, Field: "loss", Index: i, Err: &reason{
				msg: "the loss of sample " + strconv.Itoa(i) + " is " + formatValue(v), kinds: []error{ErrNonFinite}}}
		}
		dst[i] = v
	}
	return nil
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func formatShape(shape []int) string { return fmt.Sprint(shape) }
