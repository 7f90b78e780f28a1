package gomlxloss

import (
	"math"

	"github.com/gomlx/compute/dtypes"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/segloss/segloss"
)

// stats are the graph form of segloss.RegionStats: per (group, class)
// sums, each [G, K] (G groups: 1 or N; K classes: C, or 1 for mcc).
type stats struct {
	tp, sp, sg, sp2, sg2, sa, cnt *Node
}

// regionStats sums probabilities p against the target of b, per sample
// when perSample is set and over all channels pooled when pool is set.
func regionStats(p *Node, b *batch, perSample, pool bool) stats {
	t, v := b.t, b.v
	red := func(x *Node) *Node {
		x = sumRegion(weighted(x, v), b, perSample, pool)
		if perSample {
			return x // one group per sample: each sample lives on one device
		}
		return b.globalize(x)
	}
	cnt := OnesLike(p)
	return stats{
		tp: red(Mul(p, t)), sp: red(p), sg: red(t), sp2: red(Square(p)), sg2: red(Square(t)),
		sa: red(absZero(Sub(p, t))), cnt: red(cnt),
	}
}

// sumRegion sums x [N, C, S] into [G, K]: per sample or over the batch,
// per channel or pooled.
func sumRegion(x *Node, b *batch, perSample, pool bool) *Node {
	switch {
	case perSample && pool:
		return Reshape(ReduceSum(x, 1, 2), b.n, 1)
	case perSample:
		return ReduceSum(x, 2)
	case pool:
		return Reshape(ReduceAllSum(x), 1, 1)
	default:
		return Reshape(ReduceSum(x, 0, 2), 1, b.c)
	}
}

// regionLoss evaluates the region loss g (dice, jaccard, tversky,
// focal_tversky, generalized_dice, log_cosh_dice, mcc) on b.
func regionLoss(g *graphLoss, o *segloss.Options, b *batch) *Node {
	// Sums and ratios in float64: mcc and near-perfect overlaps cancel badly in float32.
	dt := b.x.DType()
	b = b.as(dtypes.Float64)
	p := probabilities(o, b)
	s := regionStats(p, b, o.Reduction == segloss.PerSample, g.pooled)
	if g.whole != nil {
		return ConvertDType(g.whole(o, s, b.c), dt)
	}
	l := g.region(o, s) // [G, K]
	k := l.Shape().Dimensions[1]
	w := make([]float64, k)
	if g.pooled {
		w[0] = 1
	} else {
		o.ClassMeanWeights(w)
	}
	total := ReduceAllMean(ReduceSum(Mul(l, Reshape(Const(l.Graph(), toDType(w, l)), 1, k)), 1))
	if g.outer != nil {
		total = g.outer(total)
	}
	return ConvertDType(total, dt)
}

// logCosh is log cosh x = |x| + log1p(exp(-2|x|)) - log 2, for x >= 0.
func logCosh(x *Node) *Node {
	return AddScalar(Add(x, Log1p(Exp(MulScalar(x, -2)))), -math.Ln2)
}

// floorDen applies the eps floor to a denominator (no gradient below it).
func floorDen(o *segloss.Options, den *Node) *Node {
	if o.Eps > 0 {
		return MaxScalar(den, o.Eps)
	}
	return den
}

// scoreLoss turns an overlap score into 1-d, or -log(max(d, floor)).
func scoreLoss(o *segloss.Options, d *Node) *Node {
	if !o.LogLoss {
		return OneMinus(d)
	}
	floor := o.Eps
	if floor <= 0 {
		floor = 1e-7
	}
	return Neg(Log(MaxScalar(d, floor)))
}

// emptyZero zeroes the loss of classes whose target sum is 0.
func emptyZero(l, sg *Node) *Node {
	return Where(Equal(sg, ZerosLike(sg)), ZerosLike(l), l)
}

