package train

import (
	"errors"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/gomlxloss"
	"github.com/segloss/segloss/app/unet"
)

func init() {
	engines["gomlx"] = engineKind{train: newGoMLXEngine, open: openGoMLX}
}

// gomlxEngine trains the GoMLX U-Net of package unet with GoMLX's trainer
// and Adam.
type gomlxEngine struct {
	store   *model.Store
	trainer *gtrain.Trainer
	logits  *model.ExecOneOutput
	head    Head
	// host route (Config.HostLoss, and the Lovász losses): the forward
	// pass that gives the loss input, and the core loss evaluated on it.
	lossInput *model.ExecOneOutput
	core      *segloss.Loss
}

// unetScope is where the model's variables live in the store.
const unetScope = "/unet"

// gomlxLogits builds the U-Net's output for x [N, 1, H, W].
func gomlxLogits(m Model) func(scope *model.Scope, x *Node) *Node {
	return func(scope *model.Scope, x *Node) *Node {
		return unet.Build(scope.Store().Scope(unetScope), m.UNet, x)
	}
}

func newGoMLXEngine(cfg Config, m Model, compute string) (engine, error) {
	if m.Dims != 2 {
		return nil, fmt.Errorf("train: the gomlx backend trains 2-D models only; use --backend native for --dims 3")
	}
	if m.DeepSupervision {
		return nil, fmt.Errorf("train: --deep-supervision needs the native backend (the gomlx U-Net has no decoder outputs); use --backend native")
	}
	if cfg.Data.Weights != "" {
		return nil, fmt.Errorf("train: the pixel weight maps of %s need the native backend; use --backend native, or --weights none", cfg.Data.Weights)
	}
	gl, head, err := LossFor(cfg.Loss, cfg.Data.Classes)
	if err != nil {
		return nil, err
	}
	backend, err := NewBackend(compute)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	logits := gomlxLogits(m)
	modelFn := func(scope *model.Scope, x *Node) *Node { return head.Activate(logits(scope, x)) }
	opt := optimizer.Adam().LearningRate(cfg.LR).Done()
	lossFn := gl.LossFn()
	e := &gomlxEngine{store: store, head: head}
	if cfg.HostLoss || gl.Sorts() || gl.HostOnly() {
		lossFn, e.core = gomlxloss.HostGradient, gl.Core()
		if e.lossInput, err = model.NewExec1(backend, store, modelFn); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	e.trainer = gtrain.NewTrainer(backend, store, modelFn, lossFn, opt, nil, nil)
	if e.logits, err = model.NewExec1(backend, store, logits); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return e, nil
}

// step runs one GoMLX training step. On the host route the forward pass
// gives the loss input, the core evaluates loss and gradient, and the
// backward pass is driven by that gradient.
func (e *gomlxEngine) step(x []float32, y []int32, _ []float32, shape []int) (float64, error) {
	n, hh, ww := shape[0], shape[2], shape[3]
	xt := tensors.FromFlatDataAndDimensions(x, shape...)
	var yt *tensors.Tensor
	hostLoss := 0.0
	if e.core != nil {
		out, err := e.lossInput.Call(tensors.FromFlatDataAndDimensions(x, shape...))
		if err != nil {
			return 0, err
		}
		pred, err := tensors.CopyFlatData[float32](out)
		if err != nil {
			return 0, err
		}
		grad := make([]float32, len(pred))
		if hostLoss, err = segloss.Eval(e.core, grad, e.head.CoreBatch(pred, y, n, hh, ww)); err != nil {
			return 0, err
		}
		yt = tensors.FromFlatDataAndDimensions(grad, out.Shape().Dimensions...)
	} else {
		yt = e.head.LabelTensor(y, n, hh, ww)
	}
	metrics, err := e.trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{xt}, Labels: []*tensors.Tensor{yt}})
	if err != nil {
		return 0, err
	}
	if e.core != nil {
		return hostLoss, nil
	}
	if len(metrics) == 0 {
		return 0, errors.New("the trainer returned no loss")
	}
	return float64(tensors.ToScalar[float32](metrics[0])), nil
}

func (e *gomlxEngine) forward(x []float32, shape []int) ([]float32, error) {
	return gomlxForward(e.logits)(x, shape)
}

func gomlxForward(exec *model.ExecOneOutput) forwardFunc {
	return func(x []float32, shape []int) ([]float32, error) {
		t, err := exec.Call(tensors.FromFlatDataAndDimensions(x, shape...))
		if err != nil {
			return nil, err
		}
		return tensors.CopyFlatData[float32](t)
	}
}

func (e *gomlxEngine) save(c *checkpoint) error { return c.saveStore(e.store) }

func (e *gomlxEngine) restore(c *checkpoint) error { return c.restore(e.store) }

// openGoMLX loads the weights of c into a store and compiles the logits.
func openGoMLX(m Model, c *checkpoint, compute string) (forwardFunc, error) {
	store := model.NewStore()
	if err := c.restore(store); err != nil {
		return nil, err
	}
	backend, err := NewBackend(compute)
	if err != nil {
		return nil, err
	}
	exec, err := model.NewExec1(backend, store, gomlxLogits(m))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return gomlxForward(exec), nil
}
