package nn

import "github.com/segloss/segloss/internal/kernel"

// wgradPass computes the weight and bias gradients of a 3×3(×3) "same"
// convolution without a column matrix. With dY zero-padded like the input
// (dyp, [N, cout, Sp]) and the padded input stored positions-major (xt,
// [N, Sp, cin]: the cin channels of a padded position are contiguous),
// the taps of one kernel row (fixed dz, dy; dx = −1, 0, 1) read three
// consecutive positions of xt, so for that row
//
//	dW_row[co][dx·cin + ci] = Σ_q dyp[co][q] · xt[q + off_row + dx][ci]
//
// is one GEMM of dY (cout×L) by a sliding window over xt (L×3·cin, row
// stride cin: rows overlap, read in place); the rows' GEMMs share dY,
// packed once (kernel.SgemmSharedA). Border positions of dyp are
// zero, so summing over the whole padded range [qa, qb) adds nothing
// outside the volume. Chunk c is sample c/per, padded positions
// [qa + (c%per)·span, +span); it writes its own partial gradients
// ([rows][cout][3·cin], then the bias), summed in chunk order and then
// permuted to PyTorch's [cout][cin][kv] layout: bit-identical at any
// number of threads.
type wgradPass struct {
	l         *conv
	dyp, xt   []float32
	part      []float32
	n         int
	g         geom
	dims      int
	qa, qb    int
	span, per int
	rows      [9]int // flat offsets of the centres of the kernel rows
	nrow      int
}

// setup fixes the kernel rows and the chunking.
func (p *wgradPass) setup() int {
	gp := padded(p.g, p.dims)
	p.nrow = 0
	for dz := -1; dz <= 1; dz++ {
		if p.dims == 2 && dz != 0 {
			continue
		}
		for dy := -1; dy <= 1; dy++ {
			p.rows[p.nrow] = (dz*gp.h + dy) * gp.w
			p.nrow++
		}
	}
	p.qa, p.qb, p.span, p.per = padChunks(p.n, p.g, p.dims)
	return p.n * p.per
}

// padChunks returns the range [qa, qb) of padded positions that holds
// every interior one, and its chunking for n samples: span positions per
// chunk (a multiple of convBlock), per chunks per sample.
func padChunks(n int, g geom, dims int) (qa, qb, span, per int) {
	gp := padded(g, dims)
	z0, z1 := 0, 0
	if dims == 3 {
		z0, z1 = 1, g.d
	}
	qa = (z0*gp.h+1)*gp.w + 1
	qb = (z1*gp.h+g.h)*gp.w + g.w + 1
	L := qb - qa
	bps := (L + convBlock - 1) / convBlock
	bpc := max(1, (n*bps+convChunks-1)/convChunks)
	span = bpc * convBlock
	per = (L + span - 1) / span
	return
}

// Do runs chunks [lo, hi).
func (p *wgradPass) Do(_, lo, hi int) {
	l := p.l
	Sp := padded(p.g, p.dims).size()
	K := l.k()
	stride := l.size()
	w3 := 3 * l.cin
	for c := lo; c < hi; c++ {
		n := c / p.per
		q0 := p.qa + (c%p.per)*p.span
		q1 := min(q0+p.span, p.qb)
		pw := p.part[c*stride : c*stride+l.cout*K]
		pb := p.part[c*stride+l.cout*K : (c+1)*stride]
		dyN := p.dyp[n*l.cout*Sp : (n+1)*l.cout*Sp]
		xtN := p.xt[n*Sp*l.cin : (n+1)*Sp*l.cin]
		for co := range pb {
			var s float32
			for _, v := range dyN[co*Sp+q0 : co*Sp+q1] {
				s += v
			}
			pb[co] = s
		}
		var boffs, coffs [9]int
		for r, o := range p.rows[:p.nrow] {
			boffs[r], coffs[r] = (q0+o-1)*l.cin, r*l.cout*w3
		}
		kernel.SgemmSharedA(l.cout, w3, q1-q0, dyN[q0:], Sp, xtN, boffs[:p.nrow], l.cin, 0, pw, coffs[:p.nrow], w3)
	}
}

// permute writes the summed gradients sum ([rows][cout][3·cin], bias) to
// dst in PyTorch's order ([cout][cin][kv], bias).
func (p *wgradPass) permute(dst, sum []float32) {
	l := p.l
	K, w3 := l.k(), 3*l.cin
	for r := 0; r < p.nrow; r++ {
		for co := 0; co < l.cout; co++ {
			src := sum[(r*l.cout+co)*w3 : (r*l.cout+co+1)*w3]
			d := dst[co*K : (co+1)*K]
			for dx := 0; dx < 3; dx++ {
				for ci, v := range src[dx*l.cin : (dx+1)*l.cin] {
					d[ci*l.kv+3*r+dx] = v
				}
			}
		}
	}
	copy(dst[l.cout*K:l.size()], sum[l.cout*K:l.size()])
}

// runWgrad computes the parameter gradients of a 3×3(×3) convolution into
// grad from the padded output gradient dyp and the positions-major padded
// input xt; tmp holds the summed partials.
func runWgrad(p *wgradPass, red *reduceJob, grad, tmp []float32) {
	nc := p.setup()
	kernel.Run(p, nc, 1)
	sum := tmp[:p.l.size()]
	red.part, red.dst, red.chunks = p.part, sum, nc
	kernel.Run(red, len(sum), 2048)
	p.permute(grad[p.l.off:p.l.off+p.l.size()], sum)
}

// padTJob writes the channels of its segments zero-padded (one voxel on
// every side) and positions-major: xt[n][q][ci], a parallel job over the
// N·(padded rows).
type padTJob struct {
	segs [2]seg
	nseg int
	n    int
	g    geom
	dims int
	c    int
	xt   []float32
}

// run transposes the segments into buf and returns the padded tensor.
func (j *padTJob) run(buf []float32) []float32 {
	j.c = 0
	for _, sg := range j.segs[:j.nseg] {
		j.c += sg.c
	}
	gp := padded(j.g, j.dims)
	j.xt = buf[:j.n*j.c*gp.size()]
	kernel.Run(j, j.n*gp.d*gp.h, 1)
	return j.xt
}

// Do writes padded rows [lo, hi) (row = (n·gp.d + zp)·gp.h + yp).
func (j *padTJob) Do(_, lo, hi int) {
	gp, g, S := padded(j.g, j.dims), j.g, j.g.size()
	c := j.c
	for row := lo; row < hi; row++ {
		n, r := row/(gp.d*gp.h), row%(gp.d*gp.h)
		zp, yp := r/gp.h, r%gp.h
		dst := j.xt[(n*gp.d*gp.h+r)*gp.w*c : (n*gp.d*gp.h+r+1)*gp.w*c]
		z := zp - 1
		if j.dims == 2 {
			z = 0
		}
		if z < 0 || z >= g.d || yp == 0 || yp == gp.h-1 {
			clear(dst)
			continue
		}
		clear(dst[:c])
		clear(dst[(gp.w-1)*c:])
		ci0 := 0
		for _, sg := range j.segs[:j.nseg] {
			for ci := 0; ci < sg.c; ci++ {
				src := sg.d[(n*sg.c+ci)*S+(z*g.h+yp-1)*g.w : (n*sg.c+ci)*S+(z*g.h+yp)*g.w]
				d := dst[c+ci0+ci:]
				for x, v := range src {
					d[x*c] = v
				}
			}
			ci0 += sg.c
		}
	}
}
