package segloss

import (
	"fmt"
	"strings"
)

// regionNames returns the names of the region losses, sorted.
func regionNames() []string {
	var out []string
	for _, n := range names() {
		if registry[n].region != nil {
			out = append(out, string(n))
		}
	}
	return out
}

// Stats returns the region sums of batch b for the region loss l (dice,
// jaccard, tversky, focal_tversky, generalized_dice, log_cosh_dice, mcc).
//
// With reduction global, the stats of the shards of a batch (split along
// N, or along space) add up with Add to the stats of the whole batch, and
// EvalFromStats turns the merged sums back into the batch loss and each
// shard's exact gradient: data-parallel training then optimises the
// batch-global loss, not a mean of per-device losses.
func Stats[T Float](l *Loss, b Batch[T]) (*RegionStats, error) {
	if l.d.region == nil {
		return nil, &OptionError{Loss: l.name, Err: fmt.Errorf("%s is not a region loss; Stats applies to %s", l.name, strings.Join(regionNames(), ", "))}
	}
	g, err := checkBatch(l, b, nil)
	if err != nil {
		return nil, err
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	p := grow(&ws.prob, g.size())
	probabilities(p, &l.opts, g, b.Input, grow(&ws.small, 2*g.c))
	groups, classes := regionGeometry(l.d.region, &l.opts, g)
	r := new(RegionStats)
	r.reset(groups, classes)
	accumulate(r, &l.opts, g, p, b)
	return r, nil
}

// EvalFromStats returns the loss of the merged region sums and, when grad
// is not nil, writes into grad the gradient of that loss with respect to
// the input of b, one shard of the merged batch. It needs reduction
// global (per-sample losses are already exact within a shard).
func EvalFromStats[T Float](l *Loss, grad []T, b Batch[T], merged *RegionStats) (float64, error) {
	if l.d.region == nil {
		return 0, &OptionError{Loss: l.name, Err: fmt.Errorf("%s is not a region loss", l.name)}
	}
	if l.opts.Reduction != Global {
		return 0, &OptionError{Loss: l.name, Key: "reduction", Value: string(l.opts.Reduction), Err: fmt.Errorf("EvalFromStats needs reduction global")}
	}
	g, err := checkBatch(l, b, grad)
	if err != nil {
		return 0, err
	}
	groups, classes := regionGeometry(l.d.region, &l.opts, g)
	if err := merged.check(); err != nil {
		return 0, &InputError{Loss: l.name, Field: "stats", Index: -1, Err: err}
	}
	if merged.Groups != groups || merged.Classes != classes {
		return 0, inputErr(l.name, "stats", -1, "merged stats do not fit a batch of shape %v (want %d group × %d classes)", b.Shape, groups, classes)
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	var p []float64
	if grad != nil {
		p = grow(&ws.prob, g.size())
		probabilities(p, &l.opts, g, b.Input, grow(&ws.small, 2*g.c))
	}
	v := regionFromStats(l.d.region, &l.opts, ws, g, grad, b, merged, p)
	return v, finite(l, v, b.Shape)
}
