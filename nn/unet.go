package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/segloss/segloss/internal/kernel"
)

// UNet is a U-Net: its configuration, its parameters and the memory of its
// inference passes. Create it with NewUNet or ReadUNet.
type UNet struct {
	cfg     Config
	params  []float32
	enc     [][2]block // per level
	dec     [][2]block // per decoder level 0..Depth-2
	head    conv
	ds      []conv    // deep-supervision heads of decoder levels 1..Depth-2 (ds[l-1])
	downs   []sconv   // StridedConv: the down-sampling of levels 0..Depth-2
	ups     []sconv   // TransposedConv: the up-sampling into decoder levels 0..Depth-2
	running []float32 // batch-norm running statistics of all blocks
	inf     *workspace
}

// block is a 3×3 convolution followed by normalization and activation.
type block struct {
	conv    conv
	groups  int
	running []float32 // batch norm: running mean and variance (2·cout values)
}

// NewUNet returns a U-Net with He-normal weights drawn from cfg.Seed and
// zero biases.
func NewUNet(cfg Config) (*UNet, error) {
	m, err := build(cfg)
	if err != nil {
		return nil, err
	}
	m.init()
	return m, nil
}

// build lays out the layers and allocates the parameters (zero).
func build(cfg Config) (*UNet, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	kv := 9
	if cfg.Dims == 3 {
		kv = 27
	}
	m := &UNet{cfg: cfg}
	off, nrun := 0, 0
	newConv := func(cin, cout, kv int) conv {
		l := conv{cin: cin, cout: cout, kv: kv, off: off}
		off += l.size()
		return l
	}
	newBlock := func(cin, cout int) block {
		b := block{conv: newConv(cin, cout, kv), groups: groupsFor(cfg.Norm, cfg.Groups, cout)}
		nrun += 2 * cout
		return b
	}
	c := cfg.InChannels
	m.enc = make([][2]block, cfg.Depth)
	for l := 0; l < cfg.Depth; l++ {
		w := cfg.Width << l
		m.enc[l] = [2]block{newBlock(c, w), newBlock(w, w)}
		c = w
	}
	m.dec = make([][2]block, cfg.Depth-1)
	for l := cfg.Depth - 2; l >= 0; l-- {
		w := cfg.Width << l
		m.dec[l] = [2]block{newBlock(m.upC(l)+w, w), newBlock(w, w)}
		c = w
	}
	m.head = newConv(c, cfg.OutChannels, 1)
	if cfg.DeepSupervision {
		for l := 1; l <= cfg.Depth-2; l++ {
			m.ds = append(m.ds, newConv(cfg.Width<<l, cfg.OutChannels, 1))
		}
	}
	kv2 := 4 * (cfg.Dims - 1)
	newS := func(cin, cout int, trans bool) sconv {
		l := sconv{cin: cin, cout: cout, kv: kv2, trans: trans, off: off}
		off += l.size()
		return l
	}
	if cfg.Down == StridedConv {
		for l := 0; l < cfg.Depth-1; l++ {
			m.downs = append(m.downs, newS(cfg.Width<<l, cfg.Width<<l, false))
		}
	}
	if cfg.Up == TransposedConv {
		for l := 0; l < cfg.Depth-1; l++ {
			m.ups = append(m.ups, newS(cfg.Width<<(l+1), cfg.Width<<l, true))
		}
	}
	m.params = make([]float32, off)
	m.running = make([]float32, nrun)
	r := 0
	bind := func(b *block) {
		b.conv.bind(m.params)
		b.running = m.running[r : r+2*b.conv.cout]
		r += 2 * b.conv.cout
	}
	for l := range m.enc {
		bind(&m.enc[l][0])
		bind(&m.enc[l][1])
	}
	for l := len(m.dec) - 1; l >= 0; l-- {
		bind(&m.dec[l][0])
		bind(&m.dec[l][1])
	}
	m.head.bind(m.params)
	for i := range m.ds {
		m.ds[i].bind(m.params)
	}
	for i := range m.downs {
		m.downs[i].bind(m.params)
	}
	for i := range m.ups {
		m.ups[i].bind(m.params)
	}
	return m, nil
}

