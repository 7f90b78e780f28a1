// Package gomlxloss makes every segloss loss a GoMLX graph function with
// GoMLX's loss signature, func(labels, predictions []*graph.Node) *graph.Node,
// so that the losses of the core registry can drive gradient descent with
// GoMLX's automatic differentiation.
//
// Names, options and spec strings are those of the core (segloss.Parse,
// segloss.New): the adapter reads the core's Options and rebuilds the same
// formulas out of graph operations, and its values and automatic gradients
// agree with the core's analytic ones (see the parity tests).
//
// Layout: predictions[0] is [N, C, spatial...] channel-first, like the
// core's Batch.Input (logits or probabilities per from_logits). labels[0]
// is either a float target of the same shape (Batch.Target) or, for
// multiclass losses, integer class indices [N, spatial...] (Batch.Labels).
// Following GoMLX's extra-label convention (loss.CheckExtraLabelsForWeightsAndMask),
// labels[1:] may hold a Bool mask and/or float weights of shape
// [N, spatial...]: masked-out pixels are dropped exactly like pixels of the
// ignore index, and weights scale each pixel's share of the sums and means.
package gomlxloss

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/segloss/segloss"
)

// Loss is a segloss loss as a GoMLX graph function. It is immutable and
// safe to share between graphs.
type Loss struct {
	core *segloss.Loss
	o    segloss.Options
	// across, when not nil, lists the device-mesh axes over which the sums
	// behind the loss are all-reduced (empty: every axis); see WithAllReduce.
	across []string
}

// New returns the named core loss with the given options (nil: defaults)
// as a graph loss.
func New(name segloss.Name, opts *segloss.Options) (*Loss, error) {
	l, err := segloss.New(name, opts)
	if err != nil {
		return nil, err
	}
	return FromCore(l), nil
}

// Parse builds a graph loss from a core spec string such as
// "tversky:alpha=0.3,beta=0.7" (see segloss.Parse).
func Parse(spec string) (*Loss, error) {
	l, err := segloss.Parse(spec)
	if err != nil {
		return nil, err
	}
	return FromCore(l), nil
}

// FromCore returns the graph form of a configured core loss. It panics for
// a core loss that has no graph formula here (a bug of this package).
func FromCore(l *segloss.Loss) *Loss {
	if _, parts := l.Terms(); parts != nil {
		for _, p := range parts {
			graphOf(p.Name())
		}
	} else {
		graphOf(l.Name())
	}
	return &Loss{core: l, o: l.Options()}
}

// WithAllReduce returns a copy of the loss for data-parallel training in
// which every device runs the same program on its shard of the batch
// (GoMLX's SPMD strategy): the sums the loss is made of (the region
// statistics TP, Σp, Σg... of the overlap losses; the sums and counts of
// the pixel means) are all-reduced across the mesh axes meshAxes (none:
// all axes) before the formula is applied. Every device then sees the
// exact batch-global loss (the Dice of the whole batch, not a mean of
// per-shard Dice), and its automatic gradient is that device's exact share
// of the global gradient: the all-reduce is added as a constant,
// s + stop_gradient(allreduce(s) - s), since GoMLX has no gradient for
// collectives. On a single-device graph, and under GoMLX's AutoSharding
// strategy (where XLA already makes sums over a sharded batch axis
// global), WithAllReduce changes nothing. Per-sample reductions stay
// per device (each sample lives on one). The
// Lovász losses sort the whole batch and cannot be sharded this way: they
// panic with WithAllReduce.
func (l *Loss) WithAllReduce(meshAxes ...string) *Loss {
	c := *l
	c.across = append([]string{}, meshAxes...)
	return &c
}

// Sorts reports whether the graph form of the loss sorts the whole batch
// (the Lovász losses): such a loss cannot be all-reduced across devices
// (WithAllReduce panics), and on the pure-Go backend its in-graph sort is
// slow, so training evaluates it on the host (HostGradient) instead.
// A weighted sum sorts when one of its parts does.
func (l *Loss) Sorts() bool { return l.anyPart(func(g *graphLoss) bool { return g.sorts }) }

