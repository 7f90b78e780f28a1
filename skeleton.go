package segloss

// The soft skeleton of clDice (cldice.go) on one (sample, channel) plane,
// in float64, with the exact subgradient of PyTorch CPU's pooling tie
// rules (golden2 conventions, morphology): a max-pool passes the gradient
// to the first maximal element of its window in row-major order,
// torch.minimum(a, b) at a == b gives half to each, relu'(0) = 0.
//
// The forward pass keeps only what the backward pass cannot recompute
// cheaply (the eroded images and the skeleton after each iteration); the
// backward pass recomputes each dilation's routing and each erosion's
// routing, one level at a time, from those. All buffers live in a skelWS,
// one per worker, pooled by the Loss (clWS).

// morph is the soft morphology of planes of one spatial shape (1 to 3 dims).
type morph struct {
	nd      int
	shape   [3]int
	strides [3]int
	size    int
}

// reset sets m to the planes of spatial shape shape.
func (m *morph) reset(shape []int) {
	m.nd, m.size = len(shape), 1
	for a := m.nd - 1; a >= 0; a-- {
		m.shape[a], m.strides[a] = shape[a], m.size
		m.size *= shape[a]
	}
}

// The value passes of the morphology, over three neighbours along one axis.
const (
	poolMin     = iota // dst = min-pool of src
	poolMinInto        // dst = torch.minimum(dst, min-pool of src)
	poolMax            // dst = max-pool of src
)

// lines calls f for each run [lo, hi) of pixels whose neighbours along
// axis a are at the same offsets: pixel i's window is i+ku, i, i+kd (an
// offset 0 where the window leaves the plane). Runs come in increasing
// pixel order.
func (m *morph) lines(a int, f func(lo, hi, ku, kd int)) {
	st, n := m.strides[a], m.shape[a]
	if st == 1 && n > 1 { // the last axis: each line's ends, then its inside
		for b := 0; b < m.size; b += n {
			f(b, b+1, 0, 1)
			f(b+1, b+n-1, -1, 1)
			f(b+n-1, b+n, -1, 0)
		}
		return
	}
	for base := 0; base < m.size; base += st * n {
		for pos := 0; pos < n; pos++ {
			row := base + pos*st
			ku, kd := -st, st
			if pos == 0 {
				ku = 0
			}
			if pos == n-1 {
				kd = 0
			}
			f(row, row+st, ku, kd)
		}
	}
}

// pool writes into dst the 1-D pool op (window 3, in bounds) of src along
// axis a. It takes values only (the backward pass recomputes the routing:
// route, maxPoolArg), so the branch-free min and max serve: they differ
// from a first-extremum scan only in the sign of a zero, which no later
// step can tell (relu and the routing comparisons treat -0 as 0).
func (m *morph) pool(dst, src []float64, a, op int) {
	m.lines(a, func(lo, hi, ku, kd int) {
		pool3(op, dst[lo:hi], src[lo+ku:hi+ku], src[lo:hi], src[lo+kd:hi+kd])
	})
}

// pool3 is op on out from its three neighbours up, mid, down.
func pool3(op int, out, up, mid, down []float64) {
	up, mid, down = up[:len(out)], mid[:len(out)], down[:len(out)]
	switch op {
	case poolMin:
		for i := range out {
			out[i] = min(up[i], mid[i], down[i])
		}
	case poolMinInto:
		for i := range out {
			out[i] = min(out[i], up[i], mid[i], down[i])
		}
	default:
		for i := range out {
			out[i] = max(up[i], mid[i], down[i])
		}
	}
}

