package segloss

func init() {
	register(&descriptor{name: DiceBCE, kind: kindMixed, probClip: true,
		keys:     []string{"mode", "from_logits", "smooth", "eps", "reduction", "bce_weight", "dice_weight", "ignore_index", "class_weights"},
		defaults: map[string]string{"from_logits": "true", "eps": "1e-7"},
		check: func(o *Options) error {
			if o.Mode == Multiclass && !o.FromLogits {
				return &OptionError{Loss: DiceBCE, Key: "from_logits", Value: "false", Err: errString("dice_bce in multiclass mode expects logits (from_logits=true)")}
			}
			return nil
		},
		eval: general{diceBCE[float32], diceBCE[float64]}, fused: fastRegion})
}

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
			co, _ = DefaultOptions(CrossEntropy)
			co.ClassWeights = o.ClassWeights
			if o.Ignore {
				co.IgnoreIndex = o.IgnoreIndex
			}
			l.sub[0] = MustNew(CrossEntropy, &co)
		} else {
			co, _ = DefaultOptions(BCE)
			co.FromLogits, co.Eps = o.FromLogits, o.Eps
			co.Ignore, co.IgnoreIndex = o.Ignore, o.IgnoreIndex
			l.sub[0] = MustNew(BCE, &co)
		}
		do, _ := DefaultOptions(Dice)
		do.Mode, do.FromLogits, do.Smooth = o.Mode, o.FromLogits, o.Smooth
		do.Reduction = o.Reduction
		if do.Reduction == None {
			do.Reduction = Global
		}
		do.Ignore, do.IgnoreIndex = o.Ignore, o.IgnoreIndex
		l.sub[1] = MustNew(Dice, &do)
	})
	return l.sub[0], l.sub[1]
}