// anyPart reports whether f holds for the graph form of the loss, or of
// one part of a weighted sum.
func (l *Loss) anyPart(f func(*graphLoss) bool) bool {
	if _, parts := l.core.Terms(); parts != nil {
		for _, p := range parts {
			if f(graphOf(p.Name())) {
				return true
			}
		}
		return false
	}
	return f(graphOf(l.Name()))
}

// Core returns the core loss this graph loss mirrors.
func (l *Loss) Core() *segloss.Loss { return l.core }

// Name returns the registered name of the loss.
func (l *Loss) Name() segloss.Name { return l.core.Name() }

// String returns the loss's spec string.
func (l *Loss) String() string { return l.core.String() }

// LossFn returns the loss as a GoMLX loss.LossFn, for train.NewTrainer.
func (l *Loss) LossFn() loss.LossFn { return l.Graph }

// Graph builds the scalar loss of predictions[0] against labels[0] (and
// the optional mask and weights in labels[1:]); see the package
// documentation for the layout. It panics, as GoMLX graph builders do,
// when the shapes do not fit the loss.
func (l *Loss) Graph(labels, predictions []*Node) *Node {
	if len(labels) == 0 || len(predictions) != 1 {
		panic(fmt.Errorf("gomlxloss: %s: want 1 prediction and at least 1 label, got %d and %d", l.Name(), len(predictions), len(labels)))
	}
	if w, parts := l.core.Terms(); parts != nil {
		// A weighted sum: each part reads the labels with its own options.
		var total *Node
		for i, p := range parts {
			pl := FromCore(p)
			pl.across = l.across
			v := MulScalar(pl.Graph(labels, predictions), w[i])
			if total == nil {
				total = v
			} else {
				total = Add(total, v)
			}
		}
		return total
	}
	if l.HostOnly() {
		panic(errHostOnly(l.Name()))
	}
	b := newBatch(&l.o, l.Name(), labels, predictions[0])
	if l.across != nil {
		if l.Sorts() {
			panic(fmt.Errorf("gomlxloss: %s cannot be all-reduced across devices: it sorts the whole batch", l.Name()))
		}
		axes := l.across
		b.global = func(x *Node) *Node {
			if x.Graph().DistributedStrategy() != distributed.SPMD {
				return x // one device, or AutoSharding, where sums over a sharded batch are already global
			}
			all := x.Graph().Distributed().Along(axes...).AllReduceOne(x, compute.ReduceOpSum)
			return Add(x, StopGradient(Sub(all, x)))
		}
	}
	return l.eval(b)
}

// eval dispatches on the loss; reduction "none" is the mean over samples
// of each sample's loss taken alone, as in the core.
func (l *Loss) eval(b *batch) *Node {
	if l.o.Reduction == segloss.None && b.n > 1 {
		var total *Node
		for i := 0; i < b.n; i++ {
			v := l.eval(b.sample(i))
			if total == nil {
				total = v
			} else {
				total = Add(total, v)
			}
		}
		return DivScalar(total, float64(b.n))
	}
	return graphOf(l.Name()).graph(&l.o, b)
}

// graphLoss is the graph form of one core loss: build for the pixel,
// Lovász and compound losses, or a region formula (region, whole) on the
// graph's region statistics.
type graphLoss struct {
	build func(o *segloss.Options, b *batch) *Node
	// region returns the loss of every (group, class) entry of the stats.
	region func(o *segloss.Options, s stats) *Node
	// whole returns the loss of all the classes at once (generalized_dice).
	whole  func(o *segloss.Options, s stats, classes int) *Node
	pooled bool // all channels pool into one class (mcc)
	outer  func(total *Node) *Node
	// sorts: the graph sorts the whole batch (the Lovász losses): slow on
	// the pure-Go backend, and impossible to all-reduce across devices.
	sorts bool
	// host: no in-graph form; the loss trains through the host route (HostOnly).
	host bool
}

