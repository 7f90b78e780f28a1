package train

import (
	"bytes"
	"fmt"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/nn"
)

func init() {
	engines["native"] = engineKind{train: newNativeEngine, open: openNative}
}

// nativeEngine trains the U-Net of package nn: hand-written forward and
// backward passes, Adam, and the loss and its gradient from the core
// (segloss.Eval on the logits, through sigmoid or softmax on the host).
// With deep supervision every decoder level's output is scored against
// the down-sampled labels (segloss.EvalDeepSupervision, nnU-Net's level
// weights segloss.DeepSupervisionWeights).
type nativeEngine struct {
	trainer *nn.Trainer
	net     *nn.UNet
	loss    hostLoss
	y       []int32         // labels of the current step, read by lossGrad
	w       []float32       // pixel weights of the current step (nil: none)
	lg      nn.LossGrad     // e.lossGrad, bound once
	dlg     nn.DeepLossGrad // e.deepLossGrad, bound once; nil without deep supervision
	full    []int           // shape of the level-0 logits of the current step
	levels  []float64       // weights of the deep-supervision levels
}

// nativeConfig is the nn configuration of a model description: the
// U-Net of unet_torch.py (instance norm, ReLU, mean pooling, nearest
// up-sampling), or without normalization.
func nativeConfig(m Model) nn.Config {
	c := nn.Config{Dims: m.Dims, InChannels: m.UNet.InChannels, OutChannels: m.UNet.OutChannels, Width: m.UNet.Width,
		Depth: m.UNet.Depth, Seed: int64(m.UNet.Seed), DeepSupervision: m.DeepSupervision}
	if !m.UNet.Norm {
		c.Norm = nn.NormNone
	}
	return c
}

func newNativeEngine(cfg Config, m Model, _ string) (engine, error) {
	gl, head, err := LossFor(cfg.Loss, cfg.Data.Classes)
	if err != nil {
		return nil, err
	}
	net, err := nn.NewUNet(nativeConfig(m))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt, err := nn.NewAdam(nn.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	e := &nativeEngine{trainer: nn.NewTrainer(net, opt, nil), net: net, loss: hostLoss{head: head, core: gl.Core()}}
	e.lg = e.lossGrad
	if m.DeepSupervision {
		e.dlg = e.deepLossGrad
	}
	return e, nil
}

func (e *nativeEngine) lossGrad(logits, grad []float32, shape []int) (float64, error) {
	return e.loss.eval(logits, grad, e.y, e.w, shape)
}

// deepLossGrad scores the output of one level (0: the logits) with the
// level's weight; level 0 comes first and fixes the full resolution.
func (e *nativeEngine) deepLossGrad(level int, logits, grad []float32, shape []int) (float64, error) {
	if level == 0 {
		e.full = append(e.full[:0], shape...)
	}
	if level >= len(e.levels) {
		return 0, fmt.Errorf("train: deep supervision: output of level %d, but %d levels", level, len(e.levels))
	}
	return e.loss.evalLevel(logits, grad, shape, e.y, e.w, e.full, e.levels[level])
}

func (e *nativeEngine) step(x []float32, y []int32, w []float32, shape []int) (float64, error) {
	e.y, e.w = y, w
	if e.dlg == nil {
		return e.trainer.Step(x, shape, e.lg)
	}
	shapes, err := e.net.DeepShapes(shape)
	if err != nil {
		return 0, err
	}
	if len(e.levels) != len(shapes) {
		e.levels = segloss.DeepSupervisionWeights(len(shapes))
	}
	return e.trainer.StepDeep(x, shape, e.dlg)
}

func (e *nativeEngine) forward(x []float32, shape []int) ([]float32, error) {
	return nativeForward(e.net)(x, shape)
}

func nativeForward(net *nn.UNet) forwardFunc {
	return func(x []float32, shape []int) ([]float32, error) {
		os, err := net.OutputShape(shape)
		if err != nil {
			return nil, err
		}
		n := 1
		for _, d := range os {
			n *= d
		}
		out := make([]float32, n)
		if err := net.Forward(out, x, shape); err != nil {
			return nil, err
		}
		return out, nil
	}
}

func (e *nativeEngine) save(c *checkpoint) error {
	var b bytes.Buffer
	if _, err := e.trainer.WriteTo(&b); err != nil {
		return err
	}
	c.Native = b.Bytes()
	return nil
}

func (e *nativeEngine) restore(c *checkpoint) error {
	t, err := nn.ReadTrainer(bytes.NewReader(c.Native))
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	e.trainer, e.net = t, t.Model()
	return nil
}

// openNative reads the model of a native checkpoint.
func openNative(m Model, c *checkpoint, _ string) (forwardFunc, error) {
	t, err := nn.ReadTrainer(bytes.NewReader(c.Native))
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	return nativeForward(t.Model()), nil
}
