package nn

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// linearLoss is Σ logits·r: its gradient is r.
func linearLoss(r []float32) LossGrad {
	return func(logits, grad []float32, shape []int) (float64, error) {
		copy(grad, r)
		var s float64
		for i, v := range logits {
			s += float64(v) * float64(r[i])
		}
		return s, nil
	}
}

// netLoss evaluates Σ logits·r at the current parameters (training-mode
// statistics, as in a step).
func netLoss(m *UNet, ws *workspace, x []float32, r []float32) float64 {
	logits := make([]float32, len(r))
	m.forward(ws, x, logits, true)
	return dot64(to64(logits), r)
}

// TestUNetGradient checks the parameter gradient of whole small networks,
// layer by layer, against finite differences along a random direction of
// the layer's parameters, in 2-D and 3-D with every option.
var fdH = 1e-3

func TestUNetGradient(t *testing.T) {
	for _, cfg := range []Config{
		{Dims: 2, InChannels: 2, OutChannels: 2, Width: 2, Depth: 3, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 3, Width: 4, Depth: 2, Norm: NormGroup, Groups: 2, Down: MaxPool, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Norm: NormBatch, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Norm: NormNone, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 1, Width: 3, Depth: 1, Act: LeakyReLU},
		{Dims: 3, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Act: LeakyReLU},
		{Dims: 3, InChannels: 2, OutChannels: 2, Width: 2, Depth: 2, Down: MaxPool, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 3, Down: StridedConv, Up: TransposedConv, Act: LeakyReLU},
		{Dims: 3, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Down: StridedConv, Up: TransposedConv, Act: LeakyReLU},
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Up: TransposedConv, Act: LeakyReLU},
	} {
		cfg.Seed = 11
		cfg.LeakySlope = 0.9 // near-linear: kinks make finite differences of deep ReLU nets unreliable
		m, err := NewUNet(cfg)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(cfg.Width), uint64(cfg.Depth)))
		shape := []int{2, cfg.InChannels, 16, 16}
		if cfg.Dims == 3 {
			shape = []int{2, cfg.InChannels, 8, 8, 8}
		}
		n, g, err := cfg.checkShape(shape)
		if err != nil {
			t.Fatal(err)
		}
		x := randVec(rng, n*cfg.InChannels*g.size())
		r := randVec(rng, n*cfg.OutChannels*g.size())
		ws := m.ensure(nil, n, g, true)
		logits := make([]float32, len(r))
		m.forward(ws, x, logits, true)
		copy(ws.head, r)
		grad := make([]float32, m.NumParams())
		m.backward(ws, x, grad)
		saved := slices.Clone(m.params)
		running := slices.Clone(m.running)
		for li, lr := range m.ranges() {
			l := struct{ off, n int }{lr[0], lr[1]}
			v := make([]float64, l.n)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			var norm float64
			for _, u := range v {
				norm += u * u
			}
			var want, gnorm float64
			for i := range v {
				v[i] /= math.Sqrt(norm)
				want += v[i] * float64(grad[l.off+i])
				gnorm += float64(grad[l.off+i]) * float64(grad[l.off+i])
			}
			gnorm = math.Sqrt(gnorm)
			h := fdH
			move := func(s float64) {
				for i := range v {
					m.params[l.off+i] = saved[l.off+i] + float32(s*v[i])
				}
			}
			move(h)
			fp := netLoss(m, ws, x, r)
			move(-h)
			fm := netLoss(m, ws, x, r)
			copy(m.params, saved)
			copy(m.running, running)
			got := (fp - fm) / (2 * h)
			tol := 1e-2
			if cfg.Down == MaxPool {
				tol = 3e-2 // the maximum switches too
			}
			if math.Abs(got-want) > tol*max(math.Abs(want), 0.2*gnorm)+1e-3 {
				t.Errorf("%+v layer %d: directional derivative %v, finite differences %v", cfg, li, want, got)
			}
		}
	}
}