// graphs is the graph form of every loss of the core registry, by name. A
// new loss may add its entry from its own file's init function; FromCore
// refuses a core loss without one, and TestGraphsCoverRegistry checks that
// the table covers segloss.Names().
var graphs = map[segloss.Name]*graphLoss{
	segloss.BCE:             {build: bceLoss},
	segloss.BCELogits:       {build: bceLoss},
	segloss.FocalKeras:      {build: focalKeras},
	segloss.FocalSigmoid:    {build: focalSigmoid},
	segloss.CrossEntropy:    {build: func(o *segloss.Options, b *batch) *Node { return softmaxCE(false, o, b) }},
	segloss.FocalSoftmax:    {build: func(o *segloss.Options, b *batch) *Node { return softmaxCE(true, o, b) }},
	segloss.DiceBCE:         {build: diceBCE},
	segloss.LovaszHinge:     {build: lovaszHinge, sorts: true},
	segloss.LovaszSoftmax:   {build: lovaszSoftmax, sorts: true},
	segloss.Dice:            {region: diceClass},
	segloss.LogCoshDice:     {region: diceClass, outer: logCosh},
	segloss.Jaccard:         {region: jaccardClass},
	segloss.Tversky:         {region: tverskyClass},
	segloss.FocalTversky:    {region: focalTverskyClass},
	segloss.GeneralizedDice: {whole: generalizedDice},
	segloss.MCC:             {region: mccClass, pooled: true},
	// The second family (family2.go).
	segloss.DiceFocal:                  {build: regionFocal(segloss.DiceFocal)},
	segloss.GeneralizedDiceFocal:       {build: regionFocal(segloss.GeneralizedDiceFocal)},
	segloss.SensitivitySpecificity:     {build: in64(sensSpec)},
	segloss.Combo:                      {build: in64(combo)},
	segloss.AsymmetricFocal:            {build: in64(asymFocal)},
	segloss.AsymmetricFocalTversky:     {build: in64(asymFocalTversky)},
	segloss.UnifiedFocal:               {build: in64(unifiedFocal)},
	segloss.GeneralizedWassersteinDice: {build: in64(wassersteinDice)},
	segloss.TopKCE:                     {host: true},
	segloss.Boundary:                   {host: true},
	segloss.HausdorffDT:                {host: true},
	segloss.LogHausdorffDT:             {host: true},
	segloss.ClDice:                     {host: true},
	segloss.DiceClDice:                 {host: true},
}

// graphOf returns the graph form of the named core loss; it panics, as
// graph builders do, for a core loss without one (TestGraphsCoverRegistry
// catches that for every registered loss).
func graphOf(name segloss.Name) *graphLoss {
	g, ok := graphs[name]
	if !ok {
		panic(fmt.Sprintf("gomlxloss: core loss %s has no graph formula: add it to graphs (in any file's init)", name))
	}
	return g
}

// graph builds the loss of b: build, or the region formula on b's stats.
func (g *graphLoss) graph(o *segloss.Options, b *batch) *Node {
	if g.build != nil {
		return g.build(o, b)
	}
	if g.region == nil && g.whole == nil {
		panic("gomlxloss: the loss has no in-graph form (host only)") // Graph checks HostOnly first
	}
	return regionLoss(g, o, b)
}

// HostGradient is a GoMLX loss function for losses evaluated outside the
// graph: labels[0] holds d loss / d predictions[0], computed on the host
// (for example by segloss.Eval), and the returned node is
// sum(stop_gradient(labels[0]) * predictions[0]), whose automatic gradient
// with respect to the predictions is exactly that host gradient (its value
// is not the loss). It is the fast exact route for the Lovász losses, whose
// in-graph sort is slow on the pure-Go backend: the core sorts and
// differentiates on the host in about a millisecond per 64k elements.
func HostGradient(labels, predictions []*Node) *Node {
	return ReduceAllSum(Mul(StopGradient(labels[0]), predictions[0]))
}
