package nn

import "github.com/segloss/segloss/internal/kernel"

// convBlock is the number of positions of one block of the 1×1
// convolutions' GEMMs, and the granularity of every convolution's chunks.
const convBlock = 256

// shiftBlock is the number of padded positions of one block of a
// shiftPass: its kv GEMMs accumulate a mOut×shiftBlock block of C (in the
// L2 cache), and each packs its tap's weights once per block.
const shiftBlock = 1024

// convChunks is the number of chunks a convolution pass aims for (chunks
// never span two samples); it depends on nothing but the shapes.
const convChunks = 64

// conv is a convolution with bias: 3×3 (3×3×3) with zero padding 1
// ("same"), or 1×1. Weights are [cout, cin, k...] like PyTorch's, followed
// by the bias in the parameter vector.
type conv struct {
	cin, cout, kv int
	off           int       // offset of w (then b) in the parameter vector
	w, b          []float32 // views into the parameters
	wk, wt        []float32 // weights per tap [kv][cout][cin]; flipped, transposed per tap [kv][cin][cout]
}

// k returns the number of weights per output channel.
func (l *conv) k() int { return l.cin * l.kv }

// size returns the number of parameters.
func (l *conv) size() int { return l.cout*l.k() + l.cout }

// seg is one input of a convolution: a [N, c, S] tensor. A convolution
// reads the channels of its segments in order (the concatenation of the
// decoder without a copy); g is its gradient.
type seg struct {
	d, g []float32
	c    int
}

// offsets of the 3×3 (3×3×3) kernel, in PyTorch's weight order.
func kernelOffsets(dims int) (dz, dy, dx []int) {
	for z := -1; z <= 1; z++ {
		if dims == 2 && z != 0 {
			continue
		}
		for y := -1; y <= 1; y++ {
			for x := -1; x <= 1; x++ {
				dz, dy, dx = append(dz, z), append(dy, y), append(dx, x)
			}
		}
	}
	return
}

var offs2z, offs2y, offs2x = kernelOffsets(2)
var offs3z, offs3y, offs3x = kernelOffsets(3)

// convPass is one forward or backward pass of a convolution over a batch,
// run as a parallel job: chunk c is sample c/per, positions
// [(c%per)·span, +span).
type convPass struct {
	l         *conv
	segs      [2]seg
	nseg      int
	out, dy   []float32 // forward output [N, cout, S]; backward output gradient
	n         int
	g         geom
	dims      int
	span, per int
	bwd       bool
	needDX    bool
	accumDX   bool      // add the input gradient instead of writing it (1×1 heads)
	part      []float32 // backward: per-chunk weight and bias gradients
	scr       *scratchPool
}

// setup fixes the chunking for n samples of size g.
func (p *convPass) setup(n int, g geom) int {
	p.n, p.g = n, g
	S := g.size()
	bps := (S + convBlock - 1) / convBlock
	bpc := max(1, (n*bps+convChunks-1)/convChunks)
	p.span = bpc * convBlock
	p.per = (S + p.span - 1) / p.span
	return n * p.per
}

// Do runs chunks [lo, hi).
func (p *convPass) Do(_, lo, hi int) {
	buf := p.scr.get()
	for c := lo; c < hi; c++ {
		if p.bwd {
			p.backward(c, buf)
		} else {
			p.forward(c, buf)
		}
	}
	p.scr.put(buf)
}

func (p *convPass) forward(c int, buf *scratch) {
	l, S := p.l, p.g.size()
	n, s0 := c/p.per, (c%p.per)*p.span
	s1 := min(s0+p.span, S)
	K := l.k()
	outN := p.out[n*l.cout*S : (n+1)*l.cout*S]
	for b0 := s0; b0 < s1; b0 += convBlock {
		bl := min(convBlock, s1-b0)
		for co := 0; co < l.cout; co++ {
			row := outN[co*S+b0 : co*S+b0+bl]
			bv := l.b[co]
			for i := range row {
				row[i] = bv
			}
		}
		sg := p.segs[0] // 1×1 only: 3×3 convolutions run as shiftPass
		gemm(false, false, l.cout, bl, K, 1, l.w, K, sg.d[n*sg.c*S+b0:], S, 1, outN[b0:], S)
	}
}

