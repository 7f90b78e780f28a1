package gomlxloss

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/segloss/segloss"
)

// bceTerm returns the elementwise binary cross-entropy of input x (logits
// or probabilities, per o.FromLogits) against target t, with the core's
// conventions (Keras clip for eps > 0, torch.nn.BCELoss for eps == 0).
func bceTerm(o *segloss.Options, x, t *Node) *Node {
	if o.LabelSmoothing != 0 {
		ls := o.LabelSmoothing
		t = Add(MulScalar(t, 1-ls), MulScalar(OneMinus(t), ls))
	}
	if o.FromLogits {
		pos := Mul(t, Softplus(Neg(x)))
		if o.PosWeight != 1 {
			pos = MulScalar(pos, o.PosWeight)
		}
		return Add(pos, Mul(OneMinus(t), Softplus(x)))
	}
	if eps := o.Eps; eps > 0 {
		lo, hi := scalar(x, eps), scalar(x, 1-eps)
		pc := Where(LessThan(x, lo), BroadcastToShape(lo, x.Shape()),
			Where(GreaterThan(x, hi), BroadcastToShape(hi, x.Shape()), x))
		le := o.LogEps
		return Neg(Add(Mul(t, Log(AddScalar(pc, le))), Mul(OneMinus(t), Log(AddScalar(OneMinus(pc), le)))))
	}
	// torch.nn.BCELoss: logs clamped at -100, gradient (p-t)/max(p(1-p), 1e-12).
	lp := MaxScalar(Log(x), -100)
	l1p := MaxScalar(Log1p(Neg(x)), -100)
	value := Neg(Add(Mul(t, lp), Mul(OneMinus(t), l1p)))
	grad := Div(Sub(x, t), MaxScalar(Mul(x, OneMinus(x)), segloss.TorchBCEEps))
	return withGradient(value, x, grad)
}

// bceLoss is bce and bce_logits.
func bceLoss(o *segloss.Options, b *batch) *Node { return pixelMean(o, b, bceTerm(o, b.x, b.t)) }

// pixelMean reduces per-element terms l [N, C, S] to their mean over the
// elements that are not ignored (weighted by b.v), or their sum; an all
// ignored batch has loss 0.
func pixelMean(o *segloss.Options, b *batch, l *Node) *Node {
	sum := b.sum(weighted(l, b.v))
	if o.Reduction == segloss.Sum {
		return sum
	}
	var cnt *Node
	if b.v == nil {
		cnt = b.globalize(scalar(l, float64(b.n*b.c*b.s)))
	} else {
		cnt = b.sum(b.v)
	}
	return Div(sum, safeDen(cnt))
}

// safeDen returns d where d > 0 and 1 elsewhere (a zero count means a zero sum).
func safeDen(d *Node) *Node {
	return Where(GreaterThan(d, ZerosLike(d)), d, OnesLike(d))
}

// focalFactor is the Keras focal transform alpha*(1-e^-l)^gamma*l of a
// cross-entropy value l >= 0.
func focalFactor(alpha, gamma float64, l *Node) *Node {
	u := Neg(expm1(Neg(l)))
	return MulScalar(Mul(powZero(u, gamma), l), alpha)
}

// focalKeras is alpha*(1-exp(-BCE))^gamma*BCE per element (form
// "elementwise") or of the mean BCE (form "mean_bce").
func focalKeras(o *segloss.Options, b *batch) *Node {
	ce := bceTerm(o, b.x, b.t)
	if o.Form == segloss.MeanBCE {
		return focalFactor(o.Alpha, o.Gamma, pixelMean(o, b, ce))
	}
	return pixelMean(o, b, focalFactor(o.Alpha, o.Gamma, ce))
}

// focalSigmoid is the torchvision / smp focal loss a_t*(1-p_t)^gamma*BCE.
func focalSigmoid(o *segloss.Options, b *batch) *Node {
	bo := *o
	bo.PosWeight = 1
	x, t := b.x, b.t
	ce := bceTerm(&bo, x, t)
	var om *Node
	if o.PtForm == segloss.PtExp {
		om = Neg(expm1(Neg(ce)))
	} else {
		p := x
		if o.FromLogits {
			p = Sigmoid(x)
		}
		pt := Add(Mul(p, t), Mul(OneMinus(p), OneMinus(t)))
		om = OneMinus(pt)
	}
	l := Mul(ce, powZero(om, o.Gamma))
	if o.Alpha >= 0 {
		at := Add(MulScalar(t, o.Alpha), MulScalar(OneMinus(t), 1-o.Alpha))
		l = Mul(at, l)
	}
	return pixelMean(o, b, l)
}

