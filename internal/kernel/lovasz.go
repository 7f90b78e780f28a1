package kernel

// Lovász extension of the Jaccard loss over sorted errors (Berman et al.
// 2018). The caller lists the elements with a positive error: keys[k] is
// the error, idx[k] the element's index in the output array with
// LovaszFG set for foreground elements. Elements with error <= 0 add
// nothing to the loss or the gradient (they sort last), except that
// foreground ones count in npos.

// LovaszFG marks a foreground element in the idx arrays of the Lovász kernels.
const LovaszFG = -1 << 31

// lovaszJ is J(k) = 1 - (npos - cumPos)/(npos + cumNeg).
func lovaszJ(npos, cumPos, cumNeg float64) float64 {
	return 1 - (npos-cumPos)/(npos+cumNeg)
}

// lovaszJob computes per-chunk foreground counts (phase 0) and then the
// weights, loss partials and output scatter (phase 1) of one sorted run.
type lovaszJob struct {
	phase    int
	keys32   []float32
	keys64   []float64
	idx      []int32
	npos     float64
	out32    []float32
	out64    []float64
	f        float64
	off      float64
	fgCount  []int     // per chunk: foreground elements (phase 0), then the prefix (phase 1)
	partials []float64 // per chunk loss
}

// Do runs one chunk of the current phase.
func (j *lovaszJob) Do(c, lo, hi int) {
	idx := j.idx[lo:hi]
	if j.phase == 0 {
		n := 0
		for _, v := range idx {
			if v < 0 {
				n++
			}
		}
		j.fgCount[c] = n
		return
	}
	cumPos := float64(j.fgCount[c])
	cumNeg := float64(lo) - cumPos
	prev := 0.0
	if lo > 0 {
		prev = lovaszJ(j.npos, cumPos, cumNeg)
	}
	var loss float64
	f := j.f
	for k, v := range idx {
		// branch-free: the labels of sorted errors are random
		fg := float64(uint32(v) >> 31)
		cumPos += fg
		cumNeg += 1 - fg
		jk := lovaszJ(j.npos, cumPos, cumNeg)
		w := jk - prev
		prev = jk
		var key float64
		if j.keys32 != nil {
			key = float64(j.keys32[lo+k])
		} else {
			key = j.keys64[lo+k]
		}
		loss += (j.off + key) * w
		gw := w * f * (1 - 2*fg)
		i := v &^ LovaszFG
		if j.out32 != nil {
			j.out32[i] = float32(gw)
		} else if j.out64 != nil {
			j.out64[i] = gw
		}
	}
	j.partials[c] = loss
}

// lovaszChunk is the chunk of the weight pass; a constant, so the loss
// sums the same partials whatever the number of threads.
const lovaszChunk = 1 << 16

// SetSequential makes the Sorter's sorts and Lovász kernels run on the
// calling goroutine only (for many small sorts run by a parallel job) or,
// when off, on several.
func (s *Sorter) SetSequential(on bool) { s.seq = on }

func (s *Sorter) lovasz(j *lovaszJob, n int) float64 {
	nc := Chunks(n, lovaszChunk)
	j.fgCount = growSlice(&s.fg, nc)
	j.partials = growSlice(&s.partials, nc)
	if s.seq {
		for c := 0; c < nc; c++ {
			lo := c * lovaszChunk
			j.Do(c, lo, min(lo+lovaszChunk, n))
		}
	} else {
		Run(j, n, lovaszChunk)
	}
	sum := 0
	for c := range j.fgCount {
		v := j.fgCount[c]
		j.fgCount[c] = sum
		sum += v
	}
	j.phase = 1
	if s.seq {
		for c := 0; c < nc; c++ {
			lo := c * lovaszChunk
			j.Do(c, lo, min(lo+lovaszChunk, n))
		}
	} else {
		Run(j, n, lovaszChunk)
	}
	loss := SumOrdered(j.partials)
	*j = lovaszJob{}
	return loss
}

// Lovasz32 sorts the positive errors off + keys (with idx, see LovaszFG)
// in decreasing order, returns sum_k (off + keys[k]) w_k with w the Lovász gradient
// of the Jaccard loss at rank k given npos foreground elements in all,
// and, if out is not nil, writes out[i] = f w (background) or -f w
// (foreground) for each listed element i: the derivative of the loss with
// respect to the prediction behind the error, times f. The offset lets
// the keys be exact where off + key would round in float32 (the Lovász
// hinge sorts -x*(2t-1), exact, for the error 1 - x*(2t-1)).
func (s *Sorter) Lovasz32(keys []float32, idx []int32, npos int, out []float32, f, off float64) float64 {
	if len(keys) == 0 {
		return 0
	}
	s.sortDesc32(keys, idx)
	j := &s.ljob
	*j = lovaszJob{keys32: keys, idx: idx, npos: float64(npos), out32: out, f: f, off: off}
	return s.lovasz(j, len(keys))
}

// Lovasz64 is Lovasz32 for float64 errors and output.
func (s *Sorter) Lovasz64(keys []float64, idx []int32, npos int, out []float64, f float64) float64 {
	if len(keys) == 0 {
		return 0
	}
	s.sortDesc64(keys, idx)
	j := &s.ljob
	*j = lovaszJob{keys64: keys, idx: idx, npos: float64(npos), out64: out, f: f}
	return s.lovasz(j, len(keys))
}

// lovaszPacked weighs the buckets of a packed sort as it sorts them
// (msd32): each bucket starts at a known rank with a known number of
// foreground entries before it, so it needs nothing from the others.
type lovaszPacked struct {
	npos, f, off float64
	out          []float32
	fgBefore     []int     // per bucket: foreground entries before it
	partials     []float64 // per bucket: its part of the loss
}

// LovaszPacked32 is Lovasz32 on the first n entries of the buffer
// returned by Buffer32, filled with PackDesc32(key, idx) in increasing
// order of element position; it sorts them and weighs them packed, each
// bucket right after its sort. The loss sums per-bucket parts in bucket
// order: the same whatever the number of threads.
func (s *Sorter) LovaszPacked32(n, npos int, out []float32, f, off float64) float64 {
	if n == 0 {
		return 0
	}
	lp := &s.lp
	*lp = lovaszPacked{npos: float64(npos), f: f, off: off, out: out}
	s.sortPacked(n, lp)
	loss := SumOrdered(lp.partials)
	*lp = lovaszPacked{}
	return loss
}

// LovaszListed32 is LovaszPacked32 on the entries of a listing (see
// Listing32), in part order.
func (s *Sorter) LovaszListed32(npos int, out []float32, f, off float64) float64 {
	lp := &s.lp
	*lp = lovaszPacked{npos: float64(npos), f: f, off: off, out: out}
	s.msd32(lp)
	loss := SumOrdered(lp.partials)
	*lp = lovaszPacked{}
	return loss
}
