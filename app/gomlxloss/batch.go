package gomlxloss

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/segloss/segloss"
)

// batch is the graph form of a segloss.Batch with the spatial axes
// flattened: every tensor is [N, C, S] or, for pixels, [N, 1, S].
type batch struct {
	n, c, s int
	x       *Node // input [N, C, S]
	t       *Node // float target [N, C, S] (one-hot for class indices), 0 where ignored
	v       *Node // weight of each element [N, C, S], 0 where ignored; nil: all 1
	pix     *Node // weight of each pixel [N, 1, S] (class indices only); nil: all 1
	y       *Node // class indices [N, 1, S] (Int32, ignored pixels set to 0), or nil
	// global turns a sum over this device's shard into the sum over the
	// whole batch (Loss.WithAllReduce); nil on one device.
	global func(*Node) *Node
}

// sum returns the sum of x over the whole batch: ReduceAllSum, all-reduced
// across devices with WithAllReduce.
func (b *batch) sum(x *Node) *Node { return b.globalize(ReduceAllSum(x)) }

// globalize all-reduces a partial sum across devices (identity on one).
func (b *batch) globalize(x *Node) *Node {
	if b.global == nil {
		return x
	}
	return b.global(x)
}

// newBatch reads the prediction and the labels of Graph into a batch.
func newBatch(o *segloss.Options, name segloss.Name, labels []*Node, pred *Node) *batch {
	dims := pred.Shape().Dimensions
	if len(dims) < 2 {
		panic(fmt.Errorf("gomlxloss: %s: predictions must be [N, C, spatial...], got %s", name, pred.Shape()))
	}
	b := &batch{n: dims[0], c: dims[1], s: 1}
	for _, d := range dims[2:] {
		b.s *= d
	}
	dt := pred.DType()
	b.x = Reshape(pred, b.n, b.c, b.s)
	target := labels[0]
	td := target.Shape().Dimensions
	switch {
	case target.DType().IsInt() || (len(td) == len(dims)-1 && o.Mode == segloss.Multiclass):
		if o.Mode != segloss.Multiclass {
			panic(fmt.Errorf("gomlxloss: %s: class-index labels need mode multiclass", name))
		}
		if !slices.Equal(td, append([]int{dims[0]}, dims[2:]...)) {
			panic(fmt.Errorf("gomlxloss: %s: labels %s do not fit predictions %s", name, target.Shape(), pred.Shape()))
		}
		y := Reshape(ConvertDType(target, dtypes.Int32), b.n, 1, b.s)
		if o.Ignore {
			keep := NotEqual(y, Scalar(y.Graph(), dtypes.Int32, o.IgnoreIndex))
			b.pix = ConvertDType(keep, dt)
			y = Where(keep, y, ZerosLike(y))
		}
		b.y = y
		b.t = Transpose(OneHot(Reshape(y, b.n, b.s), b.c, dt), 1, 2)
	default:
		if !slices.Equal(td, dims) {
			panic(fmt.Errorf("gomlxloss: %s: target %s does not fit predictions %s", name, target.Shape(), pred.Shape()))
		}
		t := Reshape(ConvertDType(target, dt), b.n, b.c, b.s)
		if o.Ignore {
			keep := NotEqual(t, Scalar(t.Graph(), dt, o.IgnoreIndex))
			b.v = ConvertDType(keep, dt)
			t = Where(keep, t, ZerosLike(t))
		}
		b.t = t
	}
	var extraW *Node // product of the mask and weights of labels[1:], [N, 1, S]
	for _, extra := range labels[1:] {
		if !slices.Equal(extra.Shape().Dimensions, append([]int{dims[0]}, dims[2:]...)) {
			panic(fmt.Errorf("gomlxloss: %s: mask or weights %s must be [N, spatial...] of predictions %s", name, extra.Shape(), pred.Shape()))
		}
		extraW = mulOpt(extraW, Reshape(ConvertDType(extra, dt), b.n, 1, b.s))
	}
	b.pix = mulOpt(b.pix, extraW)
	switch {
	case b.y != nil && b.pix != nil:
		b.v = BroadcastToDims(b.pix, b.n, b.c, b.s)
	case b.y == nil && extraW != nil:
		b.v = mulOpt(b.v, BroadcastToDims(extraW, b.n, b.c, b.s))
	}
	return b
}

// mulOpt multiplies two optional weights (nil means all ones).
func mulOpt(a, b *Node) *Node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return Mul(a, b)
}

// weighted returns x*v, or x when v is nil.
func weighted(x, v *Node) *Node {
	if v == nil {
		return x
	}
	return Mul(x, v)
}

// sample returns sample i of b as a batch of one.
func (b *batch) sample(i int) *batch {
	cut := func(x *Node) *Node {
		if x == nil {
			return nil
		}
		return Slice(x, AxisElem(i))
	}
	return &batch{n: 1, c: b.c, s: b.s, x: cut(b.x), t: cut(b.t), v: cut(b.v), pix: cut(b.pix), y: cut(b.y)} // a sample lives on one device: no all-reduce
}

// as returns b with its float tensors converted to dtype dt.
func (b *batch) as(dt dtypes.DType) *batch {
	conv := func(x *Node) *Node {
		if x == nil || x.DType() == dt {
			return x
		}
		return ConvertDType(x, dt)
	}
	return &batch{n: b.n, c: b.c, s: b.s, x: conv(b.x), t: conv(b.t), v: conv(b.v), pix: conv(b.pix), y: b.y, global: b.global}
}

// probabilities returns the activated input: sigmoid, softmax over the
// channels, or the input itself when it holds probabilities.
func probabilities(o *segloss.Options, b *batch) *Node {
	switch {
	case !o.FromLogits:
		return b.x
	case o.Mode == segloss.Multiclass:
		return Softmax(b.x, 1)
	default:
		return Sigmoid(b.x)
	}
}

// scalar returns a constant of x's dtype.
func scalar(x *Node, v float64) *Node { return Scalar(x.Graph(), x.DType(), v) }

// powZero is base^e for base >= 0 with 0^e = 0 (and 0^0 = 1), with a
// gradient that is finite everywhere (0 at base 0), as the core's powZero.
func powZero(base *Node, e float64) *Node {
	pos := GreaterThan(base, ZerosLike(base))
	safe := Where(pos, base, OnesLike(base))
	zero := 0.0
	if e == 0 {
		zero = 1
	}
	return Where(pos, Pow(safe, scalar(base, e)), Add(ZerosLike(base), scalar(base, zero)))
}

// withGradient returns a node whose value is value and whose gradient with
// respect to x is grad (element by element): value + (x - sg(x))*sg(grad).
func withGradient(value, x, grad *Node) *Node {
	return Add(StopGradient(value), Mul(Sub(x, StopGradient(x)), StopGradient(grad)))
}

// expm1 is e^y - 1 with its gradient e^y (graph Expm1 has no gradient).
func expm1(y *Node) *Node { return withGradient(Expm1(y), y, Exp(y)) }

// absZero is |x| with gradient sign(x), 0 at x = 0 (as the core's |.|'(0) = 0).
func absZero(x *Node) *Node {
	return Where(GreaterThan(x, ZerosLike(x)), x, Where(LessThan(x, ZerosLike(x)), Neg(x), ZerosLike(x)))
}
