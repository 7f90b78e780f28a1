package segloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

// RegionStats are the per-class sums that every overlap loss (dice,
// jaccard, tversky, focal_tversky, generalized_dice, log_cosh_dice, mcc)
// is a function of. Ignored elements count in none of them. Stats taken on
// shards of one batch add up, with Add, to the stats of the whole batch;
// EvalFromStats then gives each shard its exact share of the gradient of
// the batch loss.
//
// Entry [group*Classes + class] of each slice belongs to one group (the
// whole batch for reduction global; one sample for per_sample and none)
// and one class (channel; mcc pools all channels into one class).
type RegionStats struct {
	Groups  int
	Classes int
	TP      []float64 // sum p*g
	SumP    []float64 // sum p
	SumG    []float64 // sum g
	SumP2   []float64 // sum p²
	SumG2   []float64 // sum g²
	SumAbs  []float64 // sum |p-g|
	Count   []float64 // number of elements that are not ignored
}

func (r *RegionStats) reset(groups, classes int) {
	r.Groups, r.Classes = groups, classes
	n := groups * classes
	for _, f := range []*[]float64{&r.TP, &r.SumP, &r.SumG, &r.SumP2, &r.SumG2, &r.SumAbs, &r.Count} {
		zeroed(f, n)
	}
}

// check returns an error unless every sum of r has Groups × Classes entries.
func (r *RegionStats) check() error {
	if r == nil {
		return fmt.Errorf("%w: nil RegionStats", ErrBadInput)
	}
	n, ok := shapeSize([]int{r.Groups, r.Classes})
	if !ok || r.Groups < 1 || r.Classes < 1 {
		return fmt.Errorf("%w: RegionStats of %d groups × %d classes", ErrBadInput, r.Groups, r.Classes)
	}
	for _, f := range []struct {
		name string
		s    []float64
	}{{"TP", r.TP}, {"SumP", r.SumP}, {"SumG", r.SumG}, {"SumP2", r.SumP2}, {"SumG2", r.SumG2}, {"SumAbs", r.SumAbs}, {"Count", r.Count}} {
		if len(f.s) != n {
			return fmt.Errorf("%w: RegionStats.%s has %d entries, %d groups × %d classes need %d", ErrBadInput, f.name, len(f.s), r.Groups, r.Classes, n)
		}
	}
	return nil
}

// Add adds the sums of o into r. Both must have the same groups and
// classes, and every sum its Groups × Classes entries (stats that come
// from elsewhere, as in data-parallel training, are checked); the error
// wraps ErrBadInput and r is unchanged.
func (r *RegionStats) Add(o *RegionStats) error {
	if err := r.check(); err != nil {
		return fmt.Errorf("segloss: RegionStats.Add: receiver: %w", err)
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("segloss: RegionStats.Add: %w", err)
	}
	if r.Groups != o.Groups || r.Classes != o.Classes {
		return fmt.Errorf("segloss: RegionStats.Add: %w: %d groups × %d classes vs %d × %d", ErrBadInput, r.Groups, r.Classes, o.Groups, o.Classes)
	}
	add := func(d, s []float64) {
		for i := range d {
			d[i] += s[i]
		}
	}
	add(r.TP, o.TP)
	add(r.SumP, o.SumP)
	add(r.SumG, o.SumG)
	add(r.SumP2, o.SumP2)
	add(r.SumG2, o.SumG2)
	add(r.SumAbs, o.SumAbs)
	add(r.Count, o.Count)
	return nil
}

// Clone returns a deep copy of r.
func (r *RegionStats) Clone() *RegionStats {
	c := &RegionStats{Groups: r.Groups, Classes: r.Classes}
	cp := func(s []float64) []float64 { return append([]float64(nil), s...) }
	c.TP, c.SumP, c.SumG, c.SumP2, c.SumG2, c.SumAbs, c.Count = cp(r.TP), cp(r.SumP), cp(r.SumG), cp(r.SumP2), cp(r.SumG2), cp(r.SumAbs), cp(r.Count)
	return c
}

// regionGeometry returns the number of groups and classes of the stats of
// region formula f on g.
func regionGeometry(f *regionFormula, o *Options, g geom) (groups, classes int) {
	groups, classes = 1, g.c
	if o.Reduction == PerSample {
		groups = g.n
	}
	if f.pooled {
		classes = 1
	}
	return
}

// entry returns the index of the sums that sample n, channel c adds to:
// its group (the batch, or the sample when there is one group per
// sample) and its class (the channel, or the single pooled class of mcc).
func (r *RegionStats) entry(n, c int) int {
	grp := 0
	if r.Groups > 1 {
		grp = n
	}
	if r.Classes == 1 {
		return grp
	}
	return grp*r.Classes + c
}