// bind points the layer's weights and bias into the parameter vector.
func (l *conv) bind(params []float32) {
	nw := l.cout * l.k()
	l.w = params[l.off : l.off+nw]
	l.b = params[l.off+nw : l.off+nw+l.cout]
	if l.kv > 1 {
		l.wk, l.wt = make([]float32, nw), make([]float32, nw)
	}
}

// layers returns every convolution in parameter order.
func (m *UNet) layers() []*conv {
	var ls []*conv
	for l := range m.enc {
		ls = append(ls, &m.enc[l][0].conv, &m.enc[l][1].conv)
	}
	for l := len(m.dec) - 1; l >= 0; l-- {
		ls = append(ls, &m.dec[l][0].conv, &m.dec[l][1].conv)
	}
	ls = append(ls, &m.head)
	for i := range m.ds {
		ls = append(ls, &m.ds[i])
	}
	return ls
}

// init draws He-normal weights (std √(2/fan-in)) from the seed, layer by
// layer in parameter order, with zero biases and running statistics of
// mean 0 and variance 1.
func (m *UNet) init() {
	rng := rand.New(rand.NewPCG(uint64(m.cfg.Seed), 0x5e6105))
	for _, l := range m.layers() {
		std := math.Sqrt(2 / float64(l.k()))
		for i := range l.w {
			l.w[i] = float32(rng.NormFloat64() * std)
		}
		clear(l.b)
	}
	for _, l := range m.sconvs() {
		fan := l.cin * l.kv
		if l.trans {
			fan = l.cin
		}
		std := math.Sqrt(2 / float64(fan))
		for i := range l.w {
			l.w[i] = float32(rng.NormFloat64() * std)
		}
		clear(l.b)
	}
	m.resetRunning()
}

func (m *UNet) resetRunning() {
	for _, b := range m.blocks() {
		clear(b.running[:b.conv.cout])
		for i := b.conv.cout; i < len(b.running); i++ {
			b.running[i] = 1
		}
	}
}

// ranges returns the offset and size of every layer's parameters.
func (m *UNet) ranges() [][2]int {
	var r [][2]int
	for _, l := range m.layers() {
		r = append(r, [2]int{l.off, l.size()})
	}
	for _, l := range m.sconvs() {
		r = append(r, [2]int{l.off, l.size()})
	}
	return r
}

// sconvs returns the strided and transposed convolutions in parameter order.
func (m *UNet) sconvs() []*sconv {
	var ls []*sconv
	for i := range m.downs {
		ls = append(ls, &m.downs[i])
	}
	for i := range m.ups {
		ls = append(ls, &m.ups[i])
	}
	return ls
}

// upC returns the channels of the up-sampled input of decoder level l.
func (m *UNet) upC(l int) int {
	if m.cfg.Up == TransposedConv {
		return m.cfg.Width << l
	}
	return m.cfg.Width << (l + 1)
}

// blocks returns every block in parameter order.
func (m *UNet) blocks() []*block {
	var bs []*block
	for l := range m.enc {
		bs = append(bs, &m.enc[l][0], &m.enc[l][1])
	}
	for l := len(m.dec) - 1; l >= 0; l-- {
		bs = append(bs, &m.dec[l][0], &m.dec[l][1])
	}
	return bs
}

// Config returns the configuration, with defaults filled in.
func (m *UNet) Config() Config { return m.cfg }

// NumParams returns the number of trainable parameters (weights and biases).
func (m *UNet) NumParams() int { return len(m.params) }

// Params returns the parameter vector, every layer's weights
// ([cout, cin, k...], PyTorch's layout) then bias, in the order of the
// PyTorch model's parameters: the encoder blocks from the top level down,
// the decoder blocks from the deepest level up, the head, then the
// deep-supervision heads from level 1 down, then the strided convolutions
// (level 0 down) and the transposed convolutions (into level 0 up).
// Changing it changes the model.
func (m *UNet) Params() []float32 { return m.params }

