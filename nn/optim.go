package nn

import (
	"fmt"
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

// Optimizer updates the parameters of a model from their gradients.
// Build one with NewAdam or NewSGD. Its state (moments, momentum) is part
// of the Trainer's checkpoint.
type Optimizer interface {
	// Name returns "adam", "adamw" or "sgd".
	Name() string
	// LR returns the base learning rate (before the schedule).
	LR() float64
	// update applies one step: step counts the completed steps, lr is the
	// learning rate of this step.
	update(params, grads []float32, step int, lr float64)
	// state returns the state vectors (allocated for n parameters).
	state(n int) [][]float32
	// config returns the hyper-parameters as numbers, for checkpoints.
	config() []float64
}

// AdamConfig holds the hyper-parameters of Adam and AdamW. Zero values
// mean PyTorch's defaults: LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8.
type AdamConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	// Decoupled selects AdamW: the weight decay shrinks the weights
	// directly (p ← p·(1 − lr·decay)) instead of adding decay·p to the
	// gradient.
	Decoupled bool
}

// SGDConfig holds the hyper-parameters of SGD. A zero LR means 0.01.
// Momentum is 0 for plain SGD (nnU-Net: 0.99 with Nesterov).
type SGDConfig struct {
	LR, Momentum float64
	Nesterov     bool
	WeightDecay  float64
}

// NewAdam returns Adam (PyTorch's formulation, bias-corrected), or AdamW
// with Decoupled. It returns an error for out-of-range hyper-parameters.
func NewAdam(c AdamConfig) (Optimizer, error) {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return nil, fmt.Errorf("nn: Adam learning rate %g: must be positive and finite", c.LR)
	case !(c.Beta1 > 0 && c.Beta1 < 1) || !(c.Beta2 > 0 && c.Beta2 < 1):
		return nil, fmt.Errorf("nn: Adam betas %g, %g: must be in (0, 1)", c.Beta1, c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return nil, fmt.Errorf("nn: Adam eps %g: must be positive", c.Eps)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return nil, fmt.Errorf("nn: Adam weight decay %g: must be >= 0 and finite", c.WeightDecay)
	}
	return &adam{cfg: c}, nil
}

// NewSGD returns SGD with optional (Nesterov) momentum and weight decay,
// PyTorch's formulation.
func NewSGD(c SGDConfig) (Optimizer, error) {
	if c.LR == 0 {
		c.LR = 0.01
	}
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return nil, fmt.Errorf("nn: SGD learning rate %g: must be positive and finite", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return nil, fmt.Errorf("nn: SGD momentum %g: must be in [0, 1)", c.Momentum)
	case c.Nesterov && c.Momentum == 0:
		return nil, fmt.Errorf("nn: SGD Nesterov needs a momentum > 0")
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return nil, fmt.Errorf("nn: SGD weight decay %g: must be >= 0 and finite", c.WeightDecay)
	}
	return &sgd{cfg: c}, nil
}

// optChunk is the number of parameters per chunk of an update.
const optChunk = 1 << 14

type adam struct {
	cfg  AdamConfig
	m, v []float32
	// per step
	p, g          []float32
	lr, bc1, bc2s float64
}

func (o *adam) Name() string {
	if o.cfg.Decoupled {
		return "adamw"
	}
	return "adam"
}

func (o *adam) LR() float64 { return o.cfg.LR }

func (o *adam) state(n int) [][]float32 {
	if len(o.m) != n {
		o.m, o.v = make([]float32, n), make([]float32, n)
	}
	return [][]float32{o.m, o.v}
}

func (o *adam) config() []float64 {
	d := 0.0
	if o.cfg.Decoupled {
		d = 1
	}
	return []float64{o.cfg.LR, o.cfg.Beta1, o.cfg.Beta2, o.cfg.Eps, o.cfg.WeightDecay, d}
}

func (o *adam) update(params, grads []float32, step int, lr float64) {
	if len(o.m) != len(params) {
		o.state(len(params))
	}
	t := float64(step + 1)
	o.p, o.g, o.lr = params, grads, lr
	o.bc1 = 1 - math.Pow(o.cfg.Beta1, t)
	o.bc2s = math.Sqrt(1 - math.Pow(o.cfg.Beta2, t))
	kernel.Run(o, len(params), optChunk)
}

// Do updates parameters [lo, hi).
func (o *adam) Do(_, lo, hi int) {
	h := kernel.AdamHyper{
		B1: float32(o.cfg.Beta1), B2: float32(o.cfg.Beta2),
		C1: float32(1 - o.cfg.Beta1), C2: float32(1 - o.cfg.Beta2),
		Eps: float32(o.cfg.Eps), BC2S: float32(o.bc2s), Step: float32(o.lr / o.bc1),
		WD: float32(o.cfg.WeightDecay), Shrink: 1,
	}
	if o.cfg.Decoupled {
		h.WD, h.Shrink = 0, float32(1-o.lr*o.cfg.WeightDecay)
	}
	kernel.AdamStep(o.p[lo:hi], o.g[lo:hi], o.m[lo:hi], o.v[lo:hi], &h)
}

type sgd struct {
	cfg   SGDConfig
	buf   []float32
	p, g  []float32
	lr    float64
	first bool
}

func (o *sgd) Name() string { return "sgd" }
func (o *sgd) LR() float64  { return o.cfg.LR }
func (o *sgd) config() []float64 {
	n := 0.0
	if o.cfg.Nesterov {
		n = 1
	}
	return []float64{o.cfg.LR, o.cfg.Momentum, n, o.cfg.WeightDecay}
}

func (o *sgd) state(n int) [][]float32 {
	if len(o.buf) != n {
		o.buf = make([]float32, n)
	}
	return [][]float32{o.buf}
}

func (o *sgd) update(params, grads []float32, step int, lr float64) {
	if len(o.buf) != len(params) {
		o.state(len(params))
	}
	o.p, o.g, o.lr, o.first = params, grads, lr, step == 0
	kernel.Run(o, len(params), optChunk)
}

// Do updates parameters [lo, hi).
func (o *sgd) Do(_, lo, hi int) {
	mom, wd, lr := float32(o.cfg.Momentum), float32(o.cfg.WeightDecay), float32(o.lr)
	p, g, b := o.p[lo:hi], o.g[lo:hi], o.buf[lo:hi]
	for i := range p {
		d := g[i]
		if wd != 0 {
			d += wd * p[i]
		}
		if mom != 0 {
			if o.first {
				b[i] = d
			} else {
				b[i] = mom*b[i] + d
			}
			if o.cfg.Nesterov {
				d += mom * b[i]
			} else {
				d = b[i]
			}
		}
		p[i] -= lr * d
	}
}

// Schedule returns the learning-rate multiplier of a step (0-based count
// of completed steps).
type Schedule func(step int) float64

// PolyLR is nnU-Net's polynomial schedule: (1 − step/total)^exp, 0 from
// step total on. nnU-Net uses exp 0.9.
func PolyLR(total int, exp float64) Schedule {
	return func(step int) float64 {
		if total <= 0 || step >= total {
			return 0
		}
		return math.Pow(1-float64(step)/float64(total), exp)
	}
}
