package gomlxloss

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/segloss/segloss"
)

// The second loss family in the graph. The distance-map losses (boundary,
// hausdorff_dt, log_hausdorff_dt), the soft-skeleton losses (cldice,
// dice_cldice: their pooling tie rules are PyTorch's, not XLA's) and
// topk_ce (a data-dependent selection) have no in-graph form: they take
// the host route (HostOnly, HostGradient).

// HostOnly reports whether the loss (or a part of a weighted sum) has no
// in-graph form and must be trained through the host route: the core's
// segloss.Eval computes the gradient on the host and HostGradient feeds it
// to GoMLX's automatic differentiation. Graph panics for such losses.
func (l *Loss) HostOnly() bool { return l.anyPart(func(g *graphLoss) bool { return g.host }) }

// in64 runs a graph formula in float64 (sums and ratios cancel badly in
// float32) and converts the loss back to the input's dtype.
func in64(f func(o *segloss.Options, b *batch) *Node) func(o *segloss.Options, b *batch) *Node {
	return func(o *segloss.Options, b *batch) *Node {
		dt := b.x.DType()
		return ConvertDType(f(o, b.as(dtypes.Float64)), dt)
	}
}

// regionFocal is the graph form of dice_focal and generalized_dice_focal:
// the core's region part (segloss.Loss.RegionPart) in the graph, plus the
// focal term.
func regionFocal(name segloss.Name) func(o *segloss.Options, b *batch) *Node {
	return func(o *segloss.Options, b *batch) *Node {
		core, err := segloss.New(name, o)
		if err != nil {
			panic(err)
		}
		region := core.RegionPart()
		ro := region.Options()
		gl := &graphLoss{region: diceClass} // the same formulas as graphs[region.Name()], without the init cycle
		if region.Name() == segloss.GeneralizedDice {
			gl = &graphLoss{whole: generalizedDice}
		}
		d := regionLoss(gl, &ro, b)
		return Add(MulScalar(d, o.DiceWeight), MulScalar(focalTerm(o, b), o.FocalWeight))
	}
}

// unifiedFocal is weight asymmetric_focal + (1-weight) asymmetric_focal_tversky.
func unifiedFocal(o *segloss.Options, b *batch) *Node {
	return Add(MulScalar(asymFocal(o, b), o.Weight), MulScalar(asymFocalTversky(o, b), 1-o.Weight))
}

// channelConst returns a [1, C, 1] constant of x's dtype.
func channelConst(x *Node, v []float64) *Node {
	return Reshape(Const(x.Graph(), toDType(v, x)), 1, len(v), 1)
}

// pixelKeep returns the weight of each pixel [N, 1, S] (0 where ignored),
// or nil when every pixel is kept.
func pixelKeep(b *batch) *Node {
	if b.y != nil {
		return b.pix
	}
	if b.v == nil {
		return nil
	}
	return ReduceAndKeep(b.v, ReduceMin, 1)
}

// pixelAverage is the mean of per-pixel terms l [N, 1, S] over the kept pixels (0 if none).
func pixelAverage(b *batch, l *Node) *Node {
	keep := pixelKeep(b)
	sum := b.sum(weighted(l, keep))
	var cnt *Node
	if keep == nil {
		cnt = b.globalize(scalar(l, float64(b.n*b.s)))
	} else {
		cnt = b.sum(keep)
	}
	return Div(sum, safeDen(cnt))
}

// clampProb clamps p to [eps, 1-eps], gradient 0 strictly outside.
func clampProb(p *Node, eps float64) *Node {
	lo, hi := scalar(p, eps), scalar(p, 1-eps)
	return Where(LessThan(p, lo), BroadcastToShape(lo, p.Shape()), Where(GreaterThan(p, hi), BroadcastToShape(hi, p.Shape()), p))
}

// classMean averages l [G, K] over groups with the class-mean weights of o.
func classMean(o *segloss.Options, l *Node) *Node {
	k := l.Shape().Dimensions[1]
	w := make([]float64, k)
	o.ClassMeanWeights(w)
	return ReduceAllMean(ReduceSum(Mul(l, Reshape(Const(l.Graph(), toDType(w, l)), 1, k)), 1))
}

type hostOnlyError string

func (e hostOnlyError) Error() string {
	return "gomlxloss: " + string(e) + " has no in-graph form (distance maps, soft skeletons or a top-k selection): train it through the host route (Loss.HostOnly, HostGradient with the gradient of segloss.Eval)"
}