// softmaxCE is the multiclass cross-entropy (torch.nn.CrossEntropyLoss
// semantics) or, when focal is true, the softmax focal loss
// -w_c t_c (1-p_c)^gamma log p_c.
func softmaxCE(focal bool, o *segloss.Options, b *batch) *Node {
	x := b.x
	ls := o.LabelSmoothing
	t := b.t
	if ls != 0 {
		t = AddScalar(MulScalar(t, 1-ls), ls/float64(b.c))
	}
	wt := t
	var w *Node
	if o.ClassWeights != nil {
		w = Reshape(Const(x.Graph(), toDType(o.ClassWeights, x)), 1, b.c, 1)
		wt = Mul(t, w)
	}
	nz := NotEqual(wt, ZerosLike(wt))
	var p, lp *Node
	if o.FromLogits {
		p, lp = Softmax(x, 1), LogSoftmax(x, 1)
	} else {
		p = x
		lp = Log(Where(nz, x, OnesLike(x)))
	}
	f := lp
	if focal {
		f = Mul(powZero(OneMinus(p), o.Gamma), lp)
	}
	pixel := Neg(ReduceAndKeep(Where(nz, Mul(wt, f), ZerosLike(f)), ReduceSum, 1)) // [N, 1, S]
	num := b.sum(weighted(pixel, b.pix))
	if o.Reduction == segloss.Sum {
		return num
	}
	var den *Node
	switch {
	case b.y != nil && w != nil:
		den = b.sum(weighted(ReduceAndKeep(Mul(b.t, w), ReduceSum, 1), b.pix))
	case b.pix != nil:
		den = b.sum(b.pix)
	default:
		den = b.globalize(scalar(x, float64(b.n*b.s)))
	}
	return Div(num, safeDen(den))
}

// toDType converts values to a slice of x's float dtype, for Const.
func toDType(values []float64, x *Node) any {
	if x.DType().Size() == 8 {
		return append([]float64(nil), values...)
	}
	out := make([]float32, len(values))
	for i, v := range values {
		out[i] = float32(v)
	}
	return out
}

// diceBCE is bce_weight*CE + dice_weight*Dice on the same input, with the
// terms configured as the core's dice_bce configures them.
func diceBCE(o *segloss.Options, b *batch) *Node {
	ceOpts, diceOpts := diceBCEParts(o)
	var ce *Node
	if o.Mode == segloss.Multiclass {
		ce = softmaxCE(false, &ceOpts, b)
	} else {
		ce = pixelMean(&ceOpts, b, bceTerm(&ceOpts, b.x, b.t))
	}
	dice := regionLoss(&graphLoss{region: diceClass}, &diceOpts, b)
	return Add(MulScalar(ce, o.BCEWeight), MulScalar(dice, o.DiceWeight))
}

// diceBCEParts returns the options of the two terms of dice_bce.
func diceBCEParts(o *segloss.Options) (ce, dice segloss.Options) {
	if o.Mode == segloss.Multiclass {
		ce, _ = segloss.DefaultOptions(segloss.CrossEntropy)
		ce.ClassWeights = o.ClassWeights
		if o.Ignore {
			ce.IgnoreIndex = o.IgnoreIndex
		}
	} else {
		ce, _ = segloss.DefaultOptions(segloss.BCE)
		ce.FromLogits, ce.Eps = o.FromLogits, o.Eps
		ce.Ignore, ce.IgnoreIndex = o.Ignore, o.IgnoreIndex
	}
	dice, _ = segloss.DefaultOptions(segloss.Dice)
	dice.Mode, dice.FromLogits, dice.Smooth = o.Mode, o.FromLogits, o.Smooth
	dice.Reduction = o.Reduction
	if dice.Reduction == segloss.None {
		dice.Reduction = segloss.Global
	}
	dice.Ignore, dice.IgnoreIndex = o.Ignore, o.IgnoreIndex
	return ce, dice
}