func (p *convPass) backward(c int, _ *scratch) {
	l, S := p.l, p.g.size()
	n, s0 := c/p.per, (c%p.per)*p.span
	s1 := min(s0+p.span, S)
	K := l.k()
	stride := l.size()
	pw := p.part[c*stride : c*stride+l.cout*K]
	pb := p.part[c*stride+l.cout*K : (c+1)*stride]
	clear(p.part[c*stride : (c+1)*stride])
	dyN := p.dy[n*l.cout*S : (n+1)*l.cout*S]
	for b0 := s0; b0 < s1; b0 += convBlock {
		bl := min(convBlock, s1-b0)
		for co := 0; co < l.cout; co++ {
			var s float32
			for _, v := range dyN[co*S+b0 : co*S+b0+bl] {
				s += v
			}
			pb[co] += s
		}
		sg := p.segs[0] // 1×1 only: 3×3 convolutions run as wgradPass and shiftPass
		gemm(false, true, l.cout, K, bl, 1, dyN[b0:], S, sg.d[n*sg.c*S+b0:], S, 1, pw, K)
		if p.needDX {
			beta := float32(0)
			if p.accumDX {
				beta = 1
			}
			gemm(true, false, l.cin, bl, l.cout, 1, l.w, K, dyN[b0:], S, beta, sg.g[n*sg.c*S+b0:], S)
		}
	}
}

// tapWeights fills wk with the weights per tap, wk[k] = W[:, :, k]
// (cout×cin), and wt with the flipped, transposed weights per tap of the
// input gradient, wt[k] = W[:, :, kv−1−k]ᵀ (cin×cout).
func (l *conv) tapWeights() {
	K := l.k()
	for co := 0; co < l.cout; co++ {
		for ci := 0; ci < l.cin; ci++ {
			for k := 0; k < l.kv; k++ {
				w := l.w[co*K+ci*l.kv+k]
				l.wk[(k*l.cout+co)*l.cin+ci] = w
				l.wt[((l.kv-1-k)*l.cin+ci)*l.cout+co] = w
			}
		}
	}
}

// reduceJob sums per-chunk partial gradients in chunk order.
type reduceJob struct {
	part, dst []float32
	chunks    int
}

// Do sums elements [lo, hi).
func (r *reduceJob) Do(_, lo, hi int) {
	stride := len(r.dst)
	d := r.dst[lo:hi]
	copy(d, r.part[lo:hi])
	for c := 1; c < r.chunks; c++ {
		src := r.part[c*stride+lo : c*stride+hi]
		for i, v := range src {
			d[i] += v
		}
	}
}

// convMem is the reusable state and memory of the 3×3(×3) convolution
// passes: pad holds a zero-padded input (forward) or output gradient
// (backward), padT the positions-major padded input of the weight
// gradient, sum its summed partials (one layer's parameters).
type convMem struct {
	sp             shiftPass
	pj             padJob
	tj             padTJob
	wg             wgradPass
	pad, padT, sum []float32
}

// newConvMem returns the memory for padded tensors of at most padLen
// values and layers of at most np parameters.
func newConvMem(padLen, np int) *convMem {
	return &convMem{pad: make([]float32, padLen), padT: make([]float32, padLen), sum: make([]float32, np)}
}

// convParts returns the size of the per-chunk partial gradients of l's
// backward pass over n samples of size g.
func convParts(l *conv, n int, g geom, dims int) int {
	var p convPass
	nc := p.setup(n, g)
	if l.kv > 1 {
		_, _, _, per := padChunks(n, g, dims)
		nc = n * per
	}
	return nc * l.size()
}

