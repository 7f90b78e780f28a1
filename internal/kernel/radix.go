package kernel

import "math"

// Radix sorting of float keys, in decreasing order and stable: equal keys
// keep their input order, so when the input lists elements by increasing
// index, ties end up by increasing index (the order of a stable
// descending comparison sort). -0 and +0 are equal. Keys must not be NaN.
//
// Keys are sorted by an order-preserving integer image of the float.
// float64 sorts go least-significant digit first with 11-bit digits, 6
// passes, skipping a pass whose digit is the same for every key (float64
// keys computed from float32 data skip most of them). float32 sorts go
// most-significant digit first (radix32.go). Cost is O(n) time and O(n)
// scratch memory, kept in the Sorter between calls.

const (
	radixBits = 11
	radixSize = 1 << radixBits
	radixMask = radixSize - 1
	// parallelSortMin is the size from which one sort uses several goroutines.
	parallelSortMin = 1 << 17
	// sortParts is the number of slices of a parallel pass (a constant: the
	// result does not depend on it anyway, the sort being deterministic).
	sortParts = 16
)

// desc32 maps a float32 to a uint32 whose increasing order is the float's
// decreasing order (-0 and +0 map to the same value).
func desc32(f float32) uint32 {
	b := math.Float32bits(f + 0) // f + 0 turns -0 into +0
	m := uint32(int32(b) >> 31)  // all ones for negative floats
	return ^(b ^ (m | 0x80000000))
}

// desc64 is desc32 for float64.
func desc64(f float64) uint64 {
	b := math.Float64bits(f + 0)
	m := uint64(int64(b) >> 63)
	return ^(b ^ (m | 1<<63))
}

// Sorter holds the scratch memory of the radix sorts; the zero value is
// ready. A Sorter must not be used by two sorts at once.
type Sorter struct {
	a, b   []uint64 // float32 sorts: key<<32 | index
	ka, kb []uint64 // float64 sorts: keys
	ia, ib []int32  // float64 sorts: indices
	hist   []int    // sortParts × radixSize counts
	job    sortJob
	seq    bool // run on the calling goroutine only

	// float32 sorts (radix32.go)
	mjob   msdJob
	lens   []int
	cf64   []uint64 // parts × buckets counts and foreground counts
	h32    []int32  // parts × buckets offsets
	fgb    []int    // per bucket: foreground entries before it
	bounds []int
	bjob   bucketJob
	order  []int32 // units of bjob, largest first

	fg       []int
	partials []float64
	ljob     lovaszJob
	lp       lovaszPacked
}