// TestThreadsBitIdentical checks that training steps give bit-identical
// parameters at 1 and 2 threads.
func TestThreadsBitIdentical(t *testing.T) {
	run := func(threads int, cfg Config, shape []int) []float32 {
		prev := runtime.GOMAXPROCS(threads)
		defer runtime.GOMAXPROCS(prev)
		m, _ := NewUNet(cfg)
		opt, _ := NewAdam(AdamConfig{LR: 1e-2})
		tr := NewTrainer(m, opt, nil)
		rng := rand.New(rand.NewPCG(1, 1))
		out, _ := m.OutputShape(shape)
		x := randVec(rng, prod(shape))
		r := randVec(rng, prod(out))
		for i := 0; i < 3; i++ {
			if _, err := tr.Step(x, shape, linearLoss(r)); err != nil {
				t.Fatal(err)
			}
		}
		return slices.Clone(m.params)
	}
	for _, c := range []struct {
		cfg   Config
		shape []int
	}{
		{Config{Dims: 2, InChannels: 1, OutChannels: 2, Width: 4, Depth: 3, Seed: 1}, []int{3, 1, 48, 40}},
		{Config{Dims: 3, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Seed: 2, Norm: NormBatch}, []int{2, 1, 8, 12, 10}},
		{Config{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 3, Seed: 3, Down: StridedConv, Up: TransposedConv}, []int{2, 1, 40, 48}},
	} {
		a, b := run(1, c.cfg, c.shape), run(2, c.cfg, c.shape)
		if !slices.Equal(a, b) {
			t.Errorf("%+v: parameters differ between 1 and 2 threads", c.cfg)
		}
	}
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// TestStepAllocs checks that steady-state training steps and forward
// passes allocate nothing.
func TestStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, cfg := range []Config{
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 4, Depth: 3},
		{Dims: 3, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Down: MaxPool, DeepSupervision: true},
		{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 4, Down: StridedConv, Up: TransposedConv, DeepSupervision: true, Norm: NormGroup},
	} {
		m, _ := NewUNet(cfg)
		opt, _ := NewSGD(SGDConfig{LR: 1e-3, Momentum: 0.9, Nesterov: true})
		tr := NewTrainer(m, opt, PolyLR(100, 0.9))
		shape := []int{2, 1, 16, 16}
		if cfg.Dims == 3 {
			shape = []int{2, 1, 8, 8, 8}
		}
		out, _ := m.OutputShape(shape)
		rng := rand.New(rand.NewPCG(1, 1))
		x, r := randVec(rng, prod(shape)), randVec(rng, prod(out))
		lg := linearLoss(r)
		dlg := func(level int, logits, grad []float32, shape []int) (float64, error) {
			clear(grad)
			if level == 0 {
				copy(grad, r)
			}
			return 0, nil
		}
		logits := make([]float32, len(r))
		step := func() {
			if _, err := tr.Step(x, shape, lg); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.StepDeep(x, shape, dlg); err != nil {
				t.Fatal(err)
			}
			if err := m.Forward(logits, x, shape); err != nil {
				t.Fatal(err)
			}
		}
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%+v: %v allocations per step", cfg, a)
		}
	}
}

