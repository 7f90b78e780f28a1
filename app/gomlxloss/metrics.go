package gomlxloss

import (
	"fmt"
	"path"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
)

// OverlapKind selects the overlap score of an OverlapMetric.
type OverlapKind int

// Overlap scores.
const (
	Dice OverlapKind = iota // 2TP / (2TP + FP + FN)
	IoU                     // TP / (TP + FP + FN)
)

// Head says how an OverlapMetric reads the model's output.
type Head struct {
	// Multiclass: predictions [N, K, spatial...] are scored by their arg-max
	// over the channels and labels are class indices [N, spatial...].
	// Otherwise (sigmoid heads) channel k-1 holds foreground class k,
	// thresholded at Threshold, and labels are float one-hot targets of
	// the predictions' shape (the layout of the losses in this package).
	Multiclass bool
	// Threshold of sigmoid heads: 0 for logits, 0.5 for probabilities.
	Threshold float64
}

// OverlapMetric is the Dice or IoU of one class as a GoMLX metric: it
// accumulates true positives, false positives and false negatives over
// every batch since Reset (pooled, as the batch-global score of the whole
// evaluation), so its value after an evaluation is exact, not a mean of
// per-batch scores. A class absent from both predictions and labels so
// far scores 1. A Bool mask [N, spatial...] in labels[1] drops pixels.
type OverlapMetric struct {
	Kind  OverlapKind
	Class int // class label (1 is the first foreground class)
	Head  Head
	Label string // name shown in reports, e.g. "Anterior"
}

var _ metric.Interface = (*OverlapMetric)(nil)

// NewDiceMetrics returns a Dice and an IoU metric for each foreground
// class 1..len(names) (names[i] is the name of class i+1).
func NewDiceMetrics(head Head, names []string) []metric.Interface {
	var out []metric.Interface
	for i, n := range names {
		out = append(out, &OverlapMetric{Kind: Dice, Class: i + 1, Head: head, Label: n},
			&OverlapMetric{Kind: IoU, Class: i + 1, Head: head, Label: n})
	}
	return out
}

func (m *OverlapMetric) kind() string {
	if m.Kind == IoU {
		return "iou"
	}
	return "dice"
}

// Name returns the metric's name, e.g. "Dice Anterior".
func (m *OverlapMetric) Name() string {
	k := "Dice"
	if m.Kind == IoU {
		k = "IoU"
	}
	return fmt.Sprintf("%s %s", k, m.label())
}

func (m *OverlapMetric) label() string {
	if m.Label != "" {
		return m.Label
	}
	return fmt.Sprintf("class%d", m.Class)
}

// ShortName returns a short name for progress bars, e.g. "dice1".
func (m *OverlapMetric) ShortName() string { return fmt.Sprintf("%s%d", m.kind(), m.Class) }

// ScopeName returns the scope of the metric's accumulators.
func (m *OverlapMetric) ScopeName() string {
	return model.EscapeScopeName(fmt.Sprintf("segloss_%s_class%d", m.kind(), m.Class))
}

// MetricType returns "dice" or "iou".
func (m *OverlapMetric) MetricType() string { return m.kind() }

// PrettyPrint formats the value with four decimals.
func (m *OverlapMetric) PrettyPrint(v *tensors.Tensor) string {
	return fmt.Sprintf("%.4f", tensors.ToScalar[float64](v))
}

// UpdateGraph adds the counts of this batch and returns the score so far.
func (m *OverlapMetric) UpdateGraph(scope *model.Scope, labels, predictions []*Node) *Node {
	pred, truth := m.foreground(labels[0], predictions[0])
	if len(labels) > 1 && labels[1].DType() == dtypes.Bool {
		keep := Reshape(labels[1], truth.Shape().Dimensions...)
		pred, truth = And(pred, keep), And(truth, keep)
	}
	f := func(b *Node) *Node { return ReduceAllSum(ConvertDType(b, dtypes.Float64)) }
	tp := f(And(pred, truth))
	fp := f(And(pred, LogicalNot(truth)))
	fn := f(And(LogicalNot(pred), truth))
	s := scope.At("%s", metric.Scope).At("%s", m.ScopeName())
	g := pred.Graph()
	acc := func(name string, add *Node) *Node {
		v := s.VariableWithValue(name, float64(0)).SetTrainable(false)
		sum := Add(v.NodeValue(g), add)
		v.SetNodeValue(sum)
		return sum
	}
	tp, fp, fn = acc("tp", tp), acc("fp", fp), acc("fn", fn)
	num, den := tp, Add(tp, Add(fp, fn))
	if m.Kind == Dice {
		num, den = MulScalar(tp, 2), Add(MulScalar(tp, 2), Add(fp, fn))
	}
	zero := IsZero(den)
	return Where(zero, OnesLike(den), Div(num, Where(zero, OnesLike(den), den)))
}

// foreground returns the predicted and true masks of the class, [N, spatial...].
func (m *OverlapMetric) foreground(labels, pred *Node) (p, t *Node) {
	if m.Head.Multiclass {
		p = Equal(ArgMax(pred, 1, dtypes.Int32), Scalar(pred.Graph(), dtypes.Int32, m.Class))
		if labels.DType().IsFloat() {
			labels = ArgMax(labels, 1, dtypes.Int32)
		}
		return p, Equal(ConvertDType(labels, dtypes.Int32), Scalar(pred.Graph(), dtypes.Int32, m.Class))
	}
	ch := func(x *Node) *Node {
		x = Slice(x, AxisRange(), AxisElem(m.Class-1))
		return Squeeze(x, 1)
	}
	p = GreaterThan(ch(pred), Scalar(pred.Graph(), pred.DType(), m.Head.Threshold))
	t = GreaterThan(ch(labels), Scalar(pred.Graph(), labels.DType(), 0.5))
	return p, t
}

// Reset zeroes the accumulators.
func (m *OverlapMetric) Reset(scope *model.Scope) {
	s := scope.Store().Scope(path.Join("/", metric.Scope, m.ScopeName()))
	for _, n := range []string{"tp", "fp", "fn"} {
		if v := s.GetVariable(n); v != nil {
			v.MustSetValue(tensors.FromScalar(float64(0)))
		}
	}
}
