package nn

// sconv is a 2×2 (2×2×2) convolution with stride 2 (down-sampling,
// weights [cout, cin, k...]) or its transpose (up-sampling, weights [cin,
// cout, k...], PyTorch's ConvTranspose layout), with bias.
type sconv struct {
	cin, cout, kv int // kv: 4 or 8 taps
	trans         bool
	off           int
	w, b          []float32
}

func (l *sconv) size() int { return l.cin*l.cout*l.kv + l.cout }

func (l *sconv) bind(params []float32) {
	nw := l.cin * l.cout * l.kv
	l.w = params[l.off : l.off+nw]
	l.b = params[l.off+nw : l.off+nw+l.cout]
}

// s2d gathers the 2×2(×2) blocks of the fine [N, c, hi] tensor src under
// the coarse positions [p0, p0+bl) of sample n: row (ci·kv + k), column i
// (or, with trans, row i, column ci·kv + k, rows of length c·kv).
func s2d(dst, src []float32, c, n int, lo, hi geom, kv, p0, bl int, trans bool) {
	K := c * kv
	Sh, HWh, HWl := hi.size(), hi.h*hi.w, lo.h*lo.w
	kz := kv / 4
	for i := 0; i < bl; i++ {
		p := p0 + i
		z, r := p/HWl, p%HWl
		base := kz*z*HWh + 2*(r/lo.w)*hi.w + 2*(r%lo.w)
		for ci := 0; ci < c; ci++ {
			plane := src[(n*c+ci)*Sh : (n*c+ci+1)*Sh]
			for k := 0; k < kv; k++ {
				v := plane[base+(k>>2)*HWh+((k>>1)&1)*hi.w+k&1]
				if trans {
					dst[i*K+ci*kv+k] = v
				} else {
					dst[(ci*kv+k)*bl+i] = v
				}
			}
		}
	}
}

// d2s scatters the non-transposed layout of s2d back into dst: it adds
// (add) or writes the values, plus bias[ci] when bias is not nil.
func d2s(dst, src []float32, c, n int, lo, hi geom, kv, p0, bl int, add bool, bias []float32) {
	Sh, HWh, HWl := hi.size(), hi.h*hi.w, lo.h*lo.w
	for ci := 0; ci < c; ci++ {
		plane := dst[(n*c+ci)*Sh : (n*c+ci+1)*Sh]
		var bv float32
		if bias != nil {
			bv = bias[ci]
		}
		for k := 0; k < kv; k++ {
			row := src[(ci*kv+k)*bl : (ci*kv+k+1)*bl]
			o := (k>>2)*HWh + ((k>>1)&1)*hi.w + k&1
			for i, v := range row {
				p := p0 + i
				z, r := p/HWl, p%HWl
				q := (kv/4)*z*HWh + 2*(r/lo.w)*hi.w + 2*(r%lo.w) + o
				if add {
					plane[q] += v
				} else {
					plane[q] = v + bv
				}
			}
		}
	}
}

// sconvPass runs an sconv forward or backward over a batch, chunked over
// the coarse positions like convPass.
type sconvPass struct {
	l            *sconv
	fine, coarse []float32
	gFine        []float32 // strided: added to; transposed: read
	gCoarse      []float32 // strided: read; transposed: written
	n            int
	lo, hi       geom
	span, per    int
	bwd          bool
	part         []float32
	scr          *scratchPool
}

func (p *sconvPass) setup() int {
	var c convPass
	nc := c.setup(p.n, p.lo)
	p.span, p.per = c.span, c.per
	return nc
}

// Do runs chunks [lo, hi).
func (p *sconvPass) Do(_, c0, c1 int) {
	buf := p.scr.get()
	for c := c0; c < c1; c++ {
		p.chunk(c, buf)
	}
	p.scr.put(buf)
}

func (p *sconvPass) chunk(c int, buf *scratch) {
	l, Sl := p.l, p.lo.size()
	n, s0 := c/p.per, (c%p.per)*p.span
	s1 := min(s0+p.span, Sl)
	kvc := l.cout * l.kv // transposed: columns of the weight matrix
	K := l.cin * l.kv    // strided: columns of the weight matrix
	var pw, pb []float32
	if p.bwd {
		stride := l.size()
		clear(p.part[c*stride : (c+1)*stride])
		pw, pb = p.part[c*stride:c*stride+l.cin*l.cout*l.kv], p.part[c*stride+l.cin*l.cout*l.kv:(c+1)*stride]
	}
	for b0 := s0; b0 < s1; b0 += convBlock {
		bl := min(convBlock, s1-b0)
		switch {
		case !l.trans && !p.bwd:
			out := p.coarse[n*l.cout*Sl : (n+1)*l.cout*Sl]
			for co := 0; co < l.cout; co++ {
				row := out[co*Sl+b0 : co*Sl+b0+bl]
				for i := range row {
					row[i] = l.b[co]
				}
			}
			col := buf.col[:K*bl]
			s2d(col, p.fine, l.cin, n, p.lo, p.hi, l.kv, b0, bl, false)
			gemm(false, false, l.cout, bl, K, 1, l.w, K, col, bl, 1, out[b0:], Sl)
		case !l.trans:
			dy := p.gCoarse[n*l.cout*Sl : (n+1)*l.cout*Sl]
			for co := 0; co < l.cout; co++ {
				var s float32
				for _, v := range dy[co*Sl+b0 : co*Sl+b0+bl] {
					s += v
				}
				pb[co] += s
			}
			colT := buf.col[:K*bl]
			s2d(colT, p.fine, l.cin, n, p.lo, p.hi, l.kv, b0, bl, true)
			gemm(false, false, l.cout, K, bl, 1, dy[b0:], Sl, colT, K, 1, pw, K)
			dcol := buf.coly[:K*bl]
			gemm(true, false, K, bl, l.cout, 1, l.w, K, dy[b0:], Sl, 0, dcol, bl)
			d2s(p.gFine, dcol, l.cin, n, p.lo, p.hi, l.kv, b0, bl, true, nil)
		case !p.bwd: // transposed forward
			ycol := buf.col[:kvc*bl]
			gemm(true, false, kvc, bl, l.cin, 1, l.w, kvc, p.coarse[n*l.cin*Sl+b0:], Sl, 0, ycol, bl)
			d2s(p.fine, ycol, l.cout, n, p.lo, p.hi, l.kv, b0, bl, false, l.b)
		default: // transposed backward
			dcol := buf.col[:kvc*bl]
			s2d(dcol, p.gFine, l.cout, n, p.lo, p.hi, l.kv, b0, bl, false)
			for co := 0; co < l.cout; co++ {
				var s float32
				for _, v := range dcol[co*l.kv*bl : (co+1)*l.kv*bl] {
					s += v
				}
				pb[co] += s
			}
			dcolT := buf.coly[:kvc*bl]
			s2d(dcolT, p.gFine, l.cout, n, p.lo, p.hi, l.kv, b0, bl, true)
			gemm(false, false, l.cin, kvc, bl, 1, p.coarse[n*l.cin*Sl+b0:], Sl, dcolT, kvc, 1, pw, kvc)
			gemm(false, false, l.cin, bl, kvc, 1, l.w, kvc, dcol, bl, 0, p.gCoarse[n*l.cin*Sl+b0:], Sl)
		}
	}
}