func errHostOnly(name segloss.Name) error { return hostOnlyError(name) }

// focalTerm is the core's focal term of dice_focal (always on logits).
func focalTerm(o *segloss.Options, b *batch) *Node {
	x, t := b.x, b.t
	c := b.c
	mult := make([]float64, c) // channel multiplicity in classes times class weight
	if o.Classes == nil {
		for i := range mult {
			mult[i] = 1
		}
	} else {
		for _, k := range o.Classes {
			mult[k]++
		}
	}
	cw := append([]float64(nil), mult...)
	for i := range cw {
		if o.ClassWeights != nil {
			cw[i] *= o.ClassWeights[i]
		}
	}
	alpha, gamma := o.Alpha, o.Gamma
	if o.FocalTerm == segloss.FocalSoftmaxTerm {
		p := Softmax(x, 1)
		lp := LogSoftmax(x, 1)
		a := make([]float64, c)
		for i := range a {
			a[i] = cw[i]
			if alpha >= 0 {
				if i == 0 {
					a[i] *= 1 - alpha
				} else {
					a[i] *= alpha
				}
			}
		}
		term := Mul(Mul(t, powZero(OneMinus(p), gamma)), Neg(lp))
		per := ReduceAndKeep(Mul(term, channelConst(term, a)), ReduceSum, 1)
		return pixelAverage(b, per)
	}
	ce := Add(Mul(t, Softplus(Neg(x))), Mul(OneMinus(t), Softplus(x)))
	q := Add(Mul(t, Sigmoid(Neg(x))), Mul(OneMinus(t), Sigmoid(x)))
	term := Mul(powZero(q, gamma), ce)
	if alpha >= 0 {
		term = Mul(term, Add(MulScalar(t, alpha), MulScalar(OneMinus(t), 1-alpha)))
	}
	keep := b.v
	if keep == nil {
		keep = OnesLike(x)
	}
	sum := b.sum(Mul(Mul(term, keep), channelConst(term, cw)))
	cnt := b.sum(Mul(keep, channelConst(keep, mult)))
	return Div(sum, safeDen(cnt))
}

// sensSpec is the core's sensitivity_specificity.
func sensSpec(o *segloss.Options, b *batch) *Node {
	p := probabilities(o, b)
	t := b.t
	ps := o.Reduction == segloss.PerSample
	red := func(x *Node) *Node {
		x = sumRegion(weighted(x, b.v), b, ps, false)
		if ps {
			return x
		}
		return b.globalize(x)
	}
	e2 := Square(Sub(t, p))
	sg, sb := red(t), red(OneMinus(t))
	a := Div(red(Mul(e2, t)), AddScalar(sg, o.Smooth))
	bb := Div(red(Mul(e2, OneMinus(t))), AddScalar(sb, o.Smooth))
	return classMean(o, Add(MulScalar(a, o.R), MulScalar(bb, 1-o.R)))
}

// combo is the core's combo loss.
func combo(o *segloss.Options, b *batch) *Node {
	p := probabilities(o, b)
	t := b.t
	pc := clampProb(p, o.Eps)
	alpha := o.Alpha
	var ce *Node
	if o.Mode == segloss.Multiclass {
		a := make([]float64, b.c)
		for i := range a {
			a[i] = 1
			if alpha >= 0 {
				a[i] = alpha
				if i == 0 {
					a[i] = 1 - alpha
				}
			}
		}
		term := Mul(Mul(t, Neg(Log(pc))), channelConst(pc, a))
		ce = pixelAverage(b, ReduceAndKeep(term, ReduceSum, 1))
	} else {
		wa, wb := 1.0, 1.0
		if alpha >= 0 {
			wa, wb = alpha, 1-alpha
		}
		term := Neg(Add(MulScalar(Mul(t, Log(pc)), wa), MulScalar(Mul(OneMinus(t), Log(OneMinus(pc))), wb)))
		ce = pixelMean(o, b, term)
	}
	s := regionStats(p, b, o.Reduction == segloss.PerSample, false)
	dc := Div(AddScalar(MulScalar(s.tp, 2), o.Smooth), AddScalar(Add(s.sp, s.sg), o.Smooth))
	return Sub(MulScalar(ce, o.CERatio), MulScalar(ReduceAllMean(dc), 1-o.CERatio))
}

