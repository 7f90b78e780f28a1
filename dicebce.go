package segloss

// diceBCE is bce_weight*CE + dice_weight*Dice: binary cross-entropy (or
// multiclass cross-entropy) plus the Dice loss, both on the same input.
func diceBCE[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	ce, dice := l.parts()
	v1 := eval(ce, ws, g, grad, b)
	scaleGrad(grad, o.BCEWeight)
	var g2 []T
	if grad != nil {
		g2 = scratchT[T](ws, len(grad))
	}
	v2 := eval(dice, ws, g, g2, b)
	for i := range grad {
		grad[i] += T(o.DiceWeight * float64(g2[i]))
	}
	return o.BCEWeight*v1 + o.DiceWeight*v2
}

// parts returns the two terms of dice_bce, built once.
func (l *Loss) parts() (ce, dice *Loss) {
	l.once.Do(func() {
		o := &l.opts
		var co Options
		if o.Mode == Multiclass {
			co, _ = DefaultOptions("cross_entropy")
			co.ClassWeights = o.ClassWeights
			if o.Ignore {
				co.IgnoreIndex = o.IgnoreIndex
			}
			l.sub[0] = MustNew("cross_entropy", &co)
		} else {
			co, _ = DefaultOptions("bce")
			co.FromLogits, co.Eps = o.FromLogits, o.Eps
			co.Ignore, co.IgnoreIndex = o.Ignore, o.IgnoreIndex
			l.sub[0] = MustNew("bce", &co)
		}
		do, _ := DefaultOptions("dice")
		do.Mode, do.FromLogits, do.Smooth = o.Mode, o.FromLogits, o.Smooth
		do.Reduction = o.Reduction
		if do.Reduction == None {
			do.Reduction = Global
		}
		do.Ignore, do.IgnoreIndex = o.Ignore, o.IgnoreIndex
		l.sub[1] = MustNew("dice", &do)
	})
	return l.sub[0], l.sub[1]
}
