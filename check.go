package segloss

import (
	"fmt"
	"math"
)

// checkShape validates the shapes of b and grad and the options that
// depend on the channel count, and returns the batch geometry. It reads
// no values.
func checkShape[T Float](l *Loss, b Batch[T], grad []T) (geom, error) {
	name, o := l.name, &l.opts
	fail := func(format string, a ...any) (geom, error) {
		return geom{}, fmt.Errorf("segloss: %s: "+format, append([]any{name}, a...)...)
	}
	if len(b.Shape) < 2 || len(b.Shape) > 5 {
		return fail("input shape %v: want [N, C, spatial...] with 0 to 3 spatial dimensions", b.Shape)
	}
	g := geom{n: b.Shape[0], c: b.Shape[1], s: 1}
	for _, d := range b.Shape {
		if d <= 0 {
			return fail("input shape %v: every dimension must be >= 1 (empty tensor)", b.Shape)
		}
	}
	for _, d := range b.Shape[2:] {
		g.s *= d
	}
	if len(b.Input) != g.size() {
		return fail("input has %d values, shape %v needs %d", len(b.Input), b.Shape, g.size())
	}
	if grad != nil && len(grad) != len(b.Input) {
		return fail("grad has %d values, input shape %v needs %d", len(grad), b.Shape, g.size())
	}
	if (b.Target == nil) == (b.Labels == nil) {
		return fail("set exactly one of Target (shape %v) and Labels (shape %v)", b.Shape, labelShape(b.Shape))
	}
	multiclass := o.Mode == Multiclass
	if o.Mode == Binary && g.c != 1 && optionSet(name)["mode"] {
		return fail("binary mode needs C = 1, input shape %v has C = %d (use mode=multilabel or multiclass)", b.Shape, g.c)
	}
	if b.Labels != nil {
		if !multiclass {
			return fail("class-index Labels need a multiclass loss; give a float Target of shape %v", b.Shape)
		}
		if len(b.Labels) != g.n*g.s {
			return fail("labels have %d values, shape %v needs %d for input shape %v", len(b.Labels), labelShape(b.Shape), g.n*g.s, b.Shape)
		}
	} else if name == "lovasz_softmax" || name == "generalized_wasserstein_dice" {
		return fail("needs class-index Labels of shape %v, not a float Target", labelShape(b.Shape))
	} else if len(b.Target) != len(b.Input) {
		return fail("target has %d values, input shape %v needs %d", len(b.Target), b.Shape, len(b.Input))
	}
	if err := checkWeights(name, g, b); err != nil {
		return geom{}, err
	}
	if sp := o.Spacing; sp != nil && len(sp) != max(len(b.Shape)-2, 1) {
		return fail("spacing %v has %d entries, input shape %v has %d spatial dimensions", sp, len(sp), b.Shape, len(b.Shape)-2)
	}
	if err := checkOptionsForC(l, g.c); err != nil {
		return geom{}, err
	}
	return g, nil
}

// checkBatch validates b and grad against loss l and returns the batch
// geometry: checkShape, then checkValues, which reads every value once
// (the price of never returning a silent NaN; the fused float32 kernels
// do these checks inside their first pass instead).
func checkBatch[T Float](l *Loss, b Batch[T], grad []T) (geom, error) {
	g, err := checkShape(l, b, grad)
	if err != nil {
		return g, err
	}
	return g, checkValues(l, g, b)
}

// checkValues checks every value of b: finite inputs, probabilities and
// targets in [0, 1], labels in range.
func checkValues[T Float](l *Loss, g geom, b Batch[T]) error {
	name, o := l.name, &l.opts
	fail := func(format string, a ...any) error {
		return fmt.Errorf("segloss: %s: "+format, append([]any{name}, a...)...)
	}
	if err := checkWeightValues(name, b.Weights); err != nil {
		return err
	}
	probs := !o.FromLogits
	for i, v := range b.Input {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fail("input[%d] = %v: input must be finite", i, f)
		}
		if probs && (f < 0 || f > 1) {
			return fail("input[%d] = %v: probabilities must be in [0, 1] (from_logits=false)", i, f)
		}
	}
	ign := float64(o.IgnoreIndex)
	// Float targets of the softmax cross-entropies have no ignore value (torch).
	ignoreTarget := o.Ignore && name != "cross_entropy" && name != "focal_softmax" && name != "topk_ce"
	for i, v := range b.Target {
		f := float64(v)
		if ignoreTarget && f == ign {
			continue
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1 {
			return fail("target[%d] = %v: target values must be in [0, 1]", i, f)
		}
		if (name == "lovasz_hinge") && f != 0 && f != 1 {
			return fail("target[%d] = %v: lovasz_hinge needs 0/1 labels", i, f)
		}
	}
	for i, v := range b.Labels {
		if o.Ignore && int(v) == o.IgnoreIndex {
			continue
		}
		if v < 0 || int(v) >= g.c {
			if o.Ignore {
				return fail("labels[%d] = %d: class index out of range [0, %d) and not ignore_index %d", i, v, g.c, o.IgnoreIndex)
			}
			return fail("labels[%d] = %d: class index out of range [0, %d)", i, v, g.c)
		}
	}
	return nil
}

func labelShape(shape []int) []int {
	if len(shape) < 2 {
		return nil
	}
	return append([]int{shape[0]}, shape[2:]...)
}

// checkOptionsForC checks the options that depend on the channel count.
func checkOptionsForC(l *Loss, c int) error {
	o := &l.opts
	if o.ClassWeights != nil && len(o.ClassWeights) != c {
		return fmt.Errorf("segloss: %s: class_weights has %d entries, the input has C = %d channels", l.name, len(o.ClassWeights), c)
	}
	for _, k := range o.Classes {
		if k >= c {
			return fmt.Errorf("segloss: %s: classes %v: class %d is out of range for C = %d channels", l.name, o.Classes, k, c)
		}
	}
	if m := o.DistMatrix; m != nil && len(m) != c {
		return fmt.Errorf("segloss: %s: dist_matrix is %d×%d, the input has C = %d channels", l.name, len(m), len(m), c)
	}
	if o.ClassWeights != nil && o.Classes == nil {
		s := 0.0
		for _, w := range o.ClassWeights {
			s += w
		}
		if s == 0 {
			return fmt.Errorf("segloss: %s: class_weights sum to 0", l.name)
		}
	}
	return nil
}