// asymChannels returns the K >= 2 channels [N, K, S] of the asymmetric
// losses: the C channels (multiclass) or [1-p, p] against [1-g, g].
func asymChannels(o *segloss.Options, b *batch) (P, T *Node) {
	p := probabilities(o, b)
	if o.Mode == segloss.Multiclass {
		return p, b.t
	}
	return Concatenate([]*Node{OneMinus(p), p}, 1), Concatenate([]*Node{OneMinus(b.t), b.t}, 1)
}

// asymFocal is the core's asymmetric_focal.
func asymFocal(o *segloss.Options, b *batch) *Node {
	P, T := asymChannels(o, b)
	pc := clampProb(P, o.Eps)
	ce := Mul(T, Neg(Log(pc)))
	k := P.Shape().Dimensions[1]
	back := Mul(powZero(OneMinus(Slice(pc, AxisRange(), AxisElem(0))), o.Gamma), Slice(ce, AxisRange(), AxisElem(0)))
	fore := ReduceAndKeep(Slice(ce, AxisRange(), AxisRange(1, k)), ReduceSum, 1)
	return pixelAverage(b, Add(MulScalar(back, 1-o.Delta), MulScalar(fore, o.Delta)))
}

// asymFocalTversky is the core's asymmetric_focal_tversky.
func asymFocalTversky(o *segloss.Options, b *batch) *Node {
	P, T := asymChannels(o, b)
	pc := clampProb(P, o.Eps)
	keep := pixelKeep(b)
	ps := o.Reduction == segloss.PerSample
	red := func(x *Node) *Node {
		x = weighted(x, keep)
		if ps {
			return ReduceSum(x, 2)
		}
		return b.globalize(ReduceAndKeep(ReduceSum(x, 2), ReduceSum, 0))
	}
	tp, st, sp := red(Mul(pc, T)), red(T), red(pc)
	den := AddScalar(Add(MulScalar(st, o.Delta), MulScalar(sp, 1-o.Delta)), o.Smooth)
	om := OneMinus(Div(AddScalar(tp, o.Smooth), den)) // [G, K]
	k := om.Shape().Dimensions[1]
	back := Slice(om, AxisRange(), AxisElem(0))
	fore := powZero(MaxScalar(Slice(om, AxisRange(), AxisRange(1, k)), 0), 1-o.Gamma)
	return ReduceAllMean(Concatenate([]*Node{back, fore}, 1))
}

// wassersteinDice is the core's generalized_wasserstein_dice.
func wassersteinDice(o *segloss.Options, b *batch) *Node {
	c := b.c
	M := o.WassersteinMatrix(c)
	p := probabilities(o, b)
	t := b.t // one-hot, 0 at ignored pixels
	m := Reshape(Const(p.Graph(), toDType(M, p)), c, c)
	my := Einsum("ncs,cd->nds", t, m)               // M[y, d] per pixel
	wass := ReduceAndKeep(Mul(my, p), ReduceSum, 1) // [N, 1, S]
	keep := pixelKeep(b)
	ps := o.Reduction == segloss.PerSample
	red := func(x *Node) *Node { // [N, K, S] -> [G, K]
		x = weighted(x, keep)
		if ps {
			return ReduceSum(x, 2)
		}
		return b.globalize(ReduceAndKeep(ReduceSum(x, 2), ReduceSum, 0))
	}
	var a *Node // [G, C] class weights
	if o.WeightingMode == segloss.WeightGDL {
		a = StopGradient(Reciprocal(AddScalar(red(t), 1)))
	} else {
		w := make([]float64, c)
		for i := 1; i < c; i++ {
			w[i] = 1
		}
		a = Reshape(Const(p.Graph(), toDType(w, p)), 1, c)
	}
	g := a.Shape().Dimensions[0]
	ay := ReduceAndKeep(Mul(t, Reshape(a, g, c, 1)), ReduceSum, 1) // a_y [N, 1, S]
	tp := red(Mul(ay, OneMinus(wass)))
	var den *Node
	if o.WeightingMode == segloss.WeightGDL {
		den = red(Mul(ay, Sub(scalar(wass, 2), wass)))
	} else {
		den = Add(MulScalar(tp, 2), red(wass))
	}
	return ReduceAllMean(OneMinus(Div(AddScalar(MulScalar(tp, 2), o.Smooth), AddScalar(den, o.Smooth))))
}