// erode writes into dst the soft erosion of src: the minimum over the
// in-bounds axis cross of each pixel, as torch.minimum of the 1-D
// min-pools along each axis in order. dst must not alias src.
func (m *morph) erode(dst, src []float64) {
	if H, W := m.shape[0], m.shape[1]; m.nd == 2 && W > 1 {
		// One pass: the minimum of each pixel's cross of five.
		for r := 0; r < H; r++ {
			mid := src[r*W : (r+1)*W]
			up, down := mid, mid
			if r > 0 {
				up = src[(r-1)*W : r*W]
			}
			if r < H-1 {
				down = src[(r+1)*W : (r+2)*W]
			}
			out := dst[r*W : (r+1)*W]
			min5(out[1:W-1], up[1:W-1], mid[1:W-1], down[1:W-1], mid[:W-2], mid[2:])
			min5(out[:1], up[:1], mid[:1], down[:1], mid[:1], mid[1:2])
			min5(out[W-1:], up[W-1:], mid[W-1:], down[W-1:], mid[W-2:W-1], mid[W-1:])
		}
		return
	}
	for a := 0; a < m.nd; a++ {
		op := poolMin
		if a > 0 {
			op = poolMinInto
		}
		m.pool(dst, src, a, op)
	}
}

// min5 sets out to the elementwise minimum of five slices.
func min5(out, a, b, c, d, e []float64) {
	a, b, c, d, e = a[:len(out)], b[:len(out)], c[:len(out)], d[:len(out)], e[:len(out)]
	for i := range out {
		out[i] = min(a[i], b[i], c[i], d[i], e[i])
	}
}

// erosion is the gradient routing of one soft erosion: output i takes
// w[a][i] of its gradient to idx[a][i], one source per axis.
type erosion struct {
	idx [3][]int32
	w   [3][]float64
}

// route records in e the routing of erode(src), axis by axis: the first
// minimum of each window in increasing index order, then its share in
// torch.minimum(cur, window minimum), cur the minimum over the axes before
// (held in cur, scratch of the plane's size). Branch-free: the first
// extremum is the first element equal to it.
func (m *morph) route(src, cur []float64, e *erosion) {
	if H, W := m.shape[0], m.shape[1]; m.nd == 2 && W > 1 {
		// One pass: each pixel's vertical and horizontal windows together.
		for r := 0; r < H; r++ {
			mid := src[r*W : (r+1)*W]
			up, down, ku, kd := mid, mid, 0, 0
			if r > 0 {
				up, ku = src[(r-1)*W:r*W], -W
			}
			if r < H-1 {
				down, kd = src[(r+1)*W:(r+2)*W], W
			}
			b := r * W
			e.route2(b+1, up[1:W-1], mid[1:W-1], down[1:W-1], mid[:W-2], mid[2:], ku, kd, -1, 1)
			e.route2(b, up[:1], mid[:1], down[:1], mid[:1], mid[1:2], ku, kd, 0, 1)
			e.route2(b+W-1, up[W-1:], mid[W-1:], down[W-1:], mid[W-2:W-1], mid[W-1:], ku, kd, -1, 0)
		}
		return
	}
	for a := 0; a < m.nd; a++ {
		idx, w := e.idx[a], e.w[a]
		m.lines(a, func(lo, hi, ku, kd int) {
			up, mid, down := src[lo+ku:hi+ku], src[lo:hi], src[lo+kd:hi+kd]
			up, down = up[:len(mid)], down[:len(mid)]
			ix, c := idx[lo:hi], cur[lo:hi]
			ix = ix[:len(mid)]
			c = c[:len(mid)]
			for i, vm := range mid {
				vu, vd := up[i], down[i]
				v := min(vu, vm, vd)
				ix[i] = int32(lo + i + firstOf(v, vu, vm, ku, kd))
				if a > 0 {
					// cur's sources keep share f: 1 if cur < v, 0 if cur > v, 1/2 at a tie.
					f := tieShare(c[i], v)
					for b := 0; b < a; b++ {
						e.w[b][lo+i] *= f
					}
					w[lo+i] = 1 - f
				} else {
					w[lo+i] = 1
				}
				c[i] = min(c[i], v)
				if a == 0 {
					c[i] = v
				}
			}
		})
	}
}