func growSlice[E any](buf *[]E, n int) []E {
	if cap(*buf) < n {
		*buf = make([]E, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// SortDesc32 sorts keys in decreasing order, stable, and applies the same
// permutation to idx (of the same length).
func (s *Sorter) SortDesc32(keys []float32, idx []int32) { s.sortDesc32(keys, idx) }

func (s *Sorter) sortDesc32(keys []float32, idx []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	a := growSlice(&s.a, n)
	for k, f := range keys {
		a[k] = PackDesc32(f, idx[k])
	}
	a = s.sortPacked(n, nil)
	for k, v := range a {
		keys[k] = descInv32(uint32(v >> 32))
		idx[k] = int32(uint32(v))
	}
}

// PackDesc32 packs a float32 key and an index into the entries of the
// packed sorts: their increasing order is the keys' decreasing order,
// ties by increasing position of the entry.
func PackDesc32(key float32, idx int32) uint64 {
	return uint64(desc32(key))<<32 | uint64(uint32(idx))
}

// UnpackDesc32 inverts PackDesc32.
func UnpackDesc32(v uint64) (key float32, idx int32) {
	return descInv32(uint32(v >> 32)), int32(uint32(v))
}

// Buffer32 returns the Sorter's buffer of n packed entries (contents
// undefined), for the caller to fill with PackDesc32 and hand to
// LovaszPacked32 without a copy.
func (s *Sorter) Buffer32(n int) []uint64 {
	growSlice(&s.b, n)
	return growSlice(&s.a, n)
}

// descInv32 inverts desc32 (mapping -0 to +0), branch-free.
func descInv32(u uint32) float32 {
	m := uint32(int32(u) >> 31) // all ones: a negative float, stored as is
	return math.Float32frombits(u ^ 0x7fffffff&^m)
}

// descInv64 inverts desc64.
func descInv64(u uint64) float64 {
	if u&(1<<63) != 0 {
		return math.Float64frombits(u)
	}
	return math.Float64frombits(^u &^ (1 << 63))
}

// SortDesc64 sorts float64 keys in decreasing order, stable, and applies
// the same permutation to idx.
func (s *Sorter) SortDesc64(keys []float64, idx []int32) { s.sortDesc64(keys, idx) }

func (s *Sorter) sortDesc64(keys []float64, idx []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	ka, kb := growSlice(&s.ka, n), growSlice(&s.kb, n)
	ia, ib := growSlice(&s.ia, n), growSlice(&s.ib, n)
	for k, f := range keys {
		ka[k] = desc64(f)
	}
	copy(ia, idx)
	par := n >= parallelSortMin && !s.seq
	for shift := uint(0); shift < 64; shift += radixBits {
		var moved bool
		if par {
			moved = s.parallelPass(ka, kb, ia, ib, shift)
		} else {
			moved = pass64(ka, kb, ia, ib, shift, growSlice(&s.hist, radixSize))
		}
		if moved {
			ka, kb = kb, ka
			ia, ib = ib, ia
		}
	}
	for k, v := range ka {
		keys[k] = descInv64(v)
	}
	copy(idx, ia)
}

func pass64(ka, kb []uint64, ia, ib []int32, shift uint, cnt []int) bool {
	clear(cnt)
	for _, v := range ka {
		cnt[(v>>shift)&radixMask]++
	}
	if cnt[(ka[0]>>shift)&radixMask] == len(ka) {
		return false
	}
	sum := 0
	for d, c := range cnt {
		cnt[d] = sum
		sum += c
	}
	for k, v := range ka {
		d := (v >> shift) & radixMask
		p := cnt[d]
		kb[p] = v
		ib[p] = ia[k]
		cnt[d]++
	}
	return true
}

// sortJob runs the histogram (phase 0) and scatter (phase 1) of one
// parallel pass of a float64 sort over sortParts slices.
type sortJob struct {
	phase  int
	shift  uint
	ka, kb []uint64
	ia, ib []int32
	hist   []int
	part   int
}

// Do runs part c of the current phase.
func (j *sortJob) Do(c, lo, hi int) {
	cnt := j.hist[c*radixSize : (c+1)*radixSize]
	shift := j.shift
	if j.phase == 0 {
		clear(cnt)
		for _, v := range j.ka[lo:hi] {
			cnt[(v>>shift)&radixMask]++
		}
		return
	}
	kb, ia, ib := j.kb, j.ia, j.ib
	for k := lo; k < hi; k++ {
		v := j.ka[k]
		d := (v >> shift) & radixMask
		p := cnt[d]
		kb[p] = v
		ib[p] = ia[k]
		cnt[d]++
	}
}

// parallelPass is one counting pass split over sortParts slices: per-slice
// histograms, offsets in (digit, slice) order, then per-slice scatters. It
// produces exactly the sequential pass's result.
func (s *Sorter) parallelPass(ka, kb []uint64, ia, ib []int32, shift uint) bool {
	n := len(ka)
	part := (n + sortParts - 1) / sortParts
	np := Chunks(n, part)
	j := &s.job
	*j = sortJob{shift: shift, ka: ka, kb: kb, ia: ia, ib: ib,
		hist: growSlice(&s.hist, np*radixSize), part: part}
	Run(j, n, part)
	d0 := int((ka[0] >> shift) & radixMask)
	tot := 0
	for c := 0; c < np; c++ {
		tot += j.hist[c*radixSize+d0]
	}
	if tot == n {
		*j = sortJob{}
		return false
	}
	sum := 0
	for d := 0; d < radixSize; d++ {
		for c := 0; c < np; c++ {
			h := &j.hist[c*radixSize+d]
			v := *h
			*h = sum
			sum += v
		}
	}
	j.phase = 1
	Run(j, n, part)
	*j = sortJob{}
	return true
}
