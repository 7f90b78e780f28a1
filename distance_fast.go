package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// The fused float32 path of the distance losses (boundary, hausdorff_dt,
// log_hausdorff_dt), for sigmoid modes on float targets and for softmax
// on class indices: a softmax pass (multiclass only: the probabilities,
// values checked), a plane pass that builds the maps of every (sample,
// class) plane into pooled buffers (the target's map from the loss's
// MapCache when it has one; hausdorff's prediction map every call), then
// a pass over fixed chunks for the sums and the gradient, reduced in
// chunk order. Results do not depend on the number of threads; steady
// state calls of one shape allocate nothing (a cache miss allocates the
// new entry). Duplicate classes count with their multiplicity, as in the
// general path.

// distWS is the pooled scratch of the distance losses' fused path.
type distWS struct {
	job      distJob
	units    []distUnit    // per plane-pass worker
	rowPlane []int         // per (sample, channel): its plane, -1 outside the classes
	planeRow []int         // per plane: its (sample, channel) row
	mult     []float64     // per channel: its multiplicity in classes
	maps     [][]float32   // boundary, per plane: its signed map (cached, or in buf)
	buf      []float32     // per plane, S values: boundary's maps without cache; hausdorff's weights
	dp       []float32     // boundary on logits without gradient: the sigmoid derivatives
	sums     []kernel.Sums // per unit of the softmax and main passes
	bad      []bool        // per plane: a target outside [0, 1]
	one      [1]int        // the spatial shape of a batch without spatial dims
}

// distUnit is one plane-pass worker's scratch.
type distUnit struct {
	mask, pmask []bool
	m64, g64    []float64
	ms          mapScratch
}

// The passes of distJob.
const (
	distProbs  = iota // softmax: probabilities and value checks; unit = one chunk of one sample's pixels
	distPlanes        // the maps; unit = one worker, planes w, w+workers, ...
	distMain          // sums and gradient; unit = one chunk of a (sample, channel) row, or of a sample's pixels (softmax)
)

// distJob runs the passes of the fused distance losses.
type distJob struct {
	batch32
	ws        *distWS
	hausdorff bool
	phase     int
	cpr       int // chunks per row
	planes    int
	workers   int // plane-pass workers
	edtW      int // goroutines of one plane's distance transform
	spatial   []int
	cache     *MapCache
	inv       float64      // 1/count
	soft      softmaxPlane // softmax: the probabilities
}

// Do runs unit c of the current pass.
func (j *distJob) Do(c, _, _ int) {
	switch {
	case j.phase == distProbs:
		n, s0, s1 := j.chunkOf(c, j.cpr)
		j.ws.sums[c] = kernel.Sums{Bad: j.soft.fill(&j.batch32, n, s0, s1)}
	case j.phase == distPlanes:
		for i := c; i < j.planes; i += j.workers {
			j.plane(&j.ws.units[c], i)
		}
	case j.lab != nil:
		j.softUnit(c)
	default:
		j.sigmoidUnit(c)
	}
}

