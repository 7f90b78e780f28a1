package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/gomlxloss"
	"github.com/segloss/segloss/app/stats"
	"github.com/segloss/segloss/app/unet"
	"github.com/segloss/segloss/maskio"
	"github.com/segloss/segloss/metric"
)

// Progress is reported after every step.
type Progress struct {
	Step, Steps int           // steps done; the step limit (0: none)
	Elapsed     time.Duration // training time of this session
	Budget      time.Duration // the time budget (0: none)
	Loss        float64       // loss of the step's batch
	Validated   bool          // validation ran after this step
	ValDice     []float64     // the latest validation Dice per foreground class
	MeanDice    float64       // their mean
}

// Result is the outcome of a run: the final validation on every
// validation slice and the curve.
type Result struct {
	Loss       string    `json:"loss"`
	Steps      int       `json:"steps"`
	Elapsed    float64   `json:"elapsed_s"` // training seconds over all sessions of the run
	ClassNames []string  `json:"class_names"`
	ValDice    []float64 `json:"val_dice"` // per foreground class, pooled over the validation slices
	ValIoU     []float64 `json:"val_iou"`
	MeanDice   float64   `json:"val_mean_dice"`
	Curve      []Point   `json:"-"`
	Model      Model     `json:"model"`
}

// session holds a run's compiled state.
type session struct {
	cfg     Config
	backend compute.Backend
	store   *model.Store
	trainer *gtrain.Trainer
	predict *Predictor
	model   Model
	// host route (Config.HostLoss): the forward pass that gives the loss
	// input, and the core loss evaluated on it.
	lossInput *model.ExecOneOutput
	core      *segloss.Loss
}

