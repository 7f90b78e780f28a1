package segloss

import "github.com/segloss/segloss/internal/kernel"

// The fused float32 paths. For float32 batches of the common shapes and
// options, Eval runs one parallel pass over the elements for the
// statistics (value checks included) and one for the gradient, in fixed
// chunks whose partial sums are reduced in chunk order, so results do not
// depend on the number of threads. Everything else takes the general path.
// Each family's fused path lives beside its general path (bce_fast.go,
// crossentropy_fast.go, region_fast.go, lovasz_fast.go), as small
// kernel.Job types; this file holds what they share.

// fastWS is the scratch memory of the fused paths, part of the workspace
// that each Loss pools.
type fastWS struct {
	sums    []kernel.Sums
	coef    []regionCoef
	cw      [5][]float32 // per (group, class): DSP, DSP2, DTP, DAbs, D1
	w32     []float32    // class weights
	probs   []float32
	cnt     []int
	npos    []int
	losses  []float64
	sorters kernel.SorterPool // the Lovász sorts
	stats   RegionStats
	small   []float64
	// The jobs, kept here so that running one allocates nothing.
	pixel    pixelJob
	ce       ceJob
	region   regionJob
	hinge    hingeJob
	lovasz   lovaszJob
	scale    scaleGradJob[float32]
	f2       f2WS // the second family's fused paths
	combo    comboJob
	sensSpec sensSpecJob
	asym     asymJob
	wass     wassJob
	topk     topkWS
	dist     distWS // boundary, hausdorff_dt, log_hausdorff_dt
	cl       clWS   // cldice and dice_cldice (cldice.go)
}

// fastEval32 evaluates l on a float32 batch with its descriptor's fused
// path. It reports handled = false when the loss or its options have no
// fused path, and bad = true when a value failed the checks (the caller
// then runs the full check for the message; grad is unspecified).
func fastEval32(l *Loss, g geom, grad []float32, b Batch[float32]) (v float64, handled, bad bool) {
	o := &l.opts
	if o.Reduction == None && g.n > 1 {
		return 0, false, false
	}
	ws := l.pool.Get().(*workspace)
	defer l.pool.Put(ws)
	return fusedWith(l, &ws.fast, g, grad, b)
}

// fusedWith runs l's fused path with scratch fw; reduction none runs it
// once per sample (evalMeanOfSamples).
func fusedWith(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (v float64, handled, bad bool) {
	if b.Labels != nil && (g.c > kernel.MaxSoftmaxC || !l.opts.FromLogits) {
		return 0, false, false
	}
	return l.d.fused(l, fw, g, grad, b)
}

// batch32 is what every fused job reads: the batch, its gradient buffer
// and the loss's options.
type batch32 struct {
	g   geom
	x   []float32 // input
	t   []float32 // float target, or nil
	lab []int32   // class-index labels, or nil
	gr  []float32 // gradient, or nil
	o   *Options
}

// chunkOf returns the row (a sample, or a (sample, channel) row) and the
// spatial range [s0, s1) of unit c, with cpr chunks of kernel.Chunk per row.
func (b *batch32) chunkOf(c, cpr int) (row, s0, s1 int) {
	row, s0 = c/cpr, c%cpr*kernel.Chunk
	return row, s0, min(s0+kernel.Chunk, b.g.s)
}

func newBatch32(l *Loss, g geom, grad []float32, b Batch[float32]) batch32 {
	return batch32{g: g, x: b.Input, t: b.Target, lab: b.Labels, gr: grad, o: &l.opts}
}

// scaleGrad32 multiplies gr by f in parallel chunks (the general path's
// job: float32(float64(g) * float64(f)) is the float32 product g*f).
func (ws *fastWS) scaleGrad32(gr []float32, f float32) {
	ws.scale = scaleGradJob[float32]{grad: gr, f: float64(f)}
	kernel.Run(&ws.scale, len(gr), kernel.Chunk)
	ws.scale = scaleGradJob[float32]{}
}

// zeroGrad32 clears gr in parallel chunks.
func (ws *fastWS) zeroGrad32(gr []float32) {
	ws.scale = scaleGradJob[float32]{grad: gr, zero: true}
	kernel.Run(&ws.scale, len(gr), kernel.Chunk)
	ws.scale = scaleGradJob[float32]{}
}

func hasDuplicates(s []int) bool {
	for i := range s {
		for k := 0; k < i; k++ {
			if s[k] == s[i] {
				return true
			}
		}
	}
	return false
}

func growSums(buf *[]kernel.Sums, n int) []kernel.Sums { return grow(buf, n) }

// sumChunks adds the chunk sums in chunk order.
func sumChunks(s []kernel.Sums) kernel.Sums {
	var t kernel.Sums
	for i := range s {
		t.Add(&s[i])
	}
	return t
}

// ignoreValue32 returns the ignore value of float targets in float32 and
// whether it is in use: an ignore index that float32 cannot represent
// exactly matches no float32 target, as in the general path.
func ignoreValue32(o *Options) (float32, bool) {
	v := float32(o.IgnoreIndex)
	return v, o.Ignore && float64(v) == float64(o.IgnoreIndex)
}

// ignoreLabel32 returns the ignore index of class-index labels in int32
// and whether it is in use: one that int32 cannot hold matches no label.
func ignoreLabel32(o *Options) (int32, bool) {
	return int32(o.IgnoreIndex), o.Ignore && o.IgnoreIndex == int(int32(o.IgnoreIndex))
}

func toFloat32(buf *[]float32, v []float64) []float32 {
	out := grow(buf, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

// sigmoidPair32 returns sigmoid(x) and sigmoid(-x) = 1 - sigmoid(x) from
// one exponential, each without cancellation.
func sigmoidPair32(x float32) (p, q float32) {
	a := x
	if a > 0 {
		a = -a
	}
	e := kernel.Exp32(a)
	s := 1 / (1 + e)
	if x < 0 {
		return e * s, s
	}
	return s, e * s
}

// labelPixel starts pixel px of sample n (x: that sample's logits, [C, S])
// in the scalar softmax passes against class-index label y. On the
// statistics pass (stats not nil) it flags non-finite logits, and labels
// outside [0, C) other than the ignore index, in stats.Bad; on the gradient
// pass (stats nil) it clears an ignored pixel's gradient. It reports
// whether the pixel takes part in the loss.
func (b *batch32) labelPixel(stats *kernel.Sums, x []float32, n, px int, y, ign int32, useIgn bool) bool {
	C, S := b.g.c, b.g.s
	if stats != nil {
		for ch := 0; ch < C; ch++ {
			if v := x[ch*S+px]; v-v != 0 {
				stats.Bad = true
			}
		}
		if (y < 0 || int(y) >= C) && !(useIgn && y == ign) {
			stats.Bad = true
			return false
		}
	}
	if useIgn && y == ign {
		if stats == nil {
			for ch := 0; ch < C; ch++ {
				b.gr[(n*C+ch)*S+px] = 0
			}
		}
		return false
	}
	return true
}