// route2 is route on the 2-D pixels lo.. (as many as mid holds), whose
// vertical windows are up, mid, down (offsets ku, 0, kd) and horizontal
// windows left, mid, right (offsets kl, 0, kr).
func (e *erosion) route2(lo int, up, mid, down, left, right []float64, ku, kd, kl, kr int) {
	n := len(mid)
	up, down, left, right = up[:n], down[:n], left[:n], right[:n]
	i0, i1, w0, w1 := e.idx[0][lo:lo+n], e.idx[1][lo:lo+n], e.w[0][lo:lo+n], e.w[1][lo:lo+n]
	for i, vm := range mid {
		vu, vl := up[i], left[i]
		v0, v1 := min(vu, vm, down[i]), min(vl, vm, right[i])
		i0[i] = int32(lo + i + firstOf(v0, vu, vm, ku, kd))
		i1[i] = int32(lo + i + firstOf(v1, vl, vm, kl, kr))
		f := tieShare(v0, v1)
		w0[i], w1[i] = f, 1-f
	}
}

// firstOf returns the offset of the first of a window (up, mid, down at
// offsets ku, 0, kd) that equals its extremum v: the first extremum, as
// a scan with strict comparisons finds it, without a branch.
func firstOf(v, vu, vm float64, ku, kd int) int {
	k := kd
	if vm == v {
		k = 0
	}
	if vu == v {
		k = ku
	}
	return k
}

// tieShare returns 1 if c < v, 0 if c > v and 1/2 if c == v, without a
// branch: the sign of v - c, saturated (every nonzero difference of finite
// numbers times 2^2046 is beyond 1 in magnitude).
func tieShare(c, v float64) float64 {
	d := (v - c) * 0x1p1023 * 0x1p1023
	return 0.5 + 0.5*max(-1, min(d, 1))
}

// back adds into gsrc the gradient of the erosion's input from gdst,
// axis by axis. It adds every share, zeros included: a gradient buffer
// starts at +0 and adding a signed zero to anything but -0 changes
// nothing, so the sums are those of adding only the nonzero shares, and
// the loop has no branch to mispredict.
func (e *erosion) back(nd int, gsrc, gdst []float64) {
	for a := 0; a < nd; a++ {
		idx, w := e.idx[a][:len(gdst)], e.w[a][:len(gdst)]
		for i, g := range gdst {
			gsrc[idx[i]] += w[i] * g
		}
	}
}

// b2f returns 1 for true and 0 for false, without a branch.
func b2f(c bool) float64 {
	var i int
	if c {
		i = 1
	}
	return float64(i)
}

// maxPoolArg writes into dst the 1-D max-pool (window 3, in bounds) of
// src along axis a, the first maximum of the window in increasing index
// order, and the source of each maximum into darg: sarg[best], or best
// itself when sarg is nil. Branch-free, as route.
func (m *morph) maxPoolArg(dst, src []float64, darg, sarg []int32, a int) {
	m.lines(a, func(lo, hi, ku, kd int) {
		ix := darg[lo:hi]
		argMax3(dst[lo:hi], ix, lo, src[lo+ku:hi+ku], src[lo:hi], src[lo+kd:hi+kd], ku, kd)
		if sarg != nil {
			for i, b := range ix {
				ix[i] = sarg[b]
			}
		}
	})
}

// argMax3 writes into out the maximum of each window up, mid, down
// (pixels lo.., offsets ku, 0, kd) and into ix the index of its first
// maximum.
func argMax3(out []float64, ix []int32, lo int, up, mid, down []float64, ku, kd int) {
	n := len(out)
	ix, up, mid, down = ix[:n], up[:n], mid[:n], down[:n]
	for i, vm := range mid {
		vu := up[i]
		v := max(vu, vm, down[i])
		out[i] = v
		ix[i] = int32(lo + i + firstOf(v, vu, vm, ku, kd))
	}
}

