package kernel

// The packed float32 sort: entries PackDesc32(key, index), ordered by
// their high 32 bits (the key image), stable. It goes most-significant
// digit first: the entries come in parts (slices of the buffer, in
// order), each with its counts per top digit (key bits 21..31) and of
// foreground entries per digit (for the Lovász weights); one pass
// scatters the parts to the buckets, in parallel for large sorts, and
// each bucket is then sorted in cache by key bits 0..20 (radixlow.go:
// stable least-significant-digit passes into a scratch region that stays
// in cache, or insertion when it is tiny), buckets in parallel. The
// Lovász kernel weighs each bucket right after sorting
// it, while it is still in cache. A caller that lists the entries itself
// counts each part right after listing it (Count32), while it is in
// cache, so the sort reads the entries from memory once.

// topShift puts the top digit, key bits 21..31, of an entry in its low
// bits. (Wider top digits, up to 14 bits, with the buckets of a binade
// split 32 ways instead of 4, measured no faster on the 1.45 M hinge
// errors of the binary workload; measured again with the in-bucket sort
// of radixlow.go, 12, 13 and 14 bits were 10-30 % slower on both
// workloads: the in-bucket passes gain, the top scatter into 2-8 times
// more streams loses more. The Lovász partials are per top-digit bucket,
// so a different top digit would also change the loss's last bits.)
const topShift = 53

// msdJob counts (scatter false) or scatters part c, entries
// a[c*part:][:lens[c]], to the buckets in b. With halves, each part goes
// as two halves with counts and offsets of their own, walked together:
// two independent chains of counter updates, which the CPU overlaps (one
// chain waits on each store to a counter before the next load of one: a
// scatter in cache of the softmax errors' concentrated top digits ran
// 1.55× faster). The halves are in order, so the scatter stays stable.
// Without halves, the first half is empty. (Sorts out of cache ran
// slower in halves: twice the write streams.)
type msdJob struct {
	scatter bool
	halves  bool
	a, b    []uint64
	part    int
	lens    []int    // per part: its entries
	cf      []uint64 // per half part: nb counts (low 32 bits) and foreground counts (high 32)
	hist    []int32  // per half part: nb offsets
}

// Do runs part c.
func (j *msdJob) Do(c, _, _ int) {
	a := j.a[c*j.part:][:j.lens[c]]
	if !j.scatter {
		j.count(c, a)
		return
	}
	lo, hi, last := j.split(a)
	o0 := (*[radixSize]int32)(j.hist[2*c*radixSize:][:radixSize])
	o1 := (*[radixSize]int32)(j.hist[(2*c+1)*radixSize:][:radixSize])
	b := j.b
	for i, v := range lo {
		w := hi[i]
		d, e := v>>topShift, w>>topShift
		b[o0[d]] = v
		o0[d]++
		b[o1[e]] = w
		o1[e]++
	}
	for _, w := range last {
		e := w >> topShift
		b[o1[e]] = w
		o1[e]++
	}
}

// count records part c, entries a: one add per entry counts it and,
// in the high half, its foreground bit, the two halves together.
func (j *msdJob) count(c int, a []uint64) {
	j.lens[c] = len(a)
	c0 := (*[radixSize]uint64)(j.cf[2*c*radixSize:][:radixSize])
	c1 := (*[radixSize]uint64)(j.cf[(2*c+1)*radixSize:][:radixSize])
	clear(c0[:])
	clear(c1[:])
	lo, hi, last := j.split(a)
	for i, v := range lo {
		w := hi[i]
		c0[v>>topShift] += 1 | uint64(uint32(v)>>31)<<32
		c1[w>>topShift] += 1 | uint64(uint32(w)>>31)<<32
	}
	for _, w := range last {
		c1[w>>topShift] += 1 | uint64(uint32(w)>>31)<<32
	}
}

// split returns the halves of part a walked together (lo, and hi of
// the same length) and the rest of the second half, last: the odd entry
// with halves, all of a without.
func (j *msdJob) split(a []uint64) (lo, hi, last []uint64) {
	h := 0
	if j.halves {
		h = len(a) / 2
	}
	return a[:h], a[h : 2*h], a[2*h:]
}

