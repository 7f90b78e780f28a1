package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// dense is a batch of the second loss family read into float64: the input,
// its probabilities, a dense (N, C, S) target and which elements and
// pixels are kept (not ignored). The losses of that family are written
// against it, value and exact gradient in float64 whatever T is.
type dense struct {
	g       geom
	o       *Options
	spatial []int     // the spatial dims (at least one entry)
	x       []float64 // input as given
	p       []float64 // probabilities (activated input)
	t       []float64 // target: one-hot of Labels or the float Target; 0 where ignored
	keep    []bool    // per element (N, C, S)
	pixel   []bool    // per pixel (N, S): every channel of the pixel kept
	labels  []int32   // nil for float targets
}

// newDense reads b for the second-family loss with options o.
func newDense[T Float](ws *workspace, o *Options, g geom, b Batch[T]) *dense {
	d := &dense{g: g, o: o, labels: b.Labels}
	d.spatial = append([]int(nil), b.Shape[2:]...)
	if len(d.spatial) == 0 {
		d.spatial = []int{1}
	}
	n := g.size()
	if x, ok := any(b.Input).([]float64); ok {
		d.x = x // read-only
	} else {
		d.x = grow(&ws.f2x, n)
		kernel.RunFunc(n, kernel.Chunk, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				d.x[i] = float64(b.Input[i])
			}
		})
	}
	d.p = grow(&ws.f2p, n)
	d.activate()
	d.t = zeroed(&ws.f2t, n)
	d.keep = grow(&ws.f2keep, n)
	clear(d.keep)
	d.pixel = grow(&ws.f2pixel, g.n*g.s)
	ign := float64(o.IgnoreIndex)
	// One task per chunk of pixels of one sample: a pixel's channels are
	// written by one goroutine.
	per := kernel.Chunks(g.s, kernel.Chunk)
	kernel.RunFunc(g.n*per, 1, func(_, lo, hi int) {
		for task := lo; task < hi; task++ {
			nn, s0 := task/per, (task%per)*kernel.Chunk
			s1 := min(s0+kernel.Chunk, g.s)
			for s := s0; s < s1; s++ {
				d.pixel[nn*g.s+s] = true
			}
			for c := 0; c < g.c; c++ {
				off := (nn*g.c + c) * g.s
				for s := s0; s < s1; s++ {
					i := off + s
					if b.Labels != nil {
						y := int(b.Labels[nn*g.s+s])
						if o.Ignore && y == o.IgnoreIndex {
							d.pixel[nn*g.s+s] = false
							continue
						}
						d.keep[i] = true
						if y == c {
							d.t[i] = 1
						}
						continue
					}
					tv := float64(b.Target[i])
					if o.Ignore && tv == ign {
						d.pixel[nn*g.s+s] = false
						continue
					}
					d.keep[i] = true
					d.t[i] = tv
				}
			}
		}
	})
	return d
}

// activate writes the probabilities of the input into d.p, in parallel:
// sigmoid per element, softmax over the channels, or a copy.
func (d *dense) activate() {
	g, o := d.g, d.o
	if o.Mode != Multiclass || !o.FromLogits {
		kernel.RunFunc(len(d.x), kernel.Chunk, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				if o.FromLogits {
					d.p[i] = sigmoid(d.x[i])
				} else {
					d.p[i] = d.x[i]
				}
			}
		})
		return
	}
	per := kernel.Chunks(g.s, kernel.Chunk/max(g.c, 1)+1)
	step := kernel.Chunk/max(g.c, 1) + 1
	kernel.RunFunc(g.n*per, 1, func(_, lo, hi int) {
		p, lp := make([]float64, g.c), make([]float64, g.c)
		for task := lo; task < hi; task++ {
			n, s0 := task/per, (task%per)*step
			base := n * g.c * g.s
			for s := s0; s < min(s0+step, g.s); s++ {
				softmaxPixel(p, lp, d.x, base+s, g.s)
				for c, v := range p {
					d.p[base+c*g.s+s] = v
				}
			}
		}
	})
}

// at returns the flat index of sample n, channel c, element s.
func (d *dense) at(n, c, s int) int { return (n*d.g.c+c)*d.g.s + s }

// classList returns o.Classes, or every channel when it is nil.
func (d *dense) classList() []int {
	if d.o.Classes != nil {
		return d.o.Classes
	}
	return allClasses(nil, d.g.c)
}

// groups returns the number of region groups: N for per_sample (and
// none, which runs one sample at a time), 1 for global.
func (d *dense) groups() int {
	if d.o.Reduction == PerSample {
		return d.g.n
	}
	return 1
}

