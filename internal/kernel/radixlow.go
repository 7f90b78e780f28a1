package kernel

import (
	"cmp"
	"slices"
	"sync/atomic"
)

// The in-bucket sort of the packed float32 sort (radix32.go): after the
// top-digit scatter, each bucket's entries share key bits 21..31 and are
// sorted by bits 0..20, stable, least-significant digit first, all the
// digits' histograms in one pass. Its scratch is one region per lane of
// bucketJob, reused bucket after bucket, so it stays in the core's cache
// (the bucket's own range of the listing buffer, which the first scatter
// would write, is cold: a scatter into it was half of the in-bucket
// time). A pass whose digit is the same for every entry is skipped.
// (Measured no faster on the workloads' errors: three 7-bit digits for
// every size, digits of 10 then 11 bits, and large buckets split 8 ways
// by bits 18..20 first, then two 9-bit digits.)

const (
	msdInsertion = 32   // buckets up to this size go by insertion sort
	lowNarrow    = 1024 // buckets up to this size go by three 7-bit digits, larger ones by 11 and 10 bits
	bucketUnit   = 4    // buckets per unit of bucketJob
	maxLanes     = 16   // scratch regions of a parallel bucketJob
)

// lowCounts holds the histograms of sortLow.
type lowCounts struct {
	wide   [2][radixSize]int32 // key bits 0..10, 11..20
	narrow [3][1 << 7]int32    // key bits 0..6, 7..13, 14..20
}

// bucketJob sorts the top-digit buckets of b by key bits 0..20 (the
// result stays in b) and weighs them with lp when it is set. Its units
// are runs of bucketUnit buckets. On one goroutine, one lane sorts them
// in order; in parallel, its lanes (the chunks of a Run) take them in
// turn, largest first (units of 16 buckets held up to 46 % of the hinge
// errors, of 4 buckets 22 %: taken in index order, the last large one
// left one thread idle for about 8 % of the phase), each lane with its
// own span entries of a as scratch, or, when fewer than two such regions
// fit in a (one bucket holds over half the entries), each bucket with its
// own range of a. Which lane sorts a unit does not change the result.
type bucketJob struct {
	a, b   []uint64
	bounds []int
	lp     *lovaszPacked
	span   int          // scratch entries per lane: the largest bucket (0: own ranges)
	order  []int32      // parallel: the non-empty units, largest first
	next   atomic.Int64 // parallel: the next unit of order to sort
}

// run sorts (and weighs) the buckets of b on lanes lanes in parallel
// (with par; order is then s's scratch), else on the calling goroutine.
func (j *bucketJob) run(s *Sorter, lanes int, par bool) {
	if !par {
		var cnt lowCounts
		for u := range Chunks(len(j.bounds)-1, bucketUnit) {
			j.unit(u, j.a[:j.span], &cnt)
		}
		return
	}
	order := growSlice(&s.order, Chunks(len(j.bounds)-1, bucketUnit))[:0]
	for u := range cap(order) {
		if j.size(u) > 0 {
			order = append(order, int32(u))
		}
	}
	slices.SortFunc(order, func(u, v int32) int {
		return cmp.Or(cmp.Compare(j.size(int(v)), j.size(int(u))), cmp.Compare(u, v))
	})
	j.order = order
	j.next.Store(0)
	if lanes < 2 {
		j.span = 0 // each bucket's own range of a
		lanes = maxLanes
	}
	Run(j, lanes, 1)
}

// size returns the entries of unit u.
func (j *bucketJob) size(u int) int {
	nb := len(j.bounds) - 1
	return j.bounds[min((u+1)*bucketUnit, nb)] - j.bounds[u*bucketUnit]
}

// lanesFor returns the lanes of a bucketJob over n entries whose largest
// bucket has span entries: as many scratch regions as fit in n, at most
// maxLanes.
func lanesFor(n, span int) int { return max(1, min(maxLanes, n/max(span, 1))) }

