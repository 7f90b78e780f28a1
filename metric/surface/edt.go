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
	if err := s.SquaredDistanceTransform(dst, feature, shape, spacing, workers); err != nil {
		return err
	}
	for i, v := range dst {
		dst[i] = math.Sqrt(v)
	}
	return nil
}

// SquaredDistanceTransform writes into dst the squared distance of
// SquaredDistanceTransform (the package function), with the memory of s.
func (s *Scratch) SquaredDistanceTransform(dst []float64, feature []bool, shape []int, spacing []float64, workers int) error {
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
	// Last axis first: a binary nearest-feature scan on contiguous lines.
	last := shape[nd-1]
	*j = lineJob{dst: dst, feature: feature, s2: sq(spacingOf(spacing, nd-1)), n: last, bufs: s.bufs}
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
		*j = lineJob{dst: dst, s2: sq(spacingOf(spacing, a)), n: n, stride: stride, blocks: blocks, bufs: s.bufs}
		j.run(len(dst) / (n * stride) * blocks)
	}
	return nil
}

// blockW is the number of adjacent lines a strided pass handles at once.
const blockW = 16

// lineBuf holds one worker's scratch space.
type lineBuf struct {
	lines, out [blockW][]float64
	v          []int
	z, h       []float64
}

// grow makes room for lines of length n, in one allocation.
func (b *lineBuf) grow(n int) {
	if len(b.v) >= n {
		return
	}
	f := make([]float64, (2*blockW+2)*n+1)
	for j := range b.lines {
		b.lines[j], f = f[:n:n], f[n:]
		b.out[j], f = f[:n:n], f[n:]
	}
	b.z, b.h = f[:n+1:n+1], f[n+1:]
	b.v = make([]int, n)
}

// lineJob is one pass of a transform: the binary scan of the last axis
// (feature set; lines of length n) or the envelope pass of another axis
// (lines of length n, stride apart, in blocks of blockW). Its tasks are
// split into len(bufs) contiguous ranges, one per worker, each with its
// own scratch.
type lineJob struct {
	dst               []float64
	feature           []bool
	s2                float64
	n, stride, blocks int
	tasks             int
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
			binaryLine(dst[l*n:(l+1)*n], j.feature[l*n:(l+1)*n], j.s2)
		}
		return
	}
	b := &j.bufs[w]
	b.grow(n)
	stride, blocks := j.stride, j.blocks
	for t := lo; t < hi; t++ {
		o, in0 := t/blocks, (t%blocks)*blockW
		w := min(blockW, stride-in0)
		base := o*n*stride + in0
		for i := 0; i < n; i++ {
			row := dst[base+i*stride : base+i*stride+w]
			for k, v := range row {
				b.lines[k][i] = v
			}
		}
		for k := 0; k < w; k++ {
			envelopeLine(b.out[k][:n], b.lines[k][:n], j.s2, b)
		}
		for i := 0; i < n; i++ {
			row := dst[base+i*stride : base+i*stride+w]
			for k := range row {
				row[k] = b.out[k][i]
			}
		}
	}
}

// binaryLine writes the squared distance along one line to the nearest
// feature of the line, scaled by s2 (the squared spacing), or +Inf.
func binaryLine(dst []float64, feature []bool, s2 float64) {
	n := len(dst)
	last := -1
	for i := 0; i < n; i++ {
		if feature[i] {
			last = i
		}
		if last < 0 {
			dst[i] = math.Inf(1)
		} else {
			dst[i] = float64(i - last)
		}
	}
	last = -1
	for i := n - 1; i >= 0; i-- {
		if feature[i] {
			last = i
		}
		if last >= 0 {
			if d := float64(last - i); d < dst[i] { // dst is never NaN: no math.Min
				dst[i] = d
			}
		}
		dst[i] *= dst[i] * s2
	}
}

// envelopeLine computes dst[p] = min_q s2·(p−q)² + f[q], the 1-D squared
// distance transform of f, as the lower envelope of the parabolas rooted at
// the finite values of f (Felzenszwalb and Huttenlocher).
func envelopeLine(dst, f []float64, s2 float64, b *lineBuf) {
	v, z, h := b.v, b.z, b.h
	k := -1
	for q, fq := range f {
		if math.IsInf(fq, 1) {
			continue
		}
		hq := fq + s2*float64(q*q)
		var x float64
		for k >= 0 {
			x = (hq - h[k]) / (2 * s2 * float64(q-v[k]))
			if x > z[k] {
				break
			}
			k--
		}
		k++
		v[k], h[k] = q, hq
		if k == 0 {
			z[k] = math.Inf(-1)
		} else {
			z[k] = x
		}
	}
	if k < 0 {
		for p := range dst {
			dst[p] = math.Inf(1)
		}
		return
	}
	z[k+1] = math.Inf(1)
	j := 0
	for p := range dst {
		for z[j+1] < float64(p) {
			j++
		}
		d := float64(p - v[j])
		dst[p] = s2*d*d + f[v[j]]
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