// accumulate adds the region sums of b (probabilities p) into r. The
// sums of each (sample, channel) row are taken in parallel chunks of
// kernel.Chunk elements; a row's chunk sums are added in chunk order.
func accumulate[T Float](r *RegionStats, o *Options, g geom, p []float64, b Batch[T]) {
	pool := &accPools[typeIndex[T]()]
	j := pooled[accJob[T]](pool)
	j.o, j.g, j.p, j.b = o, g, p, b
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * g.c * j.cpr
	part := grow(&j.part, 7*units)
	kernel.Run(j, units, 1)
	for row := 0; row < g.n*g.c; row++ {
		var t [7]float64
		for u := row * j.cpr; u < (row+1)*j.cpr; u++ {
			for i := range t {
				t[i] += part[7*u+i]
			}
		}
		k := r.entry(row/g.c, row%g.c)
		r.TP[k] += t[0]
		r.SumP[k] += t[1]
		r.SumG[k] += t[2]
		r.SumP2[k] += t[3]
		r.SumG2[k] += t[4]
		r.SumAbs[k] += t[5]
		r.Count[k] += t[6]
	}
	j.o, j.p, j.b = nil, nil, Batch[T]{}
	pool.Put(j)
}

// accJob is accumulate's pass: unit u is one chunk of one row; its seven
// sums go to part[7u:7u+7].
type accJob[T Float] struct {
	o    *Options
	g    geom
	p    []float64
	b    Batch[T]
	cpr  int
	part []float64
}

var accPools [2]sync.Pool

// Do runs unit u.
func (j *accJob[T]) Do(u, _, _ int) {
	o, g, p, b := j.o, j.g, j.p, &j.b
	ign := float64(o.IgnoreIndex)
	row := u / j.cpr
	s0 := u % j.cpr * kernel.Chunk
	s1 := min(s0+kernel.Chunk, g.s)
	n, c := row/g.c, row%g.c
	off := row * g.s
	var tp, sp, sg, sp2, sg2, sa, cnt float64
	if b.Labels != nil {
		lab := b.Labels[n*g.s : (n+1)*g.s]
		for s := s0; s < s1; s++ {
			y := lab[s]
			if o.Ignore && int(y) == o.IgnoreIndex {
				continue
			}
			pv := p[off+s]
			if b.Weights != nil {
				w := weightAt(b.Weights, g, off+s)
				cnt += w
				sp += w * pv
				sp2 += w * pv * pv
				if int(y) == c {
					tp += w * pv
					sg += w
					sg2 += w
					sa += w * (1 - pv)
				} else {
					sa += w * pv
				}
				continue
			}
			cnt++
			sp += pv
			sp2 += pv * pv
			if int(y) == c {
				tp += pv
				sg++
				sg2++
				sa += 1 - pv
			} else {
				sa += pv
			}
		}
	} else {
		tg := b.Target[off : off+g.s]
		for s := s0; s < s1; s++ {
			gv := float64(tg[s])
			if o.Ignore && gv == ign {
				continue
			}
			pv := p[off+s]
			w := 1.0
			if b.Weights != nil {
				w = weightAt(b.Weights, g, off+s)
			}
			cnt += w
			tp += w * pv * gv
			sp += w * pv
			sg += w * gv
			sp2 += w * pv * pv
			sg2 += w * gv * gv
			sa += w * math.Abs(pv-gv)
		}
	}
	copy(j.part[7*u:7*u+7], []float64{tp, sp, sg, sp2, sg2, sa, cnt})
}

// regionCoef holds, for one (group, class), the derivatives of the total
// loss with respect to its sums. An element of target g adds dTP g + dSP
// (+ the dSP2 and dAbs terms) to d loss / d p; where g = 1 that sum is
// d1, which a formula may give directly (exact1) when dTP + dSP cancels
// (mcc near loss 1).
type regionCoef struct {
	dTP, dSP, dSP2, dAbs float64
	d1                   float64 // dTP + dSP, when exact1
	exact1               bool
}

// one returns dTP + dSP, the coefficient of an element with g = 1.
func (c regionCoef) one() float64 {
	if c.exact1 {
		return c.d1
	}
	return c.dSP + c.dTP
}

// scaled returns c times a.
func (c regionCoef) scaled(a float64) regionCoef {
	return regionCoef{a * c.dTP, a * c.dSP, a * c.dSP2, a * c.dAbs, a * c.d1, c.exact1}
}

// regionLoss is the general path of every region loss: the stats of b,
// then the loss of l's region formula and its gradient.
func regionLoss[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	p := grow(&ws.prob, g.size())
	probabilities(p, o, g, b.Input, grow(&ws.small, 2*g.c))
	groups, classes := regionGeometry(l.d.region, o, g)
	r := &ws.stats
	r.reset(groups, classes)
	accumulate(r, o, g, p, b)
	return regionFromStats(l.d.region, o, ws, g, grad, b, r, p)
}

