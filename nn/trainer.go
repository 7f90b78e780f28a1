package nn

import (
	"fmt"
	"math"
)

// Trainer trains a UNet with an optimizer and a learning-rate schedule.
// Create it with NewTrainer or ReadTrainer.
type Trainer struct {
	m     *UNet
	opt   Optimizer
	sched Schedule
	step  int
	grad  []float32
	ws    *workspace
	// per shape
	logits []float32
	shapes [][]int
}

// NewTrainer returns a trainer of m. A nil schedule means a constant
// learning rate (the optimizer's).
func NewTrainer(m *UNet, opt Optimizer, sched Schedule) *Trainer {
	t := &Trainer{m: m, opt: opt, sched: sched, grad: make([]float32, len(m.params))}
	opt.state(len(m.params))
	return t
}

// Model returns the trained model.
func (t *Trainer) Model() *UNet { return t.m }

// Optimizer returns the optimizer.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// Steps returns the number of completed steps.
func (t *Trainer) Steps() int { return t.step }

// SetSchedule replaces the schedule (nil: constant). A trainer read from a
// checkpoint has a constant learning rate until this is called.
func (t *Trainer) SetSchedule(s Schedule) { t.sched = s }

// Grad returns the parameter gradients of the last step (laid out like
// UNet.Params).
func (t *Trainer) Grad() []float32 { return t.grad }

// LossGrad computes a loss of logits of shape shape ([N, OutChannels,
// spatial...]): it fills grad (same length) with dLoss/dlogits and returns
// the loss. logits and grad are valid only during the call.
type LossGrad func(logits, grad []float32, shape []int) (float64, error)

// Step runs one training step on the batch x of shape shape ([N,
// InChannels, spatial...]): forward pass, lossGrad, backward pass and
// optimizer update with the scheduled learning rate. It returns the loss.
// On an error (bad shape, non-finite input, an error or a non-finite value
// from lossGrad) the parameters are unchanged. It allocates only when the
// shape changes.
func (t *Trainer) Step(x []float32, shape []int, lossGrad LossGrad) (float64, error) {
	return t.step1(x, shape, lossGrad, nil)
}

// DeepLossGrad is LossGrad for one output of StepDeep: level 0 is the
// logits, level l ≥ 1 the deep-supervision logits of decoder level l.
type DeepLossGrad func(level int, logits, grad []float32, shape []int) (float64, error)

// StepDeep is Step with deep supervision (Config.DeepSupervision): it calls
// lossGrad for the logits (level 0) and for the output of every decoder
// level 1 to Depth-2, at 1/2^level of the resolution (shapes as given by
// UNet.DeepShapes), and minimizes the sum of the returned losses, which it
// returns. Weight the levels inside lossGrad (scale the loss and its
// gradient; nnU-Net uses weights ∝ 1/2^level, normalized) and downsample
// the targets to each level's shape. Without DeepSupervision, it is Step.
func (t *Trainer) StepDeep(x []float32, shape []int, lossGrad DeepLossGrad) (float64, error) {
	return t.step1(x, shape, nil, lossGrad)
}

func (t *Trainer) step1(x []float32, shape []int, lg LossGrad, dlg DeepLossGrad) (float64, error) {
	m := t.m
	n, g, err := m.cfg.checkShape(shape)
	if err != nil {
		return 0, err
	}
	if err := checkInput(x, n*m.cfg.InChannels*g.size()); err != nil {
		return 0, err
	}
	if ws := m.ensure(t.ws, n, g, true); ws != t.ws {
		t.ws = ws
		t.logits = make([]float32, n*m.cfg.OutChannels*g.size())
		t.shapes, _ = m.DeepShapes(shape)
	}
	ws := t.ws
	ws.deep = dlg != nil && len(m.ds) > 0
	m.forward(ws, x, t.logits, true)
	var loss float64
	if dlg == nil {
		loss, err = lg(t.logits, ws.head, t.shapes[0])
		if err == nil {
			err = checkGrad(loss, ws.head, 0)
		}
	} else {
		loss, err = dlg(0, t.logits, ws.head, t.shapes[0])
		if err == nil {
			err = checkGrad(loss, ws.head, 0)
		}
		for l := 1; l < len(t.shapes) && err == nil; l++ {
			lw := &ws.lv[l]
			var v float64
			v, err = dlg(l, lw.ds, lw.gds, t.shapes[l])
			if err == nil {
				err = checkGrad(v, lw.gds, l)
			}
			loss += v
		}
	}
	if err != nil {
		return 0, err
	}
	m.backward(ws, x, t.grad)
	lr := t.opt.LR()
	if t.sched != nil {
		lr *= t.sched(t.step)
	}
	t.opt.update(m.params, t.grad, t.step, lr)
	t.step++
	return loss, nil
}

// checkGrad checks a loss value and its gradient.
func checkGrad(loss float64, grad []float32, level int) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("nn: the loss of output %d is %v", level, loss)
	}
	for i, v := range grad {
		if v-v != 0 {
			return fmt.Errorf("nn: the loss gradient of output %d is %v at %d", level, v, i)
		}
	}
	return nil
}
