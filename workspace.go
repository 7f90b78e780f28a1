package segloss

import "github.com/segloss/segloss/internal/kernel"

// workspace holds the scratch memory of one evaluation. Loss keeps a pool
// of them, so steady-state calls of one shape allocate nothing.
type workspace struct {
	prob, dprob, small []float64
	keys               []float64
	idx                []int32
	t32                []float32
	t64                []float64
	coef               []regionCoef
	gw, sortKeys       []float64
	shape              []int
	sorter             kernel.Sorter
	stats              RegionStats
	fast               fastWS // the fused float32 paths
	// The second family's dense view and gradient buffers (family2.go).
	f2x, f2p, f2t, f2dp, f2dx []float64
	f2keep, f2pixel           []bool
	f2u, f2l                  []float64 // topk_ce: class weights and losses per pixel
	f2d                       dense     // the dense view (newDense)
	f2cls                     []int     // its class list
	f2fdx                     []float64 // a term's own gradient, before its mean
	f2small                   []float64 // per (group, class) sums and coefficients
	f2j32                     f2TJobs[float32]
	f2j64                     f2TJobs[float64]
	f2focal                   focalSigmoidJob
	f2dist                    dist64WS // the distance losses
}

// grow returns buf resized to n, reusing its memory when it is big enough.
func grow[E any](buf *[]E, n int) []E {
	if cap(*buf) < n {
		*buf = make([]E, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// zeroed returns buf resized to n and cleared.
func zeroed(buf *[]float64, n int) []float64 {
	b := grow(buf, n)
	clear(b)
	return b
}

// scratchT returns a scratch slice of element type T and length n.
func scratchT[T Float](ws *workspace, n int) []T {
	var zero T
	switch any(zero).(type) {
	case float32:
		return any(grow(&ws.t32, n)).([]T)
	default:
		return any(grow(&ws.t64, n)).([]T)
	}
}

// fit returns buf[:n] when buf is long enough (callers pass a small array
// on their stack), else a new slice of length n.
func fit[E any](buf []E, n int) []E {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]E, n)
}

// allClasses returns the channel indices 0..c-1 in buf (see fit).
func allClasses(buf []int, c int) []int {
	out := fit(buf, c)
	for i := range out {
		out[i] = i
	}
	return out
}