// Run trains a U-Net on cfg.Data with the loss cfg.Loss until the step
// limit, the time budget or ctx ends it, validating every cfg.ValEvery
// steps; with cfg.Out it writes the checkpoint (atomically, at every
// validation and at the end), model.json, split.json, the curve
// (CSV, JSON, PNG) and result.json there. progress, if not nil, is called
// after every step.
func Run(ctx context.Context, cfg Config, progress func(Progress)) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	step, elapsed0, curve := 0, 0.0, []Point(nil)
	ckpt := ""
	if cfg.Out != "" {
		ckpt = filepath.Join(cfg.Out, CheckpointFile)
		if err := s.prepareOut(); err != nil {
			return nil, err
		}
		if cfg.Resume {
			c, err := loadCheckpoint(ckpt)
			if err != nil {
				return nil, err
			}
			if err := c.restore(s.store); err != nil {
				return nil, err
			}
			step, elapsed0, curve = c.Step, c.Elapsed, c.Curve
		}
	}
	names := cfg.Data.LabelNames[1:]
	valIdx := spread(len(cfg.Data.Val), cfg.ValSlices)
	start := time.Now()
	var last Progress
	validated := -1
	save := func() error {
		if ckpt == "" {
			return nil
		}
		el := elapsed0 + time.Since(start).Seconds()
		if err := saveCheckpoint(ckpt, s.store, step, el, curve); err != nil {
			return err
		}
		return writeCurve(cfg.Out, curve, names)
	}
	for (cfg.Steps == 0 || step < cfg.Steps) && (cfg.Budget == 0 || time.Since(start) < cfg.Budget) {
		if ctx.Err() != nil {
			break
		}
		loss, err := s.trainStep(step)
		if err != nil {
			return nil, err
		}
		step++
		p := Point{Step: step, Elapsed: elapsed0 + time.Since(start).Seconds(), Loss: loss}
		last.Validated = false
		if cfg.ValEvery > 0 && step%cfg.ValEvery == 0 {
			dice, iou, err := s.validate(valIdx)
			if err != nil {
				return nil, err
			}
			p.ValDice, p.ValIoU, p.MeanDice = dice, iou, stats.Mean(dice)
			last.Validated, last.ValDice, last.MeanDice = true, dice, p.MeanDice
			validated = step
		}
		curve = append(curve, p)
		if validated == step {
			if err := save(); err != nil {
				return nil, err
			}
		}
		last.Step, last.Steps, last.Elapsed, last.Budget, last.Loss = step, cfg.Steps, time.Since(start), cfg.Budget, loss
		if progress != nil {
			progress(last)
		}
	}
	if step == 0 {
		return nil, fmt.Errorf("train: no step ran (budget too small or interrupted)")
	}
	dice, iou, err := s.validate(spread(len(cfg.Data.Val), len(cfg.Data.Val)))
	if err != nil {
		return nil, err
	}
	if len(curve) > 0 && curve[len(curve)-1].Step == step {
		p := &curve[len(curve)-1]
		p.ValDice, p.ValIoU, p.MeanDice = dice, iou, stats.Mean(dice)
	}
	if err := save(); err != nil {
		return nil, err
	}
	res := &Result{Loss: cfg.Loss.String(), Steps: step, Elapsed: elapsed0 + time.Since(start).Seconds(), ClassNames: names,
		ValDice: dice, ValIoU: iou, MeanDice: stats.Mean(dice), Curve: curve, Model: s.model}
	if cfg.Out != "" {
		if err := writeJSON(filepath.Join(cfg.Out, "result.json"), res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// newSession builds the backend, the store, the trainer and the predictor.
func newSession(cfg Config) (*session, error) {
	gl, head, err := LossFor(cfg.Loss, cfg.Data.Classes)
	if err != nil {
		return nil, err
	}
	m := Model{Format: modelFormat, Loss: gl.String(), Head: head,
		UNet:   unet.Config{InChannels: max(cfg.Data.Channels, 1), OutChannels: head.Channels(), Depth: cfg.Depth, Width: cfg.Width, Seed: cfg.Seed, Norm: cfg.Norm},
		Height: cfg.Data.H, Width: cfg.Data.W, LabelNames: cfg.Data.LabelNames, DataFormat: cfg.Data.Format,
		Modalities: cfg.Data.Modalities, MaskValues: cfg.Data.MaskValues}
	if err := m.UNet.Validate(); err != nil {
		return nil, err
	}
	if cfg.Data.H%m.UNet.Multiple() != 0 || cfg.Data.W%m.UNet.Multiple() != 0 {
		return nil, fmt.Errorf("train: slices %d×%d are not multiples of %d, which depth %d needs", cfg.Data.H, cfg.Data.W, m.UNet.Multiple(), cfg.Depth)
	}
	backend, err := NewBackend(cfg.Backend)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	modelFn := func(scope *model.Scope, x *Node) *Node { return head.Activate(m.logits(scope, x)) }
	opt := optimizer.Adam().LearningRate(cfg.LR).Done()
	lossFn := gl.LossFn()
	s := &session{cfg: cfg, backend: backend, store: store, model: m}
	if cfg.HostLoss || gl.Sorts() || gl.HostOnly() {
		lossFn, s.core = gomlxloss.HostGradient, gl.Core()
		if s.lossInput, err = model.NewExec1(backend, store, modelFn); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	s.trainer = gtrain.NewTrainer(backend, store, modelFn, lossFn, opt, nil, nil)
	if s.predict, err = newPredictor(backend, store, m); err != nil {
		return nil, err
	}
	return s, nil
}

// prepareOut creates the output folder and writes model.json and
// split.json; a folder that already holds a checkpoint is refused unless
// resuming.
func (s *session) prepareOut() error {
	out := s.cfg.Out
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	has := fileExists(filepath.Join(out, CheckpointFile))
	switch {
	case s.cfg.Resume && !has:
		return fmt.Errorf("train: %s: no %s to resume from", out, CheckpointFile)
	case !s.cfg.Resume && has:
		return fmt.Errorf("train: %s already holds a run (%s); use --resume or another folder", out, CheckpointFile)
	}
	if s.cfg.Resume {
		old, err := LoadModel(out)
		if err != nil {
			return err
		}
		if old.Loss != s.model.Loss || old.UNet != s.model.UNet || old.Height != s.model.Height || old.Width != s.model.Width {
			return fmt.Errorf("train: %s: the run was started with loss %s, %+v, %d×%d; resume with the same loss, model and data", out, old.Loss, old.UNet, old.Height, old.Width)
		}
	}
	if err := writeJSON(filepath.Join(out, ModelFile), s.model); err != nil {
		return err
	}
	return writeJSON(filepath.Join(out, "split.json"), s.cfg.Data)
}

// trainStep runs one optimizer step on the batch of step number step and
// returns its loss. The batch depends only on the seed and the step, so a
// resumed run sees the batches the uninterrupted one would have.
func (s *session) trainStep(step int) (float64, error) {
	d := s.cfg.Data
	rng := rand.New(rand.NewPCG(s.cfg.Seed, uint64(step)+1))
	n, hw, c := s.cfg.BatchSize, d.H*d.W, s.model.Channels()
	x := make([]float32, n*c*hw)
	y := make([]int32, n*hw)
	for i := 0; i < n; i++ {
		ex := d.Train[rng.IntN(len(d.Train))]
		copy(x[i*c*hw:], ex.Image)
		copy(y[i*hw:], ex.Label)
	}
	xt := tensors.FromFlatDataAndDimensions(x, n, c, d.H, d.W)
	var yt *tensors.Tensor
	hostLoss := 0.0
	if s.core != nil {
		// Host route: forward pass, loss and gradient by the core, then the
		// backward pass driven by that gradient.
		out, err := s.lossInput.Call(tensors.FromFlatDataAndDimensions(x, n, c, d.H, d.W))
		if err != nil {
			return 0, fmt.Errorf("train: step %d: %w", step+1, err)
		}
		pred, err := tensors.CopyFlatData[float32](out)
		if err != nil {
			return 0, fmt.Errorf("train: step %d: %w", step+1, err)
		}
		grad := make([]float32, len(pred))
		if hostLoss, err = segloss.Eval(s.core, grad, s.model.Head.CoreBatch(pred, y, n, d.H, d.W)); err != nil {
			return 0, fmt.Errorf("train: step %d: %w", step+1, err)
		}
		yt = tensors.FromFlatDataAndDimensions(grad, out.Shape().Dimensions...)
	} else {
		yt = s.model.Head.LabelTensor(y, n, d.H, d.W)
	}
	metrics, err := s.trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{xt}, Labels: []*tensors.Tensor{yt}})
	if err != nil {
		return 0, fmt.Errorf("train: step %d: %w", step+1, err)
	}
	if s.core != nil {
		return hostLoss, nil
	}
	if len(metrics) == 0 {
		return 0, errors.New("train: the trainer returned no loss")
	}
	return float64(tensors.ToScalar[float32](metrics[0])), nil
}

// validate predicts the validation slices idx and returns Dice and IoU per
// foreground class, pooled over the slices.
func (s *session) validate(idx []int) (dice, iou []float64, err error) {
	d := s.cfg.Data
	k := d.Classes
	classes := make([]int32, k-1)
	for i := range classes {
		classes[i] = int32(i + 1)
	}
	total := make([]metric.Counts, k-1)
	images := make([][]float32, len(idx))
	for i, j := range idx {
		images[i] = d.Val[j].Image
	}
	preds, err := s.predict.Predict(images, s.cfg.BatchSize)
	if err != nil {
		return nil, nil, err
	}
	for i, j := range idx {
		c, err := metric.CountLabels(preds[i], d.Val[j].Label, classes)
		if err != nil {
			return nil, nil, fmt.Errorf("train: validation: %w", err)
		}
		for m := range total {
			total[m] = total[m].Add(c[m])
		}
	}
	for _, c := range total {
		dv, _ := metric.Dice(c)
		iv, _ := metric.IoU(c)
		dice, iou = append(dice, dv), append(iou, iv)
	}
	return dice, iou, nil
}

// spread returns k indices spread evenly over [0, n) (all of them if k >= n).
func spread(n, k int) []int {
	if k >= n || k <= 0 {
		k = n
	}
	out := make([]int, k)
	for i := range out {
		out[i] = i * n / k
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	return maskio.WriteFileAtomic(path, func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", " ")
		return e.Encode(v)
	})
}