// dilate writes into dst the maximum of src over the in-bounds 3^nd window
// of each pixel and, when arg is not nil, the first maximal element in
// row-major order into arg. It runs as separable 1-D passes, last axis
// first: the first maximum of a lexicographic window is the first row (in
// the outer axis) holding the maximum, at that row's own first maximum,
// so the passes pick the same element as a row-major scan. tmp (and
// argTmp, with arg) are scratch of the plane's size; none may alias src.
func (m *morph) dilate(dst, src, tmp []float64, arg, argTmp []int32) {
	passes := 0
	for a := 0; a < m.nd; a++ {
		if m.shape[a] > 1 {
			passes++
		}
	}
	if passes == 0 {
		copy(dst, src)
		for i := range arg {
			arg[i] = int32(i)
		}
		return
	}
	in, inArg := src, []int32(nil)
	k := 0
	for a := m.nd - 1; a >= 0; a-- {
		if m.shape[a] == 1 {
			continue
		}
		// Alternate between dst and tmp so that the last pass lands in dst.
		out, outArg := dst, arg
		if (passes-1-k)%2 == 1 {
			out, outArg = tmp, argTmp
		}
		if arg == nil {
			m.pool(out, in, a, poolMax)
		} else {
			m.maxPoolArg(out, in, outArg, inArg, a)
		}
		in, inArg = out, outArg
		k++
	}
}

// skelWS is one worker's scratch for the soft skeleton of one plane, and
// for the plane's probabilities, target and gradient on the fused path.
type skelWS struct {
	m       morph
	iter    int
	in      []float64   // the input of the last forward pass (I[0])
	I       [][]float64 // I[j] = erode(I[j-1]), j = 1..iter+1 (forward with keep); I[1], I[2] alternate otherwise
	S       [][]float64 // S[j], the skeleton after iteration j (forward with keep); S[0] only otherwise
	O       []float64   // a dilation
	tmp     []float64
	arg     []int32 // the dilation's routing
	argT    []int32
	e       erosion
	gI      [3][]float64 // the gradients of three consecutive levels of I
	gS      []float64
	p       []float64 // the fused path's plane: probabilities, target, gradient
	t       []float64
	row     []float64
	pC      []float64 // the softmax: one sample's probabilities, every channel
	dpC     []float64 // the softmax's gradient pass: one sample's gradient, every channel
	ring    []float64 // open on 2-D planes: three rows of horizontal maxima and one output row
	ringArg []int32   // dilateArg on 2-D planes: the sources of three rows of horizontal maxima
}

// size makes every buffer of k fit planes of m's shape for iter iterations
// (keep: the backward pass too; fused: the plane buffers too; chans > 0:
// a sample of chans channels in pC, and dpC with keep), so that the
// passes allocate nothing.
func (k *skelWS) size(m *morph, iter int, keep, fused bool, chans int) {
	k.m, k.iter = *m, iter
	n := m.size
	levels, skels := 2, 1
	if keep {
		levels, skels = iter+1, iter+1
	}
	k.I = grow(&k.I, max(len(k.I), levels+1))
	for j := 1; j <= levels; j++ {
		grow(&k.I[j], n)
	}
	k.S = grow(&k.S, max(len(k.S), skels))
	for j := 0; j < skels; j++ {
		grow(&k.S[j], n)
	}
	grow(&k.O, n)
	grow(&k.tmp, n)
	grow(&k.ring, 4*m.shape[m.nd-1])
	if keep {
		grow(&k.arg, n)
		grow(&k.argT, n)
		grow(&k.ringArg, 3*m.shape[m.nd-1])
		for a := 0; a < m.nd; a++ {
			grow(&k.e.idx[a], n)
			grow(&k.e.w[a], n)
		}
		for j := range k.gI {
			grow(&k.gI[j], n)
		}
		grow(&k.gS, n)
	}
	if fused {
		grow(&k.p, n)
		grow(&k.t, n)
		grow(&k.row, n)
	}
	if chans > 0 {
		grow(&k.pC, chans*n)
		if keep {
			grow(&k.dpC, chans*n)
		}
	}
}