// TestSaveLoadResume checks that a model and a trainer survive a round
// trip and that a resumed run is bit-identical to an uninterrupted one.
func TestSaveLoadResume(t *testing.T) {
	cfg := Config{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 2, Norm: NormBatch, Seed: 5}
	shape := []int{2, 1, 8, 8}
	rng := rand.New(rand.NewPCG(2, 2))
	x, r := randVec(rng, prod(shape)), randVec(rng, 2*2*64)
	for _, mk := range []func() Optimizer{
		func() Optimizer { o, _ := NewAdam(AdamConfig{LR: 1e-2, WeightDecay: 1e-3, Decoupled: true}); return o },
		func() Optimizer { o, _ := NewSGD(SGDConfig{LR: 1e-2, Momentum: 0.99, Nesterov: true}); return o },
	} {
		m, _ := NewUNet(cfg)
		tr := NewTrainer(m, mk(), PolyLR(10, 0.9))
		for i := 0; i < 6; i++ {
			tr.Step(x, shape, linearLoss(r))
		}
		m2, _ := NewUNet(cfg)
		tr2 := NewTrainer(m2, mk(), PolyLR(10, 0.9))
		for i := 0; i < 3; i++ {
			tr2.Step(x, shape, linearLoss(r))
		}
		var buf bytes.Buffer
		n, err := tr2.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo: %d bytes, %v (buffer %d)", n, err, buf.Len())
		}
		data := slices.Clone(buf.Bytes())
		tr3, err := ReadTrainer(&buf)
		if err != nil {
			t.Fatal(err)
		}
		tr3.SetSchedule(PolyLR(10, 0.9))
		for i := 0; i < 3; i++ {
			tr3.Step(x, shape, linearLoss(r))
		}
		if !slices.Equal(tr3.Model().params, m.params) || tr3.Steps() != 6 {
			t.Errorf("%s: resumed run differs from the uninterrupted one", tr.Optimizer().Name())
		}
		// corruption is detected
		for _, cut := range []int{0, 5, len(data) / 2, len(data) - 1} {
			if _, err := ReadTrainer(bytes.NewReader(data[:cut])); err == nil {
				t.Errorf("truncated at %d: no error", cut)
			}
		}
		bad := slices.Clone(data)
		bad[len(bad)/2] ^= 1
		if _, err := ReadTrainer(bytes.NewReader(bad)); err == nil {
			t.Errorf("flipped bit: no error")
		}
	}
	m, _ := NewUNet(cfg)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadUNet(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Config() != m.Config() || !slices.Equal(m2.params, m.params) {
		t.Error("model round trip changed it")
	}
	a, b := make([]float32, 2*2*64), make([]float32, 2*2*64)
	m.Forward(a, x, shape)
	m2.Forward(b, x, shape)
	if !slices.Equal(a, b) {
		t.Error("read model gives other logits")
	}
}

// TestBadInput checks the errors of bad shapes and values.
func TestBadInput(t *testing.T) {
	m, err := NewUNet(Config{Dims: 2, InChannels: 1, OutChannels: 2, Width: 2, Depth: 3})
	if err != nil {
		t.Fatal(err)
	}
	dst, x := make([]float32, 2*64), make([]float32, 64)
	for _, shape := range [][]int{{1, 1, 8}, {1, 2, 8, 8}, {1, 1, 6, 8}, {0, 1, 8, 8}, {1, 1, 8, 8, 8}, {1, 1, -8, 8}} {
		if err := m.Forward(dst, x, shape); err == nil {
			t.Errorf("shape %v: no error", shape)
		}
	}
	if err := m.Forward(dst[:3], x, []int{1, 1, 8, 8}); err == nil {
		t.Error("short dst: no error")
	}
	x[3] = float32(math.NaN())
	if err := m.Forward(dst, x, []int{1, 1, 8, 8}); err == nil {
		t.Error("NaN input: no error")
	}
	x[3] = 0
	opt, _ := NewAdam(AdamConfig{})
	tr := NewTrainer(m, opt, nil)
	before := slices.Clone(m.params)
	_, err = tr.Step(x, []int{1, 1, 8, 8}, func(l, g []float32, s []int) (float64, error) {
		g[0] = float32(math.Inf(1))
		return 1, nil
	})
	if err == nil || !slices.Equal(before, m.params) {
		t.Errorf("infinite gradient: err %v, parameters changed %v", err, !slices.Equal(before, m.params))
	}
	for _, cfg := range []Config{{Dims: 4, InChannels: 1, OutChannels: 1, Width: 1, Depth: 1}, {Dims: 2, InChannels: 0, OutChannels: 1, Width: 1, Depth: 1},
		{Dims: 2, InChannels: 1, OutChannels: 1, Width: 1, Depth: 0}, {Dims: 2, InChannels: 1, OutChannels: 1, Width: 1, Depth: 1, Norm: 9}} {
		if _, err := NewUNet(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := NewAdam(AdamConfig{LR: -1}); err == nil {
		t.Error("negative LR: no error")
	}
	if _, err := NewSGD(SGDConfig{Nesterov: true}); err == nil {
		t.Error("Nesterov without momentum: no error")
	}
}