// runConv runs a pass: the forward output, or the backward gradients (the
// parameter gradients written to grad, the input gradients to the segments).
func runConv(p *convPass, red *reduceJob, grad []float32, cm *convMem) {
	l := p.l
	if l.kv == 1 {
		nc := p.setup(p.n, p.g)
		kernel.Run(p, nc, 1)
		if p.bwd {
			red.part, red.dst, red.chunks = p.part, grad[l.off:l.off+l.size()], nc
			kernel.Run(red, len(red.dst), 2048)
		}
		return
	}
	sp, pj := &cm.sp, &cm.pj
	pj.g, pj.n, pj.dims = p.g, p.n, p.dims
	pj.segs, pj.nseg = p.segs, p.nseg
	sp.g, sp.n, sp.dims, sp.scr = p.g, p.n, p.dims, p.scr
	if !p.bwd || p.needDX {
		l.tapWeights()
	}
	if !p.bwd {
		sp.wk, sp.bias, sp.mOut, sp.kIn, sp.nout = l.wk, l.b, l.cout, l.cin, 1
		sp.outs[0] = seg{g: p.out, c: l.cout}
		sp.pad = pj.run(cm.pad)
		kernel.Run(sp, sp.setup(), 1)
		return
	}
	// weight gradient: the padded dY times sliding windows over the
	// positions-major padded input
	tj := &cm.tj
	tj.segs, tj.nseg, tj.n, tj.g, tj.dims = p.segs, p.nseg, p.n, p.g, p.dims
	wg := &cm.wg
	wg.l, wg.n, wg.g, wg.dims, wg.part = l, p.n, p.g, p.dims, p.part
	wg.xt = tj.run(cm.padT)
	pj.segs[0], pj.nseg = seg{d: p.dy, c: l.cout}, 1
	wg.dyp = pj.run(cm.pad)
	runWgrad(wg, red, grad, cm.sum)
	if p.needDX { // then the input gradient, a convolution of the padded dY
		sp.wk, sp.bias, sp.mOut, sp.kIn, sp.nout = l.wt, nil, l.cin, l.cout, p.nseg
		sp.outs = p.segs
		sp.pad = wg.dyp
		kernel.Run(sp, sp.setup(), 1)
	}
}

// padJob copies the channels of its segments into zero-bordered planes
// (one voxel on every side), a parallel job over the N·c planes.
type padJob struct {
	segs [2]seg
	nseg int
	n    int
	g    geom
	dims int
	pad  []float32
	c    int
}

// run pads the segments into buf and returns the padded tensor.
func (j *padJob) run(buf []float32) []float32 {
	j.c = 0
	for _, sg := range j.segs[:j.nseg] {
		j.c += sg.c
	}
	gp := padded(j.g, j.dims)
	j.pad = buf[:j.n*j.c*gp.size()]
	kernel.Run(j, j.n*j.c, 1)
	return j.pad
}

// padded returns the size of a zero-bordered plane.
func padded(g geom, dims int) geom {
	if dims == 3 {
		return geom{g.d + 2, g.h + 2, g.w + 2}
	}
	return geom{1, g.h + 2, g.w + 2}
}

// Do pads planes [lo, hi).
func (j *padJob) Do(_, lo, hi int) {
	gp, S := padded(j.g, j.dims), j.g.size()
	Sp := gp.size()
	for p := lo; p < hi; p++ {
		n, ci := p/j.c, p%j.c
		var src []float32
		for _, sg := range j.segs[:j.nseg] {
			if ci < sg.c {
				src = sg.d[(n*sg.c+ci)*S : (n*sg.c+ci+1)*S]
				break
			}
			ci -= sg.c
		}
		dst := j.pad[p*Sp : (p+1)*Sp]
		for zp := 0; zp < gp.d; zp++ {
			z := zp - 1
			if j.dims == 2 {
				z = 0
			}
			for yp := 0; yp < gp.h; yp++ {
				row := dst[(zp*gp.h+yp)*gp.w : (zp*gp.h+yp+1)*gp.w]
				if z < 0 || z >= j.g.d || yp == 0 || yp == gp.h-1 {
					clear(row)
					continue
				}
				row[0], row[gp.w-1] = 0, 0
				copy(row[1:1+j.g.w], src[(z*j.g.h+yp-1)*j.g.w:(z*j.g.h+yp)*j.g.w])
			}
		}
	}
}

// shiftPass computes a 3×3(×3) "same" convolution as kv GEMMs over shifted
// views of its zero-padded input (no column matrix): for padded position q,
// C[:, q] = Σ_k wk[k]·pad[:, q + off_k], of which the interior positions are
// the output. It runs the forward pass (wk = weights per tap, plus bias)
// and the input gradient (wk = flipped, transposed weights per tap; the
// output split over the input segments' gradients). Chunk c is sample
// c/per, padded positions [qa + (c%per)·span, +span).
type shiftPass struct {
	wk        []float32 // [kv][mOut][kIn]
	bias      []float32 // nil: none
	mOut, kIn int
	pad       []float32 // [N, kIn, Sp]
	outs      [2]seg    // destinations: the g field of each, channels in order
	nout      int
	n         int
	g         geom
	dims      int
	qa, qb    int
	span, per int
	offs      [27]int
	kv        int
	scr       *scratchPool
}