// level returns I[j] of the last forward pass with keep.
func (k *skelWS) level(j int) []float64 {
	if j == 0 {
		return k.in
	}
	return k.I[j][:k.m.size]
}

// forward returns the soft skeleton of in (iter iterations):
// S = relu(I - open(I)); iter times: I = erode(I), D = relu(I - open(I)),
// S = S + relu(D - S D), with open(I) = dilate(erode(I)). With keep it
// stores what backward needs. The result is owned by k.
func (k *skelWS) forward(in []float64, keep bool) []float64 {
	m, n, it := &k.m, k.m.size, k.iter
	k.in = in
	O := k.O[:n]
	cur := in
	var S []float64
	for j := 0; j <= it; j++ {
		next := k.I[1+j%2][:n] // never cur: that is I[1+(j-1)%2] or in
		if keep {
			next = k.I[j+1][:n]
		}
		m.erode(next, cur)
		prev := S
		if j == 0 || keep {
			S = k.S[j][:n]
		}
		k.open(S, prev, cur, next, O, j == 0)
		cur = next
	}
	return S
}

// open updates the skeleton for one iteration from cur and next =
// erode(cur): S = relu(cur - dilate(next)) when first, else S = prev +
// relu(D - prev D) with D = relu(cur - dilate(next)) (S may be prev). On
// 2-D planes the dilation runs row by row (horizontal maxima in a ring of
// three rows, then their vertical maximum) and O is not written; else O
// takes the dilation.
func (k *skelWS) open(S, prev, cur, next, O []float64, first bool) {
	m := &k.m
	H, W := m.shape[0], m.shape[1]
	if m.nd != 2 || W < 2 {
		m.dilate(O, next, k.tmp[:m.size], nil, nil)
		skelRows(S, prev, cur, O, first)
		return
	}
	ring := k.ring[:4*W]
	hrow := func(r int) []float64 { return ring[r%3*W : (r%3+1)*W] }
	horiz := func(r int) {
		row, out := next[r*W:(r+1)*W], hrow(r)
		pool3(poolMax, out[1:W-1], row[:W-2], row[1:W-1], row[2:])
		pool3(poolMax, out[:1], row[:1], row[:1], row[1:2])
		pool3(poolMax, out[W-1:], row[W-2:W-1], row[W-1:], row[W-1:])
	}
	o := ring[3*W:]
	horiz(0)
	for r := 0; r < H; r++ {
		if r+1 < H {
			horiz(r + 1)
		}
		mid := hrow(r)
		up, down := mid, mid
		if r > 0 {
			up = hrow(r - 1)
		}
		if r+1 < H {
			down = hrow(r + 1)
		}
		pool3(poolMax, o, up, mid, down)
		var pr []float64
		if !first {
			pr = prev[r*W : (r+1)*W]
		}
		skelRows(S[r*W:(r+1)*W], pr, cur[r*W:(r+1)*W], o, first)
	}
}