// halvesMax is the largest sequential sort whose parts go in halves: its
// buffers stay in a core's level-2 cache.
const halvesMax = 1 << 17

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

// Listing32 prepares a sort of entries that the caller lists into the
// returned buffer (of n entries) in parts of part entries: part c goes
// to buf[c*part:], and the caller records it with Count32(c, its
// entries), then sorts them all with LovaszListed32.
func (s *Sorter) Listing32(n, part int) []uint64 {
	s.initMSD(part, max(1, Chunks(n, part)))
	clear(s.mjob.lens)
	return s.Buffer32(n)
}

// Count32 records part c of a listing (see Listing32): its entries e,
// which start at buf[c*part]. Parts may be counted in parallel.
func (s *Sorter) Count32(c int, e []uint64) { s.mjob.count(c, e) }

// initMSD sets up s.mjob for a sort in parts of part entries.
func (s *Sorter) initMSD(part, parts int) {
	s.mjob = msdJob{part: part, lens: growSlice(&s.lens, parts),
		cf: growSlice(&s.cf64, 2*parts*radixSize), hist: growSlice(&s.h32, 2*parts*radixSize),
		halves: s.seq && part*parts <= halvesMax}
}

// msd32 sorts the parts of s.mjob (counted) in s.a with s.b as scratch
// and returns the sorted entries, a prefix of s.b. With lp, it also
// weighs each bucket (see lovaszPacked).
func (s *Sorter) msd32(lp *lovaszPacked) []uint64 {
	j := &s.mjob
	parts := len(j.lens)
	n := 0
	for _, m := range j.lens {
		n += m
	}
	a, b := s.a, growSlice(&s.b, max(n, len(s.a)))[:n]
	j.a, j.b = a, b
	if n <= msdInsertion { // the parts in order, by insertion
		m := 0
		for c, k := range j.lens {
			m += copy(b[m:], a[c*j.part:][:k])
		}
		*j = msdJob{}
		insertionSort(b)
		if lp != nil {
			lp.partials = growSlice(&s.partials, 1)
			lp.partials[0] = 0
			if n > 0 {
				lp.partials[0] = lp.weigh(b, 0, 0)
			}
		}
		return b
	}
	const nb = radixSize
	if lp != nil {
		lp.partials = growSlice(&s.partials, nb)
		lp.fgBefore = growSlice(&s.fgb, nb)
	}
	bounds := growSlice(&s.bounds, nb+1)
	var sum, fgSum int32
	for d := 0; d < nb; d++ {
		bounds[d] = int(sum)
		if lp != nil {
			lp.fgBefore[d] = int(fgSum)
		}
		for c := 0; c < 2*parts; c++ { // half parts, in order
			v := j.cf[c*nb+d]
			j.hist[c*nb+d] = sum
			sum += int32(uint32(v))
			fgSum += int32(v >> 32)
		}
	}
	bounds[nb] = int(sum)
	par := n >= parallelSortMin && !s.seq
	j.scatter = true
	runSeq(j, parts, 1, par)
	*j = msdJob{}
	span := 0
	for d := 0; d < nb; d++ {
		span = max(span, bounds[d+1]-bounds[d])
	}
	bj := &s.bjob
	*bj = bucketJob{a: a, b: b, bounds: bounds, lp: lp, span: span}
	bj.run(s, lanesFor(n, span), par)
	*bj = bucketJob{}
	return b
}

// sortPacked sorts the first n entries of s.a with s.b as scratch and
// returns the sorted slice, a prefix of s.b. With lp, it also weighs them.
func (s *Sorter) sortPacked(n int, lp *lovaszPacked) []uint64 {
	part := max(n, 1)
	if n >= parallelSortMin && !s.seq {
		part = (n + sortParts - 1) / sortParts
	}
	parts := Chunks(n, part)
	s.initMSD(part, parts)
	j := &s.mjob
	j.a = s.a
	for c := range j.lens {
		j.lens[c] = min(part, n-c*part)
	}
	if n > msdInsertion {
		runSeq(j, parts, 1, n >= parallelSortMin && !s.seq)
	}
	return s.msd32(lp)
}