// group returns the group of sample n.
func (d *dense) group(n int) int {
	if d.o.Reduction == PerSample {
		return n
	}
	return 0
}

// evalFamily2 evaluates a loss of the second family on b: each formula
// writes the gradient with respect to the probabilities into dp (chained
// through the activation here) or, for terms defined on logits, with
// respect to the input into dx.
func evalFamily2[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	d := newDense(ws, o, g, b)
	var dp, dx []float64
	if grad != nil {
		dp = zeroed(&ws.f2dp, g.size())
		dx = zeroed(&ws.f2dx, g.size())
	}
	var v float64
	switch l.name {
	case "dice_focal", "generalized_dice_focal":
		v = o.DiceWeight*addSub(l.subLoss(0), ws, g, b, dx, o.DiceWeight) + o.FocalWeight*focalTerm(o, d, dx, o.FocalWeight)
	case "dice_cldice":
		v = (1-o.Alpha)*addSub(l.subLoss(0), ws, g, b, dx, 1-o.Alpha) + o.Alpha*clDice(o, ws, d, dp, o.Alpha)
	case "topk_ce":
		v = topKCE(o, ws, d, dx)
	case "boundary":
		v = boundaryLoss(o, d, dp, l.maps)
	case "hausdorff_dt", "log_hausdorff_dt":
		v = hausdorffDT(o, d, dp, l.name == "log_hausdorff_dt", l.maps)
	case "cldice":
		v = clDice(o, ws, d, dp, 1)
	case "asymmetric_focal":
		v = asymmetricFocal(o, d, dp, 1)
	case "asymmetric_focal_tversky":
		v = asymmetricFocalTversky(o, d, dp, 1)
	case "unified_focal":
		v = o.Weight*asymmetricFocal(o, d, dp, o.Weight) + (1-o.Weight)*asymmetricFocalTversky(o, d, dp, 1-o.Weight)
	case "combo":
		v = comboLoss(o, d, dp)
	case "sensitivity_specificity":
		v = sensSpec(o, d, dp)
	case "generalized_wasserstein_dice":
		v = wassersteinDice(o, d, dp)
	}
	if grad != nil {
		chainActivation(grad, dp, d.p, o, g)
		kernel.RunFunc(len(dx), kernel.Chunk, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				grad[i] += T(dx[i])
			}
		})
	}
	return v
}

// addSub evaluates the registered loss sub on b through Eval (so that
// float32 batches take its fused kernels), adds w times its gradient into
// dx (when dx is not nil) and returns its value.
func addSub[T Float](sub *Loss, _ *workspace, _ geom, b Batch[T], dx []float64, w float64) float64 {
	var sg []T
	if dx != nil {
		sg = make([]T, len(dx))
	}
	v, err := Eval(sub, sg, b)
	if err != nil { // a non-finite part: the compound reports its NaN
		return math.NaN()
	}
	kernel.RunFunc(len(sg), kernel.Chunk, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] += w * float64(sg[i])
		}
	})
	return v
}

// subLoss returns the region part of a second-family compound (dice for
// dice_focal and dice_cldice, generalized_dice for generalized_dice_focal),
// built once from the compound's options.
func (l *Loss) subLoss(i int) *Loss {
	l.once.Do(func() {
		o := &l.opts
		name := Dice
		if l.name == "generalized_dice_focal" {
			name = GeneralizedDice
		}
		so, _ := DefaultOptions(name)
		so.Mode, so.FromLogits, so.Smooth, so.Reduction = o.Mode, o.FromLogits, o.Smooth, o.Reduction
		if so.Reduction == None {
			so.Reduction = Global
		}
		so.Classes = o.Classes
		so.Ignore, so.IgnoreIndex = o.Ignore, o.IgnoreIndex
		switch l.name {
		case "dice_focal":
			so.ClassWeights = o.ClassWeights
		case "generalized_dice_focal":
			so.WType = o.WType
		}
		l.sub[0] = MustNew(name, &so)
	})
	return l.sub[i]
}

// RegionPart returns the registered region loss inside a compound of the
// second family (dice for dice_focal and dice_cldice, generalized_dice for
// generalized_dice_focal), configured from the compound's options, or nil
// for every other loss. Its RegionStats are those of the compound's region term.
func (l *Loss) RegionPart() *Loss {
	switch l.name {
	case "dice_focal", "generalized_dice_focal", "dice_cldice":
		return l.subLoss(0)
	}
	return nil
}