// dilateArg is m.dilate of src into O with the routing into arg. On 2-D
// planes it runs row by row: the horizontal first maxima in a ring of
// three rows (k.ring, k.ringArg), then the first of their vertical
// maxima, the element a row-major scan of the window finds first.
func (k *skelWS) dilateArg(O, src []float64, arg []int32) {
	m := &k.m
	H, W := m.shape[0], m.shape[1]
	if m.nd != 2 || W < 2 {
		m.dilate(O, src, k.tmp[:m.size], arg, k.argT[:m.size])
		return
	}
	hv, ha := k.ring[:3*W], k.ringArg[:3*W]
	horiz := func(r int) {
		row, s := src[r*W:(r+1)*W], r%3*W
		v, a := hv[s:s+W], ha[s:s+W]
		argMax3(v[1:W-1], a[1:W-1], r*W+1, row[:W-2], row[1:W-1], row[2:], -1, 1)
		argMax3(v[:1], a[:1], r*W, row[:1], row[:1], row[1:2], 0, 1)
		argMax3(v[W-1:], a[W-1:], r*W+W-1, row[W-2:W-1], row[W-1:], row[W-1:], -1, 0)
	}
	horiz(0)
	for r := 0; r < H; r++ {
		if r+1 < H {
			horiz(r + 1)
		}
		sm := r % 3 * W
		su, sd := sm, sm
		if r > 0 {
			su = (r - 1) % 3 * W
		}
		if r+1 < H {
			sd = (r + 1) % 3 * W
		}
		vu, vm, vd := hv[su:su+W], hv[sm:sm+W], hv[sd:sd+W]
		au, am, ad := ha[su:su+W], ha[sm:sm+W], ha[sd:sd+W]
		o, ix := O[r*W:(r+1)*W], arg[r*W:(r+1)*W]
		for c, v := range vm {
			v = max(vu[c], v, vd[c])
			o[c] = v
			// The first maximum's row, as an offset from the middle row's source.
			ix[c] = am[c] + int32(firstOf(v, vu[c], vm[c], int(au[c]-am[c]), int(ad[c]-am[c])))
		}
	}
}

// skelRows is one iteration's skeleton update of a run of pixels (see open).
func skelRows(S, prev, cur, O []float64, first bool) {
	cur, O = cur[:len(S)], O[:len(S)]
	if first {
		for i := range S {
			S[i] = max(cur[i]-O[i], 0)
		}
		return
	}
	prev = prev[:len(S)]
	for i := range S {
		D := max(cur[i]-O[i], 0)
		S[i] = prev[i] + max(D-prev[i]*D, 0)
	}
}

// backward adds into gin the gradient of the input of the last forward
// pass (run with keep) from gS, the gradient of the skeleton it
// returned. gS (of the plane's size) is overwritten.
//
// Level by level from the deepest: the dilation of I[j] (O[j-1]) and its
// routing, the relu of iteration j-1 (its direct part into gI[j-1], its
// opening part through the dilation into gI[j]), then the erosion
// I[j] -> I[j+1], whose input gradient is complete by then.
func (k *skelWS) backward(gin, gS []float64) {
	m, n, it := &k.m, k.m.size, k.iter
	O, arg := k.O[:n], k.arg[:n]
	gI := func(j int) []float64 { return k.gI[j%3][:n] }
	clear(gI(it + 1))
	for j := it + 1; j >= 1; j-- {
		L := j - 1
		IL, Ij := k.level(L), k.level(j)
		k.dilateArg(O, Ij, arg)
		gL, gj := gI(L), gI(j)
		clear(gL)
		// Branch-free, with 0/1 masks: a masked-out term is a signed zero
		// (see erosion.back) and a mask of 1 leaves every product exact.
		for i, g := range gS[:n] {
			diff := IL[i] - O[i]
			if L >= 1 { // through S[L] = S[L-1] + relu(D - S[L-1] D)
				prev := k.S[L-1][i]
				D := max(diff, 0)
				a := b2f(D-prev*D > 0)
				gS[i] = g * (1 - a*D)
				g = a * (g * (1 - prev))
			}
			v := b2f(diff > 0) * g
			gL[i] += v
			gj[arg[i]] += -v
		}
		if j <= it {
			m.route(Ij, k.tmp[:n], &k.e)
			k.e.back(m.nd, gj, gI(j+1))
		}
	}
	m.route(k.in, k.tmp[:n], &k.e)
	g0 := gI(0)
	k.e.back(m.nd, g0, gI(1))
	for i, g := range g0 {
		gin[i] += g
	}
}
