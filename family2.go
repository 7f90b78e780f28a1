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
	cls     []int     // classList's buffer (C entries)
}

// newDense reads b for the second-family loss with options o. The view
// and its buffers live in ws (one view per workspace: the next call
// overwrites it).
func newDense[T Float](ws *workspace, o *Options, g geom, b Batch[T]) *dense {
	d := &ws.f2d
	*d = dense{g: g, o: o, labels: b.Labels, spatial: append(d.spatial[:0], b.Shape[2:]...), cls: grow(&ws.f2cls, g.c)}
	if len(d.spatial) == 0 {
		d.spatial = append(d.spatial, 1)
	}
	n := g.size()
	j := f2jobs[T](ws)
	if x, ok := any(b.Input).([]float64); ok {
		d.x = x // read-only
	} else {
		d.x = grow(&ws.f2x, n)
		j.read = denseReadJob[T]{d: d, b: b}
		kernel.Run(&j.read, n, kernel.Chunk)
	}
	d.p = grow(&ws.f2p, n)
	probabilities(d.p, o, g, d.x, nil)
	d.t = zeroed(&ws.f2t, n)
	d.keep = grow(&ws.f2keep, n)
	clear(d.keep)
	d.pixel = grow(&ws.f2pixel, g.n*g.s)
	// One task per chunk of pixels of one sample: a pixel's channels are
	// written by one goroutine.
	j.read = denseReadJob[T]{d: d, b: b, target: true, per: kernel.Chunks(g.s, kernel.Chunk)}
	kernel.Run(&j.read, g.n*j.read.per, 1)
	j.read = denseReadJob[T]{}
	return d
}

// at returns the flat index of sample n, channel c, element s.
func (d *dense) at(n, c, s int) int { return (n*d.g.c+c)*d.g.s + s }

// classList returns o.Classes, or every channel when it is nil.
func (d *dense) classList() []int {
	if d.o.Classes != nil {
		return d.o.Classes
	}
	return allClasses(d.cls, d.g.c)
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
		v = o.DiceWeight*addSub(l.subLoss(0), ws, g, b, dx, o.DiceWeight) + o.FocalWeight*focalTerm(o, ws, d, dx, o.FocalWeight)
	case "dice_cldice":
		v = (1-o.Alpha)*addSub(l.subLoss(0), ws, g, b, dx, 1-o.Alpha) + o.Alpha*clDice(o, ws, d, dp, o.Alpha)
	case "topk_ce":
		v = topKCE(o, ws, d, dx)
	case "boundary":
		v = boundaryLoss(o, &ws.f2dist, d, dp, l.maps)
	case "hausdorff_dt", "log_hausdorff_dt":
		v = hausdorffDT(o, &ws.f2dist, d, dp, l.name == "log_hausdorff_dt", l.maps)
	case "cldice":
		v = clDice(o, ws, d, dp, 1)
	case "asymmetric_focal":
		v = asymmetricFocal(o, ws, d, dp, 1)
	case "asymmetric_focal_tversky":
		v = asymmetricFocalTversky(o, ws, d, dp, 1)
	case "unified_focal":
		v = o.Weight*asymmetricFocal(o, ws, d, dp, o.Weight) + (1-o.Weight)*asymmetricFocalTversky(o, ws, d, dp, 1-o.Weight)
	case "combo":
		v = comboLoss(o, ws, d, dp)
	case "sensitivity_specificity":
		v = sensSpec(o, ws, d, dp)
	case "generalized_wasserstein_dice":
		v = wassersteinDice(o, ws, d, dp)
	}
	if grad != nil {
		chainActivation(grad, dp, d.p, o, g)
		j := f2jobs[T](ws)
		j.add = addGradJob[T]{grad: grad, dx: dx}
		kernel.Run(&j.add, len(dx), kernel.Chunk)
		j.add = addGradJob[T]{}
	}
	d.x, d.labels = nil, nil // the pooled workspace keeps no reference to the batch
	return v
}

// addSub evaluates the registered loss sub on b through Eval (so that
// float32 batches take its fused kernels), adds w times its gradient into
// dx (when dx is not nil) and returns its value.
func addSub[T Float](sub *Loss, ws *workspace, _ geom, b Batch[T], dx []float64, w float64) float64 {
	var sg []T
	if dx != nil {
		sg = scratchT[T](ws, len(dx))
	}
	v, err := Eval(sub, sg, b)
	if err != nil { // a non-finite part: the compound reports its NaN
		return math.NaN()
	}
	j := f2jobs[T](ws)
	j.add = addGradJob[T]{grad: sg, dx: dx, w: w, intoDX: true}
	kernel.Run(&j.add, len(sg), kernel.Chunk)
	j.add = addGradJob[T]{}
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
