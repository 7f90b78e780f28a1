package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// The fused float32 path of topk_ce (class-index labels, logits, C up to
// kernel.MaxSoftmaxC), in linear time instead of a sort:
//
//  1. one pass of kernel.SoftmaxCE writes each pixel's cross-entropy l_i
//     into a pooled plane and its gradient (scale 1) into grad;
//  2. a radix select on the float32 bits of l_i (non-negative floats order
//     like their bits) finds the m-th largest value v: three counting
//     passes over digits of 11, 11 and 10 bits, with one histogram per
//     chunk; the last one also gives each chunk's count of l_i = v;
//  3. one pass keeps the gradient, times 1/m, of the pixels with l_i > v
//     and of the first ties l_i = v in flat pixel order (the general
//     path's stable sort), clears the others and sums the kept l_i.
//
// Chunks are fixed and the counts are integers, so results do not depend
// on the number of threads.

// topkBins is the histogram size of one digit (11 bits).
const topkBins = 1 << 11

// topkDigits are the (shift, width) of the three digits of a key, high first.
var topkDigits = [3]struct{ shift, bits uint }{{21, 11}, {10, 11}, {0, 10}}

// topkWS is the pooled scratch of the topk_ce path.
type topkWS struct {
	job   topkJob
	loss  []float32 // per pixel (N*S)
	hist  []uint32  // per chunk, topkBins counts
	tot   [topkBins]int
	quota []int
}

// topkJob runs one pass of the topk_ce path; unit c is one chunk of one
// sample's pixels.
type topkJob struct {
	batch32
	sums []kernel.Sums
	sm   kernel.Softmax
	cpr  int
	loss []float32
	// pass 1 computes the losses, pass 2 counts digits, pass 3 selects.
	pass int
	// pass 2: count digit (key>>shift)&mask of the keys with key&pmask == prefix.
	hist                []uint32
	shift               uint
	mask, prefix, pmask uint32
	// pass 3: keys above thr are taken, and quota[c] ties of chunk c.
	thr   uint32
	quota []int
	inv   float32
}

// Do runs unit c of the current pass.
func (j *topkJob) Do(c, _, _ int) {
	n, s0, s1 := j.chunkOf(c, j.cpr)
	C, S := j.g.c, j.g.s
	keys := j.loss[n*S+s0 : n*S+s1]
	switch j.pass {
	case 1:
		sm := j.sm
		sm.S0, sm.S1 = s0, s1
		sm.PixLoss = j.loss[n*S : (n+1)*S]
		var g []float32
		if j.gr != nil {
			g = j.gr[n*C*S : (n+1)*C*S]
		}
		j.sums[c] = kernel.SoftmaxCE(g, j.x[n*C*S:(n+1)*C*S], j.lab[n*S:(n+1)*S], &sm)
	case 2:
		h := j.hist[c*topkBins : (c+1)*topkBins]
		clear(h)
		for _, l := range keys {
			k := math.Float32bits(l)
			if k>>31 == 0 && k&j.pmask == j.prefix { // -1: ignored
				h[(k>>j.shift)&j.mask]++
			}
		}
	case 3:
		q := j.quota[c]
		var sum float64
		for i, l := range keys {
			k := math.Float32bits(l)
			if k>>31 != 0 {
				continue // ignored: SoftmaxCE cleared its gradient
			}
			take := k > j.thr
			if k == j.thr && q > 0 {
				take = true
				q--
			}
			if take {
				sum += float64(l)
			}
			if j.gr == nil {
				continue
			}
			f := j.inv
			if !take {
				f = 0
			}
			for ch := 0; ch < C; ch++ {
				j.gr[(n*C+ch)*S+s0+i] *= f
			}
		}
		j.sums[c] = kernel.Sums{Loss: sum}
	}
}

// fusedTopK is the fused path of topk_ce (see above). Float targets take
// the general path.
func fusedTopK(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels == nil {
		return 0, false, false
	}
	o := &l.opts
	ws := &fw.topk
	j := &ws.job
	defer func() { *j = topkJob{} }()
	*j = topkJob{batch32: newBatch32(l, g, grad, b)}
	j.sm = ceSoftmax(fw, o, g)
	j.cpr = kernel.Chunks(g.s, kernel.Chunk)
	units := g.n * j.cpr
	j.sums = growSums(&fw.sums, units)
	j.loss = grow(&ws.loss, g.n*g.s)
	j.hist = grow(&ws.hist, units*topkBins)
	j.pass = 1
	kernel.Run(j, units, 1)
	if s := sumChunks(j.sums); s.Bad {
		return 0, true, true
	}
	// The radix select: need is the number of pixels still to take at or
	// below the current prefix.
	need, m := 0, 0
	j.pass = 2
	for lv, dg := range topkDigits {
		j.shift, j.mask = dg.shift, 1<<dg.bits-1
		kernel.Run(j, units, 1)
		tot := ws.tot[:j.mask+1]
		clear(tot)
		for c := 0; c < units; c++ {
			for d, v := range j.hist[c*topkBins : c*topkBins+len(tot)] {
				tot[d] += int(v)
			}
		}
		if lv == 0 {
			n := 0
			for _, v := range tot {
				n += v
			}
			if n == 0 { // every pixel ignored
				if grad != nil {
					fw.zeroGrad32(grad)
				}
				return 0, true, false
			}
			m = min(max(int(math.Floor(float64(n)*o.K/100)), 1), n)
			need = m
			j.inv = float32(1 / float64(m))
		}
		d := len(tot) - 1
		for ; tot[d] < need; d-- {
			need -= tot[d]
		}
		j.prefix |= uint32(d) << dg.shift
		j.pmask |= j.mask << dg.shift
	}
	// The last histograms count each chunk's keys equal to the threshold.
	j.thr = j.prefix
	last := int(j.thr & j.mask)
	j.quota = grow(&ws.quota, units)
	for c := range j.quota {
		eq := int(j.hist[c*topkBins+last])
		j.quota[c] = min(need, eq)
		need -= j.quota[c]
	}
	j.pass = 3
	kernel.Run(j, units, 1)
	return sumChunks(j.sums).Loss / float64(m), true, false
}