// regionFromStats returns the loss of stats r and writes into grad the
// gradient of that loss through the elements of b (p: their probabilities).
func regionFromStats[T Float](f *regionFormula, o *Options, ws *workspace, g geom, grad []T, b Batch[T], r *RegionStats, p []float64) float64 {
	coef := grow(&ws.coef, r.Groups*r.Classes)
	clear(coef)
	loss := regionValue(f, o, r, coef)
	if grad == nil {
		return loss
	}
	dp := zeroed(&ws.dprob, g.size())
	pool := &regionGradPools[typeIndex[T]()]
	j := pooled[regionGradJob[T]](pool)
	j.o, j.g, j.p, j.dp, j.b, j.r, j.coef = o, g, p, dp, b, r, coef
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	kernel.Run(j, g.n*g.c*j.cpr, 1)
	*j = regionGradJob[T]{}
	pool.Put(j)
	chainActivation(grad, dp, p, o, g)
	return loss
}

// regionGradJob is regionFromStats's gradient pass: unit u is one chunk
// of one (sample, channel) row; it writes d loss / d p into dp.
type regionGradJob[T Float] struct {
	o     *Options
	g     geom
	p, dp []float64
	b     Batch[T]
	r     *RegionStats
	coef  []regionCoef
	cpr   int
}

var regionGradPools [2]sync.Pool

// Do runs unit u.
func (j *regionGradJob[T]) Do(u, _, _ int) {
	o, g, b := j.o, j.g, &j.b
	row := u / j.cpr
	s0 := u % j.cpr * kernel.Chunk
	s1 := min(s0+kernel.Chunk, g.s)
	n, c := row/g.c, row%g.c
	cf := j.coef[j.r.entry(n, c)]
	if cf == (regionCoef{}) {
		return
	}
	ign := float64(o.IgnoreIndex)
	off := row * g.s
	drow := j.dp[off : off+g.s]
	prow := j.p[off : off+g.s]
	if b.Labels != nil {
		lab := b.Labels[n*g.s : (n+1)*g.s]
		for s := s0; s < s1; s++ {
			y := lab[s]
			if o.Ignore && int(y) == o.IgnoreIndex {
				continue
			}
			pv := prow[s]
			var d float64
			if int(y) == c {
				d = cf.one() + 2*cf.dSP2*pv
				if pv < 1 {
					d -= cf.dAbs
				}
			} else {
				d = cf.dSP + 2*cf.dSP2*pv
				if pv > 0 {
					d += cf.dAbs
				}
			}
			if b.Weights != nil {
				d *= weightAt(b.Weights, g, off+s)
			}
			drow[s] = d
		}
		return
	}
	tg := b.Target[off : off+g.s]
	for s := s0; s < s1; s++ {
		gv := float64(tg[s])
		if o.Ignore && gv == ign {
			continue
		}
		pv := prow[s]
		var d float64
		if gv == 1 {
			d = cf.one() + 2*cf.dSP2*pv
		} else {
			d = cf.dSP + 2*cf.dSP2*pv + cf.dTP*gv
		}
		if pv > gv {
			d += cf.dAbs
		} else if pv < gv {
			d -= cf.dAbs
		}
		if b.Weights != nil {
			d *= weightAt(b.Weights, g, off+s)
		}
		drow[s] = d
	}
}

// ClassMeanWeights fills dst, one entry per channel, with each channel's
// weight in the class mean of the region losses: 0 for channels outside
// o.Classes (a channel listed twice counts twice, as in the reference),
// proportional to o.ClassWeights when those fit dst, the weights summing to
// 1. Class indices outside dst are skipped.
func (o *Options) ClassMeanWeights(dst []float64) {
	clear(dst)
	if o.Classes == nil {
		for c := range dst {
			dst[c] = 1
		}
	} else {
		for _, c := range o.Classes {
			if c >= 0 && c < len(dst) {
				dst[c]++
			}
		}
	}
	if o.ClassWeights != nil && len(dst) == len(o.ClassWeights) {
		for c := range dst {
			dst[c] *= o.ClassWeights[c]
		}
	}
	var s float64
	for _, v := range dst {
		s += v
	}
	for c := range dst {
		dst[c] /= s
	}
}

// regionValue returns the loss of r under formula f and fills coef with
// its derivatives with respect to the sums.
func regionValue(f *regionFormula, o *Options, r *RegionStats, coef []regionCoef) float64 {
	if f.whole != nil {
		return f.whole(o, r, coef)
	}
	var wb [16]float64
	w := fit(wb[:], r.Classes)
	if f.pooled {
		w[0] = 1
	} else {
		o.ClassMeanWeights(w)
	}
	var total float64
	inv := 1 / float64(r.Groups)
	for grp := 0; grp < r.Groups; grp++ {
		for c := 0; c < r.Classes; c++ {
			if w[c] == 0 {
				continue
			}
			k := grp*r.Classes + c
			l, cf := f.class(o, r, k)
			a := w[c] * inv
			total += a * l
			coef[k] = cf.scaled(a)
		}
	}
	if f.outer != nil {
		v, d := f.outer(total)
		for k := range coef {
			coef[k] = coef[k].scaled(d)
		}
		return v
	}
	return total
}
