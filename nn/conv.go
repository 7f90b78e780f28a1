package nn

import "github.com/segloss/segloss/internal/kernel"

// convBlock is the number of output positions of one im2col block: the
// column matrix of a block is K×convBlock.
const convBlock = 256

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
	wt            []float32 // transposed, flipped weights [cin, cout·kv] for the input gradient
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

// im2colT writes the transposed column matrix: row i (length K = c·kv)
// holds the inputs of position s0+i. The weight gradient reads it in place
// (dW = dY·colT) instead of packing the transpose of the column matrix.
func im2colT(dst []float32, segs []seg, n int, g geom, dims, s0, bl int) {
	oz, oy, ox := offs2z, offs2y, offs2x
	if dims == 3 {
		oz, oy, ox = offs3z, offs3y, offs3x
	}
	kv := len(oz)
	var flat [27]int
	for k := range oz {
		flat[k] = (oz[k]*g.h+oy[k])*g.w + ox[k]
	}
	offs := flat[:kv]
	// flat offsets of the centres of the kernel's rows of three (x−1, x, x+1)
	var rowFlat [9]int
	for j := 0; j < kv/3; j++ {
		rowFlat[j] = offs[3*j+1]
	}
	rows := rowFlat[:kv/3]
	S := g.size()
	K := 0
	for _, sg := range segs {
		K += sg.c * kv
	}
	HW := g.h * g.w
	z, rem := s0/HW, s0%HW
	y, x := rem/g.w, rem%g.w
	// border writes one position with bounds tests
	border := func(i, s, z, y, x int) {
		row := dst[i*K : (i+1)*K]
		r := 0
		for _, sg := range segs {
			for ci := 0; ci < sg.c; ci++ {
				plane := sg.d[(n*sg.c+ci)*S : (n*sg.c+ci+1)*S]
				for k := range oz {
					zz, yy, xx := z+oz[k], y+oy[k], x+ox[k]
					v := float32(0)
					if zz >= 0 && zz < g.d && yy >= 0 && yy < g.h && xx >= 0 && xx < g.w {
						v = plane[s+offs[k]]
					}
					row[r] = v
					r++
				}
			}
		}
	}
	for i := 0; i < bl; {
		run := min(g.w-x, bl-i)
		ia, ib := x, x // interior positions [ia, ib) of this row run
		if (dims == 2 || (z >= 1 && z <= g.d-2)) && y >= 1 && y <= g.h-2 {
			ia, ib = max(x, 1), min(x+run, g.w-1)
			ib = max(ib, ia)
		}
		s := s0 + i // position of x
		for xx := x; xx < ia; xx++ {
			border(i+xx-x, s+xx-x, z, y, xx)
		}
		for xx := ib; xx < x+run; xx++ {
			border(i+xx-x, s+xx-x, z, y, xx)
		}
		// interior positions in groups of 16, so that the group's rows
		// stay in the L1 cache while every channel is written
		for ga := ia; ga < ib; ga += 16 {
			gb := min(ga+16, ib)
			r := 0
			for _, sg := range segs {
				for ci := 0; ci < sg.c; ci++ {
					plane := sg.d[(n*sg.c+ci)*S : (n*sg.c+ci+1)*S]
					for xx := ga; xx < gb; xx++ {
						p := s + xx - x
						o := dst[(i+xx-x)*K+r : (i+xx-x)*K+r+kv]
						for j, ro := range rows {
							q := plane[p+ro-1 : p+ro+2 : p+ro+2]
							t := o[3*j : 3*j+3 : 3*j+3]
							t[0], t[1], t[2] = q[0], q[1], q[2]
						}
					}
					r += kv
				}
			}
		}
		i += run
		x = 0
		if y++; y == g.h {
			y = 0
			z++
		}
	}
}