// setup fixes the taps and the chunking.
func (p *shiftPass) setup() int {
	gp := padded(p.g, p.dims)
	oz, oy, ox := offs2z, offs2y, offs2x
	if p.dims == 3 {
		oz, oy, ox = offs3z, offs3y, offs3x
	}
	p.kv = len(oz)
	for k := range oz {
		p.offs[k] = (oz[k]*gp.h+oy[k])*gp.w + ox[k]
	}
	p.qa, p.qb, p.span, p.per = padChunks(p.n, p.g, p.dims)
	return p.n * p.per
}

// Do runs chunks [lo, hi).
func (p *shiftPass) Do(_, lo, hi int) {
	buf := p.scr.get()
	Sp := padded(p.g, p.dims).size()
	for c := lo; c < hi; c++ {
		n := c / p.per
		q0c := p.qa + (c%p.per)*p.span
		q1c := min(q0c+p.span, p.qb)
		padN := p.pad[n*p.kIn*Sp : (n+1)*p.kIn*Sp]
		for q0 := q0c; q0 < q1c; q0 += shiftBlock {
			bl := min(shiftBlock, q1c-q0)
			cb := buf.coly[:p.mOut*bl]
			for k, o := range p.offs[:p.kv] {
				beta := float32(1)
				if k == 0 {
					beta = 0
				}
				gemm(false, false, p.mOut, bl, p.kIn, 1, p.wk[k*p.mOut*p.kIn:], p.kIn, padN[q0+o:], Sp, beta, cb, bl)
			}
			p.extract(cb, bl, q0, n)
		}
	}
	p.scr.put(buf)
}

// extract copies the interior positions of the block [q0, q0+bl) of C
// (mOut rows of length bl) to the outputs, adding the bias.
func (p *shiftPass) extract(cb []float32, bl, q0, n int) {
	gp, g, S := padded(p.g, p.dims), p.g, p.g.size()
	HWp := gp.h * gp.w
	for q := q0; q < q0+bl; {
		zp, r := q/HWp, q%HWp
		yp, xp := r/gp.w, r%gp.w
		run := min(gp.w-xp, q0+bl-q)
		z := zp - 1
		if p.dims == 2 {
			z = 0
		}
		if z >= 0 && z < g.d && yp >= 1 && yp <= g.h {
			xa, xb := max(xp, 1), min(xp+run, g.w+1)
			if xb > xa {
				s := (z*g.h+yp-1)*g.w + xa - 1
				i0 := q - q0 + xa - xp
				m := 0
				for _, o := range p.outs[:p.nout] {
					for c := 0; c < o.c && o.g != nil; c++ {
						src := cb[(m+c)*bl+i0 : (m+c)*bl+i0+xb-xa]
						dst := o.g[(n*o.c+c)*S+s : (n*o.c+c)*S+s+xb-xa]
						if p.bias != nil {
							bv := p.bias[m+c]
							for i, v := range src {
								dst[i] = v + bv
							}
						} else {
							copy(dst, src)
						}
					}
					m += o.c
				}
			}
		}
		q += run
	}
}

// scratch is the per-goroutine memory of the convolution passes.
type scratch struct{ col, coly []float32 }

// scratchPool hands out scratch buffers to the goroutines of a pass.
type scratchPool struct {
	ch         chan *scratch
	ncol, ncoy int
}

func newScratchPool(workers, ncol, ncoly int) *scratchPool {
	p := &scratchPool{ch: make(chan *scratch, workers), ncol: ncol, ncoy: ncoly}
	for i := 0; i < workers; i++ {
		p.ch <- &scratch{col: make([]float32, ncol), coly: make([]float32, ncoly)}
	}
	return p
}

func (p *scratchPool) get() *scratch  { return <-p.ch }
func (p *scratchPool) put(s *scratch) { p.ch <- s }