// plane builds the maps of plane i with the scratch of u: boundary's
// signed target map into ws.maps[i]; hausdorff's weights D_p^alpha +
// D_g^alpha into its part of ws.buf.
func (j *distJob) plane(u *distUnit, i int) {
	ws, o := j.ws, j.o
	C, S := j.g.c, j.g.s
	row := ws.planeRow[i]
	n, ch := row/C, row%C
	// The target mask: packed (the cache's key) when there is a cache,
	// else as bools for the transforms.
	var bits []byte
	var mask []bool
	if j.cache != nil {
		bits = grow(&u.ms.bits, (S+7)/8)
	} else {
		mask = grow(&u.mask, S)
	}
	if j.lab != nil {
		lab := j.lab[n*S : (n+1)*S]
		for k := range bits {
			var b byte
			for q, y := range lab[k*8 : min(k*8+8, S)] {
				if int(y) == ch {
					b |= 1 << q
				}
			}
			bits[k] = b
		}
		for s := range mask {
			mask[s] = int(lab[s]) == ch
		}
	} else {
		t := j.t[row*S : (row+1)*S]
		bad := false
		if bits != nil {
			bad = packTarget(bits, t)
		}
		for s, v := range t[:len(mask)] {
			bad = bad || !(v >= 0 && v <= 1) // NaN included
			mask[s] = v > 0.5
		}
		ws.bad[i] = bad
	}
	buf := ws.buf[i*S : (i+1)*S : (i+1)*S]
	m64 := grow(&u.m64, S)
	if !j.hausdorff {
		ws.maps[i] = j.cache.get32(mapSigned32, bits, mask, j.spatial, o.Spacing, m64, buf, j.edtW, &u.ms, signedMap)
		return
	}
	mg := j.cache.get(mapUnsigned, bits, mask, j.spatial, o.Spacing, grow(&u.g64, S), j.edtW, &u.ms, unsignedMap)
	pm := grow(&u.pmask, S)
	j.predMask(pm, n, ch)
	unsignedMap(m64, pm, j.spatial, o.Spacing, j.edtW, &u.ms)
	for s := range buf {
		buf[s] = float32(powAlpha(m64[s], o.Alpha) + powAlpha(mg[s], o.Alpha))
	}
}

// packTarget writes t > 0.5 into bits, 8 voxels a byte (as packMask),
// and reports a target outside [0, 1] (NaN included). It may also flag
// -0: the full check then passes, and the general path runs.
// It works on the float32 bits: for u = the bits of v, v > 0.5 when
// u > bits(0.5) and v <= 1 (and not negative) when u <= bits(1), as
// unsigned numbers; the sign bit makes every negative number large.
func packTarget(bits []byte, t []float32) (bad bool) {
	const half, one = 0x3f000000, 0x3f800000
	n := len(t) &^ 7
	var acc uint64 // bit 63: some u > bits(1)
	for k := 0; k < n; k += 8 {
		v := t[k : k+8 : k+8]
		var b uint64
		for q := range 8 {
			u := uint64(math.Float32bits(v[q]))
			b |= (half - u) >> 63 << q
			acc |= one - u
		}
		bits[k>>3] = byte(b)
	}
	if n < len(t) {
		var b byte
		for q, v := range t[n:] {
			bad = bad || !(v >= 0 && v <= 1)
			if v > 0.5 {
				b |= 1 << q
			}
		}
		bits[n>>3] = b
	}
	return bad || acc>>63 != 0
}

// predMask writes p > 0.5 for channel ch of sample n into pm, decided as
// the general path decides it on its float64 probabilities: sigmoid(x) >
// 0.5 in float64 (x > 0.5 on probabilities); for the softmax, the float32
// probability where it is clearly away from 0.5, else the float64
// softmax of the pixel.
func (j *distJob) predMask(pm []bool, n, ch int) {
	C, S := j.g.c, j.g.s
	off := (n*C + ch) * S
	if j.lab != nil {
		var pb, lb [kernel.MaxSoftmaxC]float64
		x := j.x[n*C*S : (n+1)*C*S]
		for s, v := range j.soft.p[off : off+S] {
			if v > 0.5+1e-4 || v < 0.5-1e-4 {
				pm[s] = v > 0.5
				continue
			}
			softmaxPixel(pb[:C], lb[:C], x, s, S)
			pm[s] = pb[ch] > 0.5
		}
		return
	}
	for s, v := range j.x[off : off+S] {
		if !j.o.FromLogits {
			pm[s] = v > 0.5
			continue
		}
		// sigmoid is increasing and well above 0.5 from 1e-3 on.
		pm[s] = v > 0 && (v > 1e-3 || sigmoid(float64(v)) > 0.5)
	}
}