// OutputShape returns the shape of the logits for an input of shape
// inShape ([N, InChannels, spatial...]), or an error if the model does not
// take that shape (spatial sizes must be multiples of 2^(Depth-1)).
func (m *UNet) OutputShape(inShape []int) ([]int, error) {
	if _, _, err := m.cfg.checkShape(inShape); err != nil {
		return nil, err
	}
	out := append([]int(nil), inShape...)
	out[1] = m.cfg.OutChannels
	return out, nil
}

// DeepShapes returns the shapes of the outputs of Trainer.StepDeep for an
// input of shape inShape: level 0 is the logits, level l (1 to Depth-2,
// with DeepSupervision) the logits of decoder level l, at 1/2^l of the
// resolution.
func (m *UNet) DeepShapes(inShape []int) ([][]int, error) {
	out, err := m.OutputShape(inShape)
	if err != nil {
		return nil, err
	}
	shapes := [][]int{out}
	for l := 1; l <= len(m.ds); l++ {
		s := append([]int(nil), out...)
		for i := 2; i < len(s); i++ {
			s[i] >>= l
		}
		shapes = append(shapes, s)
	}
	return shapes, nil
}

// Forward computes the logits dst ([N, OutChannels, spatial...]) of the
// input x of shape shape ([N, InChannels, spatial...]), in inference mode
// (batch norm uses its running statistics). It allocates only when the
// shape changes.
func (m *UNet) Forward(dst, x []float32, shape []int) error {
	n, g, err := m.cfg.checkShape(shape)
	if err != nil {
		return err
	}
	if err := checkInput(x, n*m.cfg.InChannels*g.size()); err != nil {
		return err
	}
	if want := n * m.cfg.OutChannels * g.size(); len(dst) != want {
		return fmt.Errorf("nn: logits have %d values, the shape %v needs %d", len(dst), shape, want)
	}
	m.inf = m.ensure(m.inf, n, g, false)
	m.forward(m.inf, x, dst, false)
	return nil
}

// checkInput checks the length and the values of an input.
func checkInput(x []float32, want int) error {
	if len(x) != want {
		return fmt.Errorf("nn: input has %d values, its shape needs %d", len(x), want)
	}
	for i, v := range x {
		if v-v != 0 {
			return fmt.Errorf("nn: input value %d is %v: inputs must be finite", i, v)
		}
	}
	return nil
}

// workspace is the memory of the passes over one input shape.
type workspace struct {
	n     int
	g     geom
	train bool
	deep  bool // this training step uses the deep-supervision heads
	lv    []levelWS
	head  []float32 // gradient of the logits (training)
	part  []float32
	scr   *scratchPool
	cp    convPass
	cm    *convMem // state and memory of the 3×3 convolution passes
	sp    sconvPass
	red   reduceJob
	rs    resample
}

// levelWS holds the tensors of one level.
type levelWS struct {
	g        geom
	enc, dec [2]blockWS
	pool, gp []float32 // [N, w, S/2^dims]: down-sampled output of the level
	idx      []int32
	up, gu   []float32 // [N, upC, S]: up-sampled input of the decoder block
	ds, gds  []float32 // deep-supervision logits and their gradient
}

// blockWS holds a block's tensors.
type blockWS struct {
	z, a, ga []float32
	na       normAct
}