// Do runs lane l of a parallel run: units until none is left.
func (j *bucketJob) Do(l, _, _ int) {
	var cnt lowCounts
	tmp := j.a[l*j.span : (l+1)*j.span]
	for {
		k := int(j.next.Add(1) - 1)
		if k >= len(j.order) {
			return
		}
		j.unit(int(j.order[k]), tmp, &cnt)
	}
}

// unit sorts (and weighs) the buckets of unit u with tmp as scratch
// (when empty, each bucket's own range of a).
func (j *bucketJob) unit(u int, tmp []uint64, cnt *lowCounts) {
	for d := u * bucketUnit; d < min((u+1)*bucketUnit, len(j.bounds)-1); d++ {
		x, y := j.bounds[d], j.bounds[d+1]
		b := j.b[x:y]
		if len(b) > 1 {
			if len(tmp) == 0 {
				sortLow(b, j.a[x:y], cnt)
			} else {
				sortLow(b, tmp, cnt)
			}
		}
		if lp := j.lp; lp != nil {
			lp.partials[d] = 0
			if len(b) > 0 {
				lp.partials[d] = lp.weigh(b, x, lp.fgBefore[d])
			}
		}
	}
}

// sortLow sorts b, whose entries share their top digit, by key bits
// 0..20, with tmp (at least as long) as scratch.
func sortLow(b, tmp []uint64, cnt *lowCounts) {
	switch {
	case len(b) <= msdInsertion:
		insertionSort(b)
	case len(b) <= lowNarrow:
		sortLow7(b, tmp[:len(b)], &cnt.narrow)
	default:
		sortLow11(b, tmp[:len(b)], &cnt.wide)
	}
}

// insertionSort sorts a small slice of packed entries by key, stable.
func insertionSort(b []uint64) {
	for i := 1; i < len(b); i++ {
		v := b[i]
		k := v >> 32
		p := i
		for p > 0 && b[p-1]>>32 > k {
			b[p] = b[p-1]
			p--
		}
		b[p] = v
	}
}

// offsets turns the counts c into their exclusive prefix sums.
func offsets(c []int32) {
	var t int32
	for i, n := range c {
		c[i] = t
		t += n
	}
}

// sortLow11 is sortLow by two digits, key bits 0..10 then 11..20
// (b -> tmp -> b).
func sortLow11(b, tmp []uint64, cnt *[2][radixSize]int32) {
	c0, c1 := &cnt[0], (*[1 << 10]int32)(cnt[1][:1<<10])
	clear(c0[:])
	clear(c1[:])
	for _, v := range b {
		c0[v>>32&radixMask]++
		c1[v>>43&(1<<10-1)]++
	}
	n := int32(len(b))
	pass0 := c0[b[0]>>32&radixMask] != n
	pass1 := c1[b[0]>>43&(1<<10-1)] != n
	src, dst := b, tmp
	if pass0 {
		offsets(c0[:])
		for _, v := range src {
			d := v >> 32 & radixMask
			dst[c0[d]] = v
			c0[d]++
		}
		src, dst = dst, src
	}
	if pass1 {
		offsets(c1[:])
		for _, v := range src {
			d := v >> 43 & (1<<10 - 1)
			dst[c1[d]] = v
			c1[d]++
		}
		src = dst
	}
	if &src[0] != &b[0] {
		copy(b, src)
	}
}

// sortLow7 is sortLow by three 7-bit digits (small buckets: short
// histograms), the result copied back to b when it ends in tmp.
func sortLow7(b, tmp []uint64, cnt *[3][1 << 7]int32) {
	*cnt = [3][1 << 7]int32{}
	for _, v := range b {
		k := v >> 32
		cnt[0][k&(1<<7-1)]++
		cnt[1][k>>7&(1<<7-1)]++
		cnt[2][k>>14&(1<<7-1)]++
	}
	n := int32(len(b))
	src, dst := b, tmp
	for p := range cnt {
		c := &cnt[p]
		sh := uint(32 + 7*p)
		if c[src[0]>>sh&(1<<7-1)] == n {
			continue
		}
		offsets(c[:])
		for _, v := range src {
			d := v >> sh & (1<<7 - 1)
			dst[c[d]] = v
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &b[0] {
		copy(b, src)
	}
}