// sigmoidUnit runs unit c of the main pass in the sigmoid modes: the sum
// of the row's loss terms (times the class's multiplicity) into
// ws.sums[c].Loss, values checked, and the gradient.
func (j *distJob) sigmoidUnit(c int) {
	ws := j.ws
	row, s0, s1 := j.chunkOf(c, j.cpr)
	S := j.g.s
	lo, hi := row*S+s0, row*S+s1
	x, t := j.x[lo:hi], j.t[lo:hi]
	logits := j.o.FromLogits
	var g []float32
	if j.gr != nil {
		g = j.gr[lo:hi]
	}
	var s kernel.Sums
	i := ws.rowPlane[row]
	if i < 0 { // a channel outside the classes: checked, no gradient
		for k, xv := range x {
			if xv-xv != 0 || !logits && !(xv >= 0 && xv <= 1) || !(t[k] >= 0 && t[k] <= 1) {
				s.Bad = true
			}
		}
		clear(g)
		ws.sums[c] = s
		return
	}
	m := ws.mult[row%j.g.c]
	d := m * j.inv
	if !j.hausdorff && logits { // p phi; gradient p(1-p) phi/count
		phi := ws.maps[i][s0:s1]
		dp := g
		if dp == nil {
			dp = ws.dp[lo:hi]
		}
		bin := kernel.Binary{Logits: true, TWeight: true, DTP: float32(d), D1: float32(d)}
		st := kernel.BinaryStatsDP(dp, x, phi, &bin)
		if g != nil {
			kernel.BinaryGradDP(g, phi, &bin)
		}
		ws.sums[c] = kernel.Sums{Loss: m * st.TP, Bad: st.Bad}
		return
	}
	var sum float64
	if !j.hausdorff { // probabilities: p phi, gradient phi/count
		phi := ws.maps[i][s0:s1]
		for k, xv := range x {
			if !(xv >= 0 && xv <= 1) {
				s.Bad = true
			}
			sum += float64(xv) * float64(phi[k])
			if g != nil {
				g[k] = float32(float64(phi[k]) * d)
			}
		}
	} else {
		w := ws.buf[i*S+s0 : i*S+s1]
		for k, xv := range x {
			if xv-xv != 0 || !logits && !(xv >= 0 && xv <= 1) {
				s.Bad = true
			}
			p, q := xv, float32(1)
			if logits {
				p, q = sigmoidPair32(xv)
			}
			e := float64(p) - float64(t[k])
			wf := float64(w[k])
			sum += e * e * wf
			if g != nil {
				gd := 2 * e * wf * d
				if logits {
					gd *= float64(p) * float64(q)
				}
				g[k] = float32(gd)
			}
		}
	}
	s.Loss = m * sum
	ws.sums[c] = s
}

// softUnit runs unit c of the main pass for the softmax: pixels [s0, s1)
// of one sample, the loss terms of every class into ws.sums[c].Loss and
// the gradient through the softmax.
func (j *distJob) softUnit(c int) {
	ws := j.ws
	C, S := j.g.c, j.g.s
	n, s0, s1 := j.chunkOf(c, j.cpr)
	p := j.soft.sample(&j.batch32, n)
	lab := j.lab[n*S : (n+1)*S]
	var g []float32
	if j.gr != nil {
		g = j.gr[n*C*S : (n+1)*C*S]
	}
	var loss float64
	for ch := 0; ch < C; ch++ {
		lo, hi := ch*S+s0, ch*S+s1
		var gc []float32
		if g != nil {
			gc = g[lo:hi]
		}
		i := ws.rowPlane[n*C+ch]
		if i < 0 {
			clear(gc)
			continue
		}
		m := ws.mult[ch]
		d := m * j.inv
		var sum float64
		if !j.hausdorff {
			phi := ws.maps[i][s0:s1]
			for k, pv := range p[lo:hi] {
				sum += float64(pv) * float64(phi[k])
			}
			for k := range gc {
				gc[k] = float32(float64(phi[k]) * d)
			}
		} else {
			w := ws.buf[i*S+s0 : i*S+s1]
			for k, pv := range p[lo:hi] {
				e := float64(pv)
				if int(lab[s0+k]) == ch {
					e--
				}
				wf := float64(w[k])
				sum += e * e * wf
				if gc != nil {
					gc[k] = float32(2 * e * wf * d)
				}
			}
		}
		loss += m * sum
	}
	if g != nil {
		kernel.SoftmaxChain(g, p, C, S, s0, s1, 1)
	}
	ws.sums[c] = kernel.Sums{Loss: loss}
}