// overlapClass is the Dice (or, with jaccard, the IoU) loss of every
// (group, class) entry of s.
func overlapClass(o *segloss.Options, s stats, jaccard bool) *Node {
	tp, sp, sg := s.tp, s.sp, s.sg
	sm := o.Smooth
	if o.TPForm == segloss.L1 {
		tp = MulScalar(Sub(Add(sp, sg), s.sa), 0.5)
	}
	var score *Node
	if jaccard {
		score = Div(AddScalar(tp, sm), floorDen(o, AddScalar(Sub(Add(sp, sg), tp), sm)))
	} else {
		den := Add(sp, sg)
		if o.Squared {
			den = Add(s.sp2, s.sg2)
		}
		score = Div(AddScalar(MulScalar(tp, 2), sm), floorDen(o, AddScalar(den, sm)))
	}
	l := scoreLoss(o, score)
	if o.EmptyZero {
		l = emptyZero(l, sg)
	}
	return l
}

func diceClass(o *segloss.Options, s stats) *Node    { return overlapClass(o, s, false) }
func jaccardClass(o *segloss.Options, s stats) *Node { return overlapClass(o, s, true) }

// tverskyIndex is the Tversky index of every entry of s.
func tverskyIndex(o *segloss.Options, s stats) *Node {
	tp, sp, sg := s.tp, s.sp, s.sg
	a, bt := o.Alpha, o.Beta
	den := Add(Add(tp, MulScalar(Sub(sp, tp), a)), AddScalar(MulScalar(Sub(sg, tp), bt), o.Smooth))
	return Div(AddScalar(tp, o.Smooth), floorDen(o, den))
}

func tverskyClass(o *segloss.Options, s stats) *Node {
	l := OneMinus(tverskyIndex(o, s))
	if o.EmptyZero {
		l = emptyZero(l, s.sg)
	}
	return l
}

func focalTverskyClass(o *segloss.Options, s stats) *Node {
	return powZero(MaxScalar(OneMinus(tverskyIndex(o, s)), 0), o.Gamma)
}

// mccClass is 1 - MCC of the pooled counts.
func mccClass(o *segloss.Options, s stats) *Node {
	tp, sp, sg := s.tp, s.sp, s.sg
	e := o.Eps
	TP := AddScalar(tp, e)
	fp := Sub(sp, tp)
	TN := AddScalar(Sub(Sub(s.cnt, sg), fp), e) // exact differences for hard targets, as in the core
	FP := AddScalar(fp, e)
	FN := AddScalar(Sub(sg, tp), e)
	den := Sqrt(Mul(Mul(Add(TP, FP), Add(TP, FN)), Mul(Add(TN, FP), Add(TN, FN))))
	l := OneMinus(Div(Sub(Mul(TP, TN), Mul(FP, FN)), den))
	return Where(Equal(s.cnt, ZerosLike(s.cnt)), ZerosLike(l), l) // every element ignored: 0, as in the core
}

// generalizedDice is Sudre et al. 2017 with class weights from the target
// sums (an empty class takes the largest finite weight of its group).
func generalizedDice(o *segloss.Options, s stats, classes int) *Node {
	sel := o.Classes
	if sel == nil {
		sel = make([]int, classes)
		for c := range sel {
			sel[c] = c
		}
	}
	pick := func(x *Node) *Node {
		cols := make([]*Node, len(sel))
		for i, c := range sel {
			cols[i] = Slice(x, AxisRange(), AxisElem(c))
		}
		return Concatenate(cols, 1)
	}
	tp, sp, sg := pick(s.tp), pick(s.sp), pick(s.sg)
	empty := Equal(sg, ZerosLike(sg))
	var w *Node
	switch o.WType {
	case segloss.WUniform:
		w = OnesLike(sg)
	case segloss.WSimple:
		w = Reciprocal(Where(empty, OnesLike(sg), sg))
	default:
		w = Reciprocal(Square(Where(empty, OnesLike(sg), sg)))
	}
	w = Where(empty, ZerosLike(w), w)
	maxw := ReduceAndKeep(w, ReduceMax, 1)
	w = StopGradient(Where(empty, BroadcastToShape(maxw, w.Shape()), w))
	if o.WType == segloss.WUniform {
		w = OnesLike(sg)
	}
	num := AddScalar(MulScalar(ReduceSum(Mul(w, tp), 1), 2), o.Smooth)
	den := AddScalar(ReduceSum(Mul(w, Add(sp, sg)), 1), o.Smooth)
	return ReduceAllMean(OneMinus(Div(num, den)))
}