// im2col writes the column matrix of positions [s0, s0+bl) of sample n:
// row (ci·kv + k) holds input channel ci shifted by kernel offset k, zero
// outside the volume; rows have length bl.
func im2col(dst []float32, segs []seg, n int, g geom, dims, s0, bl int) {

	oz, oy, ox := offs2z, offs2y, offs2x
	if dims == 3 {
		oz, oy, ox = offs3z, offs3y, offs3x
	}
	S := g.size()
	z0, rem := s0/(g.h*g.w), s0%(g.h*g.w)
	y0, x0 := rem/g.w, rem%g.w
	r := 0
	for _, sg := range segs {
		for ci := 0; ci < sg.c; ci++ {
			plane := sg.d[(n*sg.c+ci)*S : (n*sg.c+ci+1)*S]
			for k := range oz {
				dz, dy, dx := oz[k], oy[k], ox[k]
				row := dst[r*bl : (r+1)*bl]
				r++
				z, y, x := z0, y0, x0
				for i := 0; i < bl; {
					run := min(g.w-x, bl-i)
					zz, yy := z+dz, y+dy
					out := row[i : i+run]
					if zz < 0 || zz >= g.d || yy < 0 || yy >= g.h {
						clear(out)
					} else {
						base := (zz*g.h + yy) * g.w
						xs := x + dx
						lo, hi := 0, run
						if xs < 0 {
							out[0] = 0
							lo = 1
						}
						if xs+run > g.w {
							out[run-1] = 0
							hi = run - 1
						}
						copy(out[lo:hi], plane[base+xs+lo:base+xs+hi])
					}
					i += run
					x = 0
					if y++; y == g.h {
						y = 0
						z++
					}
				}
			}
		}
	}
}

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
		if l.kv == 1 {
			sg := p.segs[0]
			gemm(false, false, l.cout, bl, K, 1, l.w, K, sg.d[n*sg.c*S+b0:], S, 1, outN[b0:], S)
			continue
		}
		col := buf.col[:K*bl]
		im2col(col, p.segs[:p.nseg], n, p.g, p.dims, b0, bl)
		gemm(false, false, l.cout, bl, K, 1, l.w, K, col, bl, 1, outN[b0:], S)
	}
}

func (p *convPass) backward(c int, buf *scratch) {
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
		if l.kv == 1 {
			sg := p.segs[0]
			gemm(false, true, l.cout, K, bl, 1, dyN[b0:], S, sg.d[n*sg.c*S+b0:], S, 1, pw, K)
			if p.needDX {
				beta := float32(0)
				if p.accumDX {
					beta = 1
				}
				gemm(true, false, l.cin, bl, l.cout, 1, l.w, K, dyN[b0:], S, beta, sg.g[n*sg.c*S+b0:], S)
			}
			continue
		}
		col := buf.col[:K*bl]
		im2colT(col, p.segs[:p.nseg], n, p.g, p.dims, b0, bl)
		gemm(false, false, l.cout, K, bl, 1, dyN[b0:], S, col, K, 1, pw, K)
		if !p.needDX {
			continue
		}
		ky := l.cout * l.kv
		coly := buf.coly[:ky*bl]
		dseg := [1]seg{{d: p.dy, c: l.cout}}
		im2col(coly, dseg[:], n, p.g, p.dims, b0, bl)
		ci0 := 0
		for _, sg := range p.segs[:p.nseg] {
			if sg.g != nil {
				gemm(false, false, sg.c, bl, ky, 1, l.wt[ci0*ky:], ky, coly, bl, 0, sg.g[n*sg.c*S+b0:], S)
			}
			ci0 += sg.c
		}
	}
}

// flipWeights fills wt with the transposed, flipped weights.
func (l *conv) flipWeights() {
	K, ky := l.k(), l.cout*l.kv
	for co := 0; co < l.cout; co++ {
		for ci := 0; ci < l.cin; ci++ {
			for k := 0; k < l.kv; k++ {
				l.wt[ci*ky+co*l.kv+k] = l.w[co*K+ci*l.kv+(l.kv-1-k)]
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

// runConv runs a pass: the forward output, or the backward gradients (the
// parameter gradients written to grad, the input gradients to the segments).
func runConv(p *convPass, red *reduceJob, grad []float32) {
	nc := p.setup(p.n, p.g)
	if p.bwd && p.l.kv > 1 && p.needDX {
		p.l.flipWeights()
	}
	kernel.Run(p, nc, 1)
	if p.bwd {
		red.part, red.dst, red.chunks = p.part, grad[p.l.off:p.l.off+p.l.size()], nc
		kernel.Run(red, len(red.dst), 2048)
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
