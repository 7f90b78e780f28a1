package segloss

import "github.com/segloss/segloss/internal/kernel"

// The parallel passes of the second family's dense view (family2.go) that
// read or write the batch's element type: kernel.Job types kept in the
// workspace, one set per element type, so that they allocate nothing.

// f2TJobs are the jobs of element type T.
type f2TJobs[T Float] struct {
	read denseReadJob[T]
	add  addGradJob[T]
}

// f2jobs returns ws's jobs of element type T.
func f2jobs[T Float](ws *workspace) *f2TJobs[T] {
	if j, ok := any(&ws.f2j32).(*f2TJobs[T]); ok {
		return j
	}
	return any(&ws.f2j64).(*f2TJobs[T])
}

// denseReadJob fills the dense view d from b: the input converted to
// float64 (chunks of elements), or, with target set, the target, keep and
// pixel (one unit per chunk of per pixels of one sample, so that a
// pixel's channels are written by one goroutine).
type denseReadJob[T Float] struct {
	d      *dense
	b      Batch[T]
	target bool
	per    int // chunks of pixels per sample
}

// Do runs unit u: elements [lo, hi), or one chunk of pixels.
func (j *denseReadJob[T]) Do(u, lo, hi int) {
	d, b := j.d, &j.b
	if !j.target {
		for i := lo; i < hi; i++ {
			d.x[i] = float64(b.Input[i])
		}
		return
	}
	g, o := d.g, d.o
	ign := float64(o.IgnoreIndex)
	for task := lo; task < hi; task++ {
		nn, s0 := task/j.per, (task%j.per)*kernel.Chunk
		s1 := min(s0+kernel.Chunk, g.s)
		for s := s0; s < s1; s++ {
			d.pixel[nn*g.s+s] = true
		}
		for c := 0; c < g.c; c++ {
			off := (nn*g.c + c) * g.s
			for s := s0; s < s1; s++ {
				i := off + s
				if b.Labels != nil {
					y := int(b.Labels[nn*g.s+s])
					if o.Ignore && y == o.IgnoreIndex {
						d.pixel[nn*g.s+s] = false
						continue
					}
					d.keep[i] = true
					if y == c {
						d.t[i] = 1
					}
					continue
				}
				tv := float64(b.Target[i])
				if o.Ignore && tv == ign {
					d.pixel[nn*g.s+s] = false
					continue
				}
				d.keep[i] = true
				d.t[i] = tv
			}
		}
	}
}

// addGradJob adds dx into grad (grad[i] += T(dx[i])) or, with intoDX
// set, w times grad into dx (dx[i] += w * grad[i]).
type addGradJob[T Float] struct {
	grad   []T
	dx     []float64
	w      float64
	intoDX bool
}

// Do adds elements [lo, hi).
func (j *addGradJob[T]) Do(_, lo, hi int) {
	if j.intoDX {
		for i := lo; i < hi; i++ {
			j.dx[i] += j.w * float64(j.grad[i])
		}
		return
	}
	for i := lo; i < hi; i++ {
		j.grad[i] += T(j.dx[i])
	}
}
