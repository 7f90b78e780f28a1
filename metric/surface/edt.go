package surface

import (
	"fmt"
	"math"

	"github.com/segloss/segloss/internal/kernel"
	shapepkg "github.com/segloss/segloss/internal/shape"
)

// DistanceTransform returns, for every voxel of an n-D image of the given
// shape (row-major, last axis fastest), the Euclidean distance to the
// nearest voxel where feature is true, with spacing giving the physical
// size of a voxel along each axis (nil means 1). It runs in time linear in
// the number of voxels, on up to workers goroutines (workers < 1 means 1).
//
// Special cases are:
//
//	DistanceTransform = +Inf everywhere if no voxel is a feature
func DistanceTransform(feature []bool, shape []int, spacing []float64, workers int) ([]float64, error) {
	d := make([]float64, len(feature))
	var s Scratch
	if err := s.DistanceTransform(d, feature, shape, spacing, workers); err != nil {
		return nil, err
	}
	return d, nil
}

// SquaredDistanceTransform writes into dst the squared Euclidean distance
// from every voxel to the nearest feature voxel, as DistanceTransform
// describes. dst must have the length of feature.
func SquaredDistanceTransform(dst []float64, feature []bool, shape []int, spacing []float64, workers int) error {
	var s Scratch
	return s.SquaredDistanceTransform(dst, feature, shape, spacing, workers)
}

// Scratch is the reusable memory of the distance transforms: once it has
// grown to a shape and a number of workers, a transform run with it
// allocates nothing. A Scratch serves one transform at a time; the zero
// value is ready to use.
type Scratch struct {
	bufs []lineBuf
	job  lineJob
}

// DistanceTransform writes into dst the Euclidean distance of
// DistanceTransform (the package function), with the memory of s.
func (s *Scratch) DistanceTransform(dst []float64, feature []bool, shape []int, spacing []float64, workers int) error {
	return s.transform(dst, nil, feature, shape, spacing, workers, true)
}

// SquaredDistanceTransform writes into dst the squared distance of
// SquaredDistanceTransform (the package function), with the memory of s.
func (s *Scratch) SquaredDistanceTransform(dst []float64, feature []bool, shape []int, spacing []float64, workers int) error {
	return s.transform(dst, nil, feature, shape, spacing, workers, false)
}

// TwoSided writes into toFG the Euclidean distance from every voxel to
// the nearest voxel of mask and into toBG the distance to the nearest
// voxel outside it, both as DistanceTransform computes them (of mask and
// of its complement: the same values, bit for bit), in one run that
// shares the passes over the lines. toFG and toBG must have the length of
// mask and must not overlap.
func (s *Scratch) TwoSided(toFG, toBG []float64, mask []bool, shape []int, spacing []float64, workers int) error {
	if len(toBG) != len(mask) {
		return fmt.Errorf("surface: destination has %d voxels, want %d", len(toBG), len(mask))
	}
	return s.transform(toFG, toBG, mask, shape, spacing, workers, true)
}

// transform is the squared distance transform of feature into dst and,
// when dst2 is not nil, of its complement into dst2; with root, the
// distances instead of their squares.
func (s *Scratch) transform(dst, dst2 []float64, feature []bool, shape []int, spacing []float64, workers int, root bool) error {
	if err := checkGeometry(len(feature), shape, spacing); err != nil {
		return err
	}
	if len(dst) != len(feature) {
		return fmt.Errorf("surface: destination has %d voxels, want %d", len(dst), len(feature))
	}
	if len(feature) == 0 {
		return nil
	}
	nd := len(shape)
	if cap(s.bufs) < max(workers, 1) {
		s.bufs = make([]lineBuf, max(workers, 1))
	}
	s.bufs = s.bufs[:max(workers, 1)]
	j := &s.job
	defer func() { *j = lineJob{} }()
	// The last axis to run the envelope on takes the square root as it
	// writes its lines back; without one, a pass of its own does.
	first := 0
	for first < nd-1 && shape[first] == 1 {
		first++
	}
	// Last axis first: a binary nearest-feature scan on contiguous lines.
	last := shape[nd-1]
	*j = lineJob{dst: dst, dst2: dst2, feature: feature, s2: sq(spacingOf(spacing, nd-1)), n: last, bufs: s.bufs}
	j.run(len(feature) / last)
	// Then every other axis: the lower envelope of parabolas.
	for a := nd - 2; a >= 0; a-- {
		n := shape[a]
		if n == 1 {
			continue
		}
		stride := 1
		for _, s := range shape[a+1:] {
			stride *= s
		}
		// A task is a block of up to blockW adjacent lines, gathered
		// together so that strided reads touch whole cache lines.
		blocks := (stride + blockW - 1) / blockW
		*j = lineJob{dst: dst, dst2: dst2, s2: sq(spacingOf(spacing, a)), n: n, stride: stride, blocks: blocks,
			root: root && a == first, bufs: s.bufs}
		j.run(len(dst) / (n * stride) * blocks)
	}
	if root && first == nd-1 {
		sqrtAll(dst)
		sqrtAll(dst2)
	}
	return nil
}