// fusedDistance is the fused float32 path of boundary, hausdorff_dt and
// log_hausdorff_dt (see the top of this file); other batches (a float
// target in multiclass mode, class indices on probabilities, an empty
// class list) take the general path.
func fusedDistance(l *Loss, fw *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	o := &l.opts
	softmax := b.Labels != nil
	if softmax != (o.Mode == Multiclass) || softmax && (!o.FromLogits || g.c > kernel.MaxSoftmaxC) ||
		o.Classes != nil && len(o.Classes) == 0 || b.Target == nil && !softmax {
		return 0, false, false
	}
	ws := &fw.dist
	j := &ws.job
	defer func() {
		*j = distJob{}
		clear(ws.maps)
	}()
	*j = distJob{batch32: newBatch32(l, g, grad, b), ws: ws, hausdorff: l.name != Boundary, cache: l.maps}
	C, S := g.c, g.s
	j.spatial = b.Shape[2:]
	if len(j.spatial) == 0 {
		ws.one[0] = 1
		j.spatial = ws.one[:]
	}
	mult := grow(&ws.mult, C)
	K := len(o.Classes)
	if o.Classes == nil {
		K = C
		for c := range mult {
			mult[c] = 1
		}
	} else {
		clear(mult)
		for _, c := range o.Classes {
			mult[c]++
		}
	}
	rowPlane := grow(&ws.rowPlane, g.n*C)
	planeRow := grow(&ws.planeRow, g.n*C)
	planes := 0
	for row := range rowPlane {
		rowPlane[row] = -1
		if mult[row%C] > 0 {
			rowPlane[row], planeRow[planes] = planes, row
			planes++
		}
	}
	j.planes = planes
	j.inv = 1 / float64(g.n*K*S)
	j.cpr = kernel.Chunks(S, kernel.Chunk)
	units := g.n * C * j.cpr
	if softmax {
		units = g.n * j.cpr
	}
	j.ws.sums = growSums(&ws.sums, units)
	ws.bad = grow(&ws.bad, planes)
	clear(ws.bad)
	ws.buf = grow(&ws.buf, planes*S)
	ws.maps = grow(&ws.maps, planes)
	if softmax {
		j.soft = newSoftmaxPlane(fw, &j.batch32)
		j.phase = distProbs
		kernel.Run(j, units, 1)
		for k := range ws.sums {
			if ws.sums[k].Bad {
				return 0, true, true
			}
		}
	}
	j.workers, j.edtW = planeWorkers(planes, S)
	ws.units = grow(&ws.units, j.workers)
	j.phase = distPlanes
	kernel.Run(j, j.workers, 1)
	for _, bad := range ws.bad {
		if bad {
			return 0, true, true
		}
	}
	if !j.hausdorff && o.FromLogits && !softmax && grad == nil {
		ws.dp = grow(&ws.dp, g.size())
	}
	j.phase = distMain
	kernel.Run(j, units, 1)
	var sum float64
	for k := range ws.sums {
		if ws.sums[k].Bad {
			return 0, true, true
		}
		sum += ws.sums[k].Loss
	}
	v := sum * j.inv
	if l.name == LogHausdorffDT {
		if grad != nil {
			fw.scaleGrad32(grad, float32(1/(1+v)))
		}
		v = math.Log1p(v)
	}
	return v, true, false
}
