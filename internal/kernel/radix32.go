package kernel

// The packed float32 sort: entries PackDesc32(key, index), ordered by
// their high 32 bits (the key image), stable. It goes most-significant
// digit first: one pass counts the entries per top digit (key bits
// 21..31, with the foreground entries per digit for the Lovász weights),
// one scatters them to their buckets, in parallel slices for large sorts,
// and each bucket is then sorted in cache by key bits 0..20 (two stable
// least-significant-digit passes, or insertion when it is tiny), buckets
// in parallel. The Lovász kernel weighs each bucket right after sorting
// it, while it is still in cache.

const (
	topShift     = 53 // the top digit of an entry: key bits 21..31
	msdInsertion = 32 // buckets up to this size go by insertion sort
	bucketUnit   = 16 // buckets per unit of bucketJob
)

// msdJob runs one phase of the top-digit pass over sortParts slices (one
// when sequential): the histogram, then the scatter.
type msdJob struct {
	scatter bool
	a, b    []uint64
	rng     []uint32 // per part: index min, index max
	hist    []int    // per part: radixSize counts, then offsets
	fg      []int    // per part: radixSize foreground counts
}

// Do runs part c, entries [lo, hi), of the current phase.
func (j *msdJob) Do(c, lo, hi int) {
	a := j.a[lo:hi]
	cnt := j.hist[c*radixSize : (c+1)*radixSize]
	if j.scatter {
		b := j.b
		for _, v := range a {
			d := v >> topShift & radixMask
			b[cnt[d]] = v
			cnt[d]++
		}
		return
	}
	fg := j.fg[c*radixSize : (c+1)*radixSize]
	clear(cnt)
	clear(fg)
	imn, imx := ^uint32(0), uint32(0)
	for _, v := range a {
		d := v >> topShift & radixMask
		cnt[d]++
		fg[d] += int(uint32(v) >> 31)
		i := uint32(v) &^ (1 << 31)
		imn, imx = min(imn, i), max(imx, i)
	}
	j.rng[2*c], j.rng[2*c+1] = imn, imx
}

// runSeq runs job over n elements in chunks of chunk: in parallel with
// par, else on the calling goroutine (the same chunks either way).
func runSeq(job Job, n, chunk int, par bool) {
	if par {
		Run(job, n, chunk)
		return
	}
	for c := 0; c*chunk < n; c++ {
		job.Do(c, c*chunk, min((c+1)*chunk, n))
	}
}

// msd32 sorts a with b (same length) as scratch and returns the sorted
// slice, b. With lp, it also weighs each bucket (see lovaszPacked).
func (s *Sorter) msd32(a, b []uint64, lp *lovaszPacked) []uint64 {
	n := len(a)
	if n <= msdInsertion {
		copy(b, a)
		insertionSort(b)
		if lp != nil {
			lp.plan(s, 0, 0, nil) // a single bucket: direct writes
			lp.partials = growSlice(&s.partials, 1)
			lp.partials[0] = lp.weigh(b, 0, 0, 0)
		}
		return b
	}
	par := n >= parallelSortMin && !s.seq
	parts, part := 1, n
	if par {
		part = (n + sortParts - 1) / sortParts
		parts = Chunks(n, part)
	}
	j := &s.mjob
	*j = msdJob{a: a, b: b, rng: growSlice(&s.rng, 2*parts),
		hist: growSlice(&s.hist, parts*radixSize), fg: growSlice(&s.fgh, parts*radixSize)}
	runSeq(j, n, part, par)
	imin, imax := j.rng[0], j.rng[1]
	for c := 1; c < parts; c++ {
		imin, imax = min(imin, j.rng[2*c]), max(imax, j.rng[2*c+1])
	}
	bounds := growSlice(&s.bounds, radixSize+1)
	var fgBefore []int
	if lp != nil {
		fgBefore = growSlice(&s.fgb, radixSize)
	}
	sum, fgSum := 0, 0
	for d := 0; d < radixSize; d++ {
		bounds[d] = sum
		if lp != nil {
			fgBefore[d] = fgSum
		}
		for c := 0; c < parts; c++ {
			h := &j.hist[c*radixSize+d]
			v := *h
			*h = sum
			sum += v
			fgSum += j.fg[c*radixSize+d]
		}
	}
	bounds[radixSize] = sum
	j.scatter = true
	runSeq(j, n, part, par)
	*j = msdJob{}
	bj := &s.bjob
	*bj = bucketJob{a: a, b: b, bounds: bounds, lp: lp}
	if lp != nil {
		lp.fgBefore = fgBefore
		lp.partials = growSlice(&s.partials, radixSize)
		lp.plan(s, imin, imax, bounds)
	}
	runSeq(bj, radixSize, bucketUnit, par)
	*bj = bucketJob{}
	if lp != nil && lp.nblk > 0 {
		lp.scatter(b, par)
	}
	return b
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

// bucketJob sorts top-digit buckets [lo, hi) of b by key bits 0..20,
// with the same ranges of a as scratch (the result stays in b), and
// weighs them with lp when it is set.
type bucketJob struct {
	a, b   []uint64
	bounds []int
	lp     *lovaszPacked
}

// Do sorts (and weighs) buckets [lo, hi), unit c.
func (j *bucketJob) Do(c, lo, hi int) {
	var cnt [2][radixSize]int32
	for d := lo; d < hi; d++ {
		x, y := j.bounds[d], j.bounds[d+1]
		b := j.b[x:y]
		if len(b) > 1 {
			sortLow(b, j.a[x:y], &cnt)
		}
		if lp := j.lp; lp != nil {
			lp.partials[d] = 0
			if len(b) > 0 {
				lp.partials[d] = lp.weigh(b, x, lp.fgBefore[d], c)
			}
		}
	}
}

// sortLow sorts b, whose entries share their top digit, by key bits
// 0..20, with a (same length) as scratch: both histograms in one pass,
// then two stable scatters b -> a -> b.
func sortLow(b, a []uint64, cnt *[2][radixSize]int32) {
	if len(b) <= msdInsertion {
		insertionSort(b)
		return
	}
	c0, c1 := &cnt[0], &cnt[1]
	clear(c0[:])
	clear(c1[:1<<10])
	for _, v := range b {
		c0[v>>32&radixMask]++
		c1[v>>43&(1<<10-1)]++
	}
	var s0, s1 int32
	for i, n := range c0 {
		c0[i] = s0
		s0 += n
	}
	for i, n := range c1[:1<<10] {
		c1[i] = s1
		s1 += n
	}
	for _, v := range b {
		d := v >> 32 & radixMask
		a[c0[d]] = v
		c0[d]++
	}
	for _, v := range a {
		d := v >> 43 & (1<<10 - 1)
		b[c1[d]] = v
		c1[d]++
	}
}
