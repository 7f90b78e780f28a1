package segloss

import (
	"math"
	"math/bits"
)

// shapeSize returns the product of dims, or ok = false when it overflows
// an int (or a dimension is negative).
func shapeSize(dims []int) (n int, ok bool) {
	n = 1
	for _, d := range dims {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		n = int(lo)
	}
	return n, true
}

// checkShape validates the shapes of b and grad and the options that
// depend on the channel count, and returns the batch geometry. It reads
// no values. Every error is an *InputError.
func checkShape[T Float](l *Loss, b Batch[T], grad []T) (geom, error) {
	name, o, d := l.name, &l.opts, l.d
	fail := func(field string, format string, a ...any) (geom, error) {
		return geom{}, inputErr(name, field, -1, format, a...)
	}
	if len(b.Shape) < 2 || len(b.Shape) > 5 {
		return fail("shape", "input shape %v: want [N, C, spatial...] with 0 to 3 spatial dimensions", b.Shape)
	}
	for _, d := range b.Shape {
		if d <= 0 {
			return fail("shape", "input shape %v: every dimension must be >= 1 (empty tensor)", b.Shape)
		}
	}
	size, ok := shapeSize(b.Shape)
	if !ok {
		return fail("shape", "input shape %v: the element count overflows", b.Shape)
	}
	s, _ := shapeSize(b.Shape[2:])
	g := geom{n: b.Shape[0], c: b.Shape[1], s: s}
	if len(b.Input) != size {
		return fail("input", "input has %d values, shape %v needs %d", len(b.Input), b.Shape, size)
	}
	if grad != nil && len(grad) != len(b.Input) {
		return fail("grad", "grad has %d values, input shape %v needs %d", len(grad), b.Shape, size)
	}
	if (b.Target == nil) == (b.Labels == nil) {
		return fail("target", "set exactly one of Target (shape %v) and Labels (shape %v)", b.Shape, labelShape(b.Shape))
	}
	multiclass := o.Mode == Multiclass
	if o.Mode == Binary && g.c != 1 && d.keySet["mode"] {
		return fail("shape", "binary mode needs C = 1, input shape %v has C = %d (use mode=multilabel or multiclass)", b.Shape, g.c)
	}
	if b.Labels != nil {
		if !multiclass {
			return fail("labels", "class-index Labels need a multiclass loss; give a float Target of shape %v", b.Shape)
		}
		if len(b.Labels) != g.n*g.s {
			return fail("labels", "labels have %d values, shape %v needs %d for input shape %v", len(b.Labels), labelShape(b.Shape), g.n*g.s, b.Shape)
		}
	} else if d.labelsOnly {
		return fail("target", "needs class-index Labels of shape %v, not a float Target", labelShape(b.Shape))
	} else if len(b.Target) != len(b.Input) {
		return fail("target", "target has %d values, input shape %v needs %d", len(b.Target), b.Shape, len(b.Input))
	}
	if err := checkWeights(l, g, b); err != nil {
		return geom{}, err
	}
	if sp := o.Spacing; sp != nil && len(sp) != max(len(b.Shape)-2, 1) {
		return fail("shape", "spacing %v has %d entries, input shape %v has %d spatial dimensions", sp, len(sp), b.Shape, len(b.Shape)-2)
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
// targets in [0, 1], labels in range. Every error is an *InputError.
func checkValues[T Float](l *Loss, g geom, b Batch[T]) error {
	name, o, d := l.name, &l.opts, l.d
	if err := checkWeightValues(name, b.Weights); err != nil {
		return err
	}
	if valuesClean(l, g, b) {
		return nil
	}
	probs := !o.FromLogits
	for i, v := range b.Input {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nonFiniteErr(name, "input", i, "input[%d] = %v: input must be finite", i, f)
		}
		if probs && (f < 0 || f > 1) {
			return inputErr(name, "input", i, "input[%d] = %v: probabilities must be in [0, 1] (from_logits=false)", i, f)
		}
	}
	ign := float64(o.IgnoreIndex)
	ignoreTarget := o.Ignore && !d.targetNoIgnore
	for i, v := range b.Target {
		f := float64(v)
		if ignoreTarget && f == ign {
			continue
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nonFiniteErr(name, "target", i, "target[%d] = %v: target values must be in [0, 1]", i, f)
		}
		if f < 0 || f > 1 {
			return inputErr(name, "target", i, "target[%d] = %v: target values must be in [0, 1]", i, f)
		}
		if d.binaryTarget && f != 0 && f != 1 {
			return inputErr(name, "target", i, "target[%d] = %v: %s needs 0/1 labels", i, f, name)
		}
	}
	for i, v := range b.Labels {
		if o.Ignore && int(v) == o.IgnoreIndex {
			continue
		}
		if v < 0 || int(v) >= g.c {
			if o.Ignore {
				return inputErr(name, "labels", i, "labels[%d] = %d: class index out of range [0, %d) and not ignore_index %d", i, v, g.c, o.IgnoreIndex)
			}
			return inputErr(name, "labels", i, "labels[%d] = %d: class index out of range [0, %d)", i, v, g.c)
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
		return inputErr(l.name, "class_weights", -1, "class_weights has %d entries, the input has C = %d channels", len(o.ClassWeights), c)
	}
	for _, k := range o.Classes {
		if k >= c {
			return inputErr(l.name, "classes", -1, "classes %v: class %d is out of range for C = %d channels", o.Classes, k, c)
		}
	}
	if m := o.DistMatrix; m != nil && len(m) != c {
		return inputErr(l.name, "dist_matrix", -1, "dist_matrix is %d×%d, the input has C = %d channels", len(m), len(m), c)
	}
	if o.ClassWeights != nil && o.Classes == nil {
		s := 0.0
		for _, w := range o.ClassWeights {
			s += w
		}
		if s == 0 {
			return inputErr(l.name, "class_weights", -1, "class_weights sum to 0")
		}
	}
	return nil
}