// sqrtAll replaces every value of d by its square root.
func sqrtAll(d []float64) {
	for i, v := range d {
		d[i] = math.Sqrt(v)
	}
}

// blockW is the number of adjacent lines a strided pass handles at once.
const blockW = 16

// lineBuf holds one worker's scratch space: a block of lines, line k at
// lines[k*ld:k*ld+n], and the envelope's stack.
type lineBuf struct {
	lines []float64
	ld    int
	v     []int
	z, h  []float64
	fv    []float64
}

// linePad is the gap between the lines of a block, in values: one cache
// line, so that the lines of a block, when n is a multiple of a page,
// do not all fall in the same cache set (the gather writes one value to
// each line in turn).
const linePad = 8

// grow makes room for blocks of lines of length n.
func (b *lineBuf) grow(n int) {
	if len(b.v) >= n {
		return
	}
	b.ld = n + linePad
	f := make([]float64, blockW*b.ld+3*n+1)
	b.lines, f = f[:blockW*b.ld:blockW*b.ld], f[blockW*b.ld:]
	b.z, f = f[:n+1:n+1], f[n+1:]
	b.h, b.fv = f[:n:n], f[n:]
	b.v = make([]int, n)
}

// lineJob is one pass of a transform: the binary scan of the last axis
// (feature set; lines of length n) or the envelope pass of another axis
// (lines of length n, stride apart, in blocks of blockW), on dst and,
// when it is not nil, dst2 (the complement's transform). Its tasks are
// split into len(bufs) contiguous ranges, one per worker, each with its
// own scratch. With root, the envelope pass writes square roots.
type lineJob struct {
	dst, dst2         []float64
	feature           []bool
	s2                float64
	n, stride, blocks int
	tasks             int
	root              bool
	bufs              []lineBuf
}

// run runs tasks 0..tasks-1 on up to len(j.bufs) goroutines.
func (j *lineJob) run(tasks int) {
	j.tasks = tasks
	kernel.Run(j, min(len(j.bufs), tasks), 1)
}

// Do runs worker w's range of tasks.
func (j *lineJob) Do(w, _, _ int) {
	workers := min(len(j.bufs), j.tasks)
	lo, hi := j.tasks*w/workers, j.tasks*(w+1)/workers
	n, dst := j.n, j.dst
	if j.feature != nil {
		for l := lo; l < hi; l++ {
			var d2 []float64
			if j.dst2 != nil {
				d2 = j.dst2[l*n : (l+1)*n]
			}
			binaryLine(dst[l*n:(l+1)*n], d2, j.feature[l*n:(l+1)*n], j.s2)
		}
		return
	}
	b := &j.bufs[w]
	b.grow(n)
	for t := lo; t < hi; t++ {
		j.block(b, dst, t)
		if j.dst2 != nil {
			j.block(b, j.dst2, t)
		}
	}
}

// block runs the envelope pass on block t of d: gathers its lines into
// b, transforms them and writes them back.
func (j *lineJob) block(b *lineBuf, d []float64, t int) {
	n, stride := j.n, j.stride
	o, in0 := t/j.blocks, (t%j.blocks)*blockW
	w := min(blockW, stride-in0)
	base := o*n*stride + in0
	ld := b.ld
	lines := b.lines
	for i := 0; i < n; i++ {
		row := d[base+i*stride : base+i*stride+w]
		for k, v := range row {
			lines[k*ld+i] = v
		}
	}
	for k := 0; k < w; k++ {
		envelopeLine(lines[k*ld:k*ld+n], j.s2, b)
	}
	for i := 0; i < n; i++ {
		row := d[base+i*stride : base+i*stride+w]
		if j.root {
			for k := range row {
				row[k] = math.Sqrt(lines[k*ld+i])
			}
		} else {
			for k := range row {
				row[k] = lines[k*ld+i]
			}
		}
	}
}