// ensure returns ws if it fits n samples of size g, or a new workspace.
func (m *UNet) ensure(ws *workspace, n int, g geom, train bool) *workspace {
	if ws != nil && ws.n == n && ws.g == g && ws.train == train && cap(ws.scr.ch) >= runtime.GOMAXPROCS(0) {
		return ws
	}
	cfg := m.cfg
	ws = &workspace{n: n, g: g, train: train, lv: make([]levelWS, cfg.Depth)}
	alloc := func(c int, gg geom) []float32 { return make([]float32, n*c*gg.size()) }
	grad := func(c int, gg geom) []float32 {
		if !train {
			return nil
		}
		return alloc(c, gg)
	}
	maxCol, maxColY, maxPart, maxPad, maxParams := 1, 1, 1, 1, 1
	track := func(l *conv, gg geom) {
		maxColY = max(maxColY, max(l.cin, l.cout)*shiftBlock)
		if l.kv > 1 {
			maxPad = max(maxPad, max(l.cin, l.cout)*padded(gg, cfg.Dims).size())
		}
		maxParams = max(maxParams, l.size())
		maxPart = max(maxPart, convParts(l, n, gg, cfg.Dims))
	}
	mkBlock := func(b *block, gg geom) blockWS {
		track(&b.conv, gg)
		c := b.conv.cout
		bw := blockWS{z: alloc(c, gg), a: alloc(c, gg), ga: grad(c, gg)}
		bw.na = normAct{kind: cfg.Norm, act: cfg.Act, slope: cfg.LeakySlope, groups: b.groups,
			n: n, c: c, S: gg.size(), running: b.running}
		nu, _, _, _ := bw.na.units()
		bw.na.mean, bw.na.rs = make([]float64, nu), make([]float64, nu)
		return bw
	}
	gg := g
	for l := 0; l < cfg.Depth; l++ {
		lw := &ws.lv[l]
		lw.g = gg
		lw.enc = [2]blockWS{mkBlock(&m.enc[l][0], gg), mkBlock(&m.enc[l][1], gg)}
		if l < cfg.Depth-1 {
			h := gg.half(cfg.Dims)
			w := cfg.Width << l
			lw.pool, lw.gp = alloc(w, h), grad(w, h)
			if cfg.Down == MaxPool {
				lw.idx = make([]int32, n*w*h.size())
			}
			upC := m.upC(l)
			lw.up, lw.gu = alloc(upC, gg), grad(upC, gg)
			var p convPass
			nc := p.setup(n, h)
			for _, sl := range []*sconv{m.sconvAt(m.downs, l), m.sconvAt(m.ups, l)} {
				if sl != nil {
					k := max(sl.cin, sl.cout) * sl.kv * convBlock
					maxCol, maxColY, maxPart = max(maxCol, k), max(maxColY, k), max(maxPart, nc*sl.size())
				}
			}
			lw.dec = [2]blockWS{mkBlock(&m.dec[l][0], gg), mkBlock(&m.dec[l][1], gg)}
			if l >= 1 && len(m.ds) > 0 {
				lw.ds, lw.gds = alloc(cfg.OutChannels, gg), grad(cfg.OutChannels, gg)
				track(&m.ds[l-1], gg)
			}
			gg = h
		}
	}
	track(&m.head, g)
	if train {
		ws.head = alloc(cfg.OutChannels, g)
	}
	if train {
		ws.part = make([]float32, maxPart)
	}
	ws.scr = newScratchPool(runtime.GOMAXPROCS(0), maxCol, maxColY)
	ws.cm = newConvMem(n*maxPad, maxParams)
	ws.cp = convPass{scr: ws.scr, dims: cfg.Dims, n: n}
	return ws
}

// sconvAt returns ls[l], or nil when ls is empty.
func (m *UNet) sconvAt(ls []sconv, l int) *sconv {
	if len(ls) == 0 {
		return nil
	}
	return &ls[l]
}

// runSconv runs a strided or transposed convolution forward or backward
// between the fine tensors of level l and the coarse ones of level l+1.
func (m *UNet) runSconv(ws *workspace, l *sconv, bwd bool, lo, hi geom, fine, coarse, gFine, gCoarse, grad []float32) {
	p := &ws.sp
	*p = sconvPass{l: l, fine: fine, coarse: coarse, gFine: gFine, gCoarse: gCoarse, n: ws.n, lo: lo, hi: hi, bwd: bwd, part: ws.part, scr: ws.scr}
	nc := p.setup()
	kernel.Run(p, nc, 1)
	if bwd {
		red := &ws.red
		red.part, red.dst, red.chunks = p.part, grad[l.off:l.off+l.size()], nc
		kernel.Run(red, len(red.dst), 2048)
	}
}

// runBlockFwd runs a block forward on the segments.
func (m *UNet) runBlockFwd(ws *workspace, b *block, bw *blockWS, g geom, segs ...seg) {
	m.convFwd(ws, &b.conv, bw.z, g, segs...)
	bw.na.z, bw.na.a, bw.na.ga = bw.z, bw.a, bw.ga
	bw.na.bwd = false
	bw.na.inference = !ws.train
	nu, _, _, _ := bw.na.units()
	kernel.Run(&bw.na, nu, 1)
	if ws.train && bw.na.kind == NormBatch {
		bw.na.updateRunning()
	}
}