// binaryLine writes into toFG the squared distance along one line to the
// nearest voxel of mask in the line, scaled by s2 (the squared spacing),
// or +Inf, and, when toBG is not nil, the same of the complement of mask
// into toBG. It runs a run of equal mask values at a time: 0 on the run's
// own side, the distance to the nearer end beyond the run on the other.
func binaryLine(toFG, toBG []float64, mask []bool, s2 float64) {
	n := len(toFG)
	mask = mask[:n]
	for a := 0; a < n; {
		m := mask[a]
		b := a + 1
		for b < n && mask[b] == m {
			b++
		}
		var same, other []float64
		if m {
			same = toFG[a:b]
			if toBG != nil {
				other = toBG[a:b]
			}
		} else {
			other = toFG[a:b]
			if toBG != nil {
				same = toBG[a:b]
			}
		}
		clear(same)
		// With i counted from a: i+1 to the voxel before the run, b-a-i to
		// the one after it.
		switch {
		case a > 0 && b < n:
			for i := range other {
				d := float64(min(i+1, b-a-i))
				other[i] = d * (d * s2)
			}
		case a > 0:
			for i := range other {
				d := float64(i + 1)
				other[i] = d * (d * s2)
			}
		case b < n:
			for i := range other {
				d := float64(b - a - i)
				other[i] = d * (d * s2)
			}
		default:
			for i := range other {
				other[i] = math.Inf(1)
			}
		}
		a = b
	}
}

// envelopeLine replaces f[p] by min_q s2·(p−q)² + f[q], the 1-D squared
// distance transform of f, as the lower envelope of the parabolas rooted at
// the finite values of f (Felzenszwalb and Huttenlocher).
func envelopeLine(f []float64, s2 float64, b *lineBuf) {
	n := len(f)
	v, z, h, fv := b.v[:n], b.z[:n+1], b.h[:n], b.fv[:n]
	inf := math.Inf(1)
	s2x2 := 2 * s2
	k := -1
	for q, fq := range f {
		if fq == inf {
			continue
		}
		hq := fq + s2*float64(q*q)
		var x float64
		for k >= 0 {
			x = (hq - h[k]) / (s2x2 * float64(q-v[k]))
			if x > z[k] {
				break
			}
			k--
		}
		k++
		v[k], h[k], fv[k] = q, hq, fq
		if k == 0 {
			z[k] = math.Inf(-1)
		} else {
			z[k] = x
		}
	}
	if k < 0 {
		for p := range f {
			f[p] = inf
		}
		return
	}
	z[k+1] = inf
	j := 0
	for p := range f {
		for z[j+1] < float64(p) {
			j++
		}
		d := float64(p - v[j])
		f[p] = s2*d*d + fv[j]
	}
}

func sq(x float64) float64 { return x * x }

func spacingOf(spacing []float64, axis int) float64 {
	if spacing == nil {
		return 1
	}
	return spacing[axis]
}

// checkGeometry verifies that shape holds n voxels and that spacing, when
// given, has one positive finite value per axis.
func checkGeometry(n int, shape []int, spacing []float64) error {
	if len(shape) == 0 {
		return fmt.Errorf("surface: empty shape")
	}
	for _, s := range shape {
		if s < 1 {
			return fmt.Errorf("surface: shape %v has an axis smaller than 1", shape)
		}
	}
	p, err := shapepkg.Product(shape)
	if err != nil {
		return fmt.Errorf("surface: %v", err)
	}
	if p != n {
		return fmt.Errorf("surface: shape %v holds %d voxels, mask has %d", shape, p, n)
	}
	if spacing == nil {
		return nil
	}
	if len(spacing) != len(shape) {
		return fmt.Errorf("surface: spacing %v does not match shape %v", spacing, shape)
	}
	for _, s := range spacing {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("surface: spacing %v must be positive and finite", spacing)
		}
	}
	return nil
}