// convFwd runs a convolution forward into out.
func (m *UNet) convFwd(ws *workspace, l *conv, out []float32, g geom, segs ...seg) {
	p := &ws.cp
	p.l, p.out, p.g, p.bwd, p.nseg = l, out, g, false, len(segs)
	copy(p.segs[:], segs)
	runConv(p, &ws.red, nil, ws.cm)
}

// convBwd runs a convolution backward from dy, writing the parameter
// gradients into grad and the input gradients into the segments' g.
func (m *UNet) convBwd(ws *workspace, l *conv, dy, grad []float32, g geom, accum bool, segs ...seg) {
	p := &ws.cp
	p.l, p.dy, p.g, p.bwd, p.nseg, p.part, p.accumDX = l, dy, g, true, len(segs), ws.part, accum
	copy(p.segs[:], segs)
	p.needDX = false
	for _, s := range segs {
		if s.g != nil {
			p.needDX = true
		}
	}
	runConv(p, &ws.red, grad, ws.cm)
}

// runBlockBwd turns the block's output gradient into its input gradients.
func (m *UNet) runBlockBwd(ws *workspace, b *block, bw *blockWS, grad []float32, g geom, segs ...seg) {
	bw.na.bwd = true
	nu, _, _, _ := bw.na.units()
	kernel.Run(&bw.na, nu, 1)
	m.convBwd(ws, &b.conv, bw.ga, grad, g, false, segs...)
}

// resampleRun runs one resampling pass over N·c planes.
func (m *UNet) resampleRun(ws *workspace, op int, bwd bool, c int, lo, hi geom, fine, coarse, gFine, gCoarse []float32, idx []int32) {
	r := &ws.rs
	*r = resample{op: op, bwd: bwd, dims: m.cfg.Dims, lo: lo, hi: hi, fine: fine, coarse: coarse, gFine: gFine, gCoarse: gCoarse, idx: idx}
	kernel.Run(r, ws.n*c, 1)
}

// top returns the output tensor (and its gradient) of decoder level l,
// or of the bottleneck when l = Depth-1.
func (ws *workspace) top(l int) (a, ga []float32) {
	if l == len(ws.lv)-1 {
		return ws.lv[l].enc[1].a, ws.lv[l].enc[1].ga
	}
	return ws.lv[l].dec[1].a, ws.lv[l].dec[1].ga
}

// forward runs the network on x into logits.
func (m *UNet) forward(ws *workspace, x, logits []float32, train bool) {
	cfg := m.cfg
	D := cfg.Depth
	in := seg{d: x, c: cfg.InChannels}
	for l := 0; l < D; l++ {
		lw := &ws.lv[l]
		if l > 0 {
			p := &ws.lv[l-1]
			in = seg{d: p.pool, g: p.gp, c: cfg.Width << (l - 1)}
		}
		m.runBlockFwd(ws, &m.enc[l][0], &lw.enc[0], lw.g, in)
		e0 := lw.enc[0]
		m.runBlockFwd(ws, &m.enc[l][1], &lw.enc[1], lw.g, seg{d: e0.a, g: e0.ga, c: cfg.Width << l})
		if l < D-1 {
			if cfg.Down == StridedConv {
				m.runSconv(ws, &m.downs[l], false, ws.lv[l+1].g, lw.g, lw.enc[1].a, lw.pool, nil, nil, nil)
				continue
			}
			op := opMean
			if cfg.Down == MaxPool {
				op = opMax
			}
			m.resampleRun(ws, op, false, cfg.Width<<l, ws.lv[l+1].g, lw.g, lw.enc[1].a, lw.pool, nil, nil, lw.idx)
		}
	}
	for l := D - 2; l >= 0; l-- {
		lw := &ws.lv[l]
		below, _ := ws.top(l + 1)
		upC := m.upC(l)
		if cfg.Up == TransposedConv {
			m.runSconv(ws, &m.ups[l], false, ws.lv[l+1].g, lw.g, lw.up, below, nil, nil, nil)
		} else {
			m.resampleRun(ws, opUp, false, upC, ws.lv[l+1].g, lw.g, lw.up, below, nil, nil, nil)
		}
		w := cfg.Width << l
		m.runBlockFwd(ws, &m.dec[l][0], &lw.dec[0], lw.g,
			seg{d: lw.up, g: lw.gu, c: upC}, seg{d: lw.enc[1].a, g: lw.enc[1].ga, c: w})
		d0 := lw.dec[0]
		m.runBlockFwd(ws, &m.dec[l][1], &lw.dec[1], lw.g, seg{d: d0.a, g: d0.ga, c: w})
		if train && ws.deep && l >= 1 {
			m.convFwd(ws, &m.ds[l-1], lw.ds, lw.g, seg{d: lw.dec[1].a, c: w})
		}
	}
	top, _ := ws.top(0)
	m.convFwd(ws, &m.head, logits, ws.g, seg{d: top, c: m.head.cin})
}

// backward runs the network backward from the gradient of the logits
// (ws.head, and the deep-supervision gradients), writing the parameter
// gradients into grad.
func (m *UNet) backward(ws *workspace, x, grad []float32) {
	cfg := m.cfg
	D := cfg.Depth
	if !ws.deep {
		for i := range m.ds {
			clear(grad[m.ds[i].off : m.ds[i].off+m.ds[i].size()])
		}
	}
	top, gTop := ws.top(0)
	m.convBwd(ws, &m.head, ws.head, grad, ws.g, false, seg{d: top, g: gTop, c: m.head.cin})
	for l := 0; l <= D-2; l++ {
		lw := &ws.lv[l]
		w := cfg.Width << l
		upC := m.upC(l)
		d0 := lw.dec[0]
		m.runBlockBwd(ws, &m.dec[l][1], &lw.dec[1], grad, lw.g, seg{d: d0.a, g: d0.ga, c: w})
		m.runBlockBwd(ws, &m.dec[l][0], &lw.dec[0], grad, lw.g,
			seg{d: lw.up, g: lw.gu, c: upC}, seg{d: lw.enc[1].a, g: lw.enc[1].ga, c: w})
		below, gBelow := ws.top(l + 1)
		if cfg.Up == TransposedConv {
			m.runSconv(ws, &m.ups[l], true, ws.lv[l+1].g, lw.g, lw.up, below, lw.gu, gBelow, grad)
		} else {
			m.resampleRun(ws, opUp, true, upC, ws.lv[l+1].g, lw.g, lw.up, below, lw.gu, gBelow, nil)
		}
		if l+1 <= D-2 && ws.deep {
			nl := &ws.lv[l+1]
			m.convBwd(ws, &m.ds[l], nl.gds, grad, nl.g, true, seg{d: below, g: gBelow, c: cfg.Width << (l + 1)})
		}
	}
	for l := D - 1; l >= 0; l-- {
		lw := &ws.lv[l]
		w := cfg.Width << l
		if l < D-1 && cfg.Down == StridedConv {
			m.runSconv(ws, &m.downs[l], true, ws.lv[l+1].g, lw.g, lw.enc[1].a, lw.pool, lw.enc[1].ga, lw.gp, grad)
		} else if l < D-1 {
			op := opMean
			if cfg.Down == MaxPool {
				op = opMax
			}
			m.resampleRun(ws, op, true, w, ws.lv[l+1].g, lw.g, lw.enc[1].a, lw.pool, lw.enc[1].ga, lw.gp, lw.idx)
		}
		e0 := lw.enc[0]
		m.runBlockBwd(ws, &m.enc[l][1], &lw.enc[1], grad, lw.g, seg{d: e0.a, g: e0.ga, c: w})
		in := seg{d: x, c: cfg.InChannels}
		if l > 0 {
			p := &ws.lv[l-1]
			in = seg{d: p.pool, g: p.gp, c: cfg.Width << (l - 1)}
		}
		m.runBlockBwd(ws, &m.enc[l][0], &lw.enc[0], grad, lw.g, in)
	}
}
