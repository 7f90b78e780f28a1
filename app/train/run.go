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

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
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

// session holds a run's engine and data.
type session struct {
	cfg     Config
	kind    string // the engine's name
	eng     engine
	predict *Predictor
	model   Model
	vols    []dataset.Volume // the training cases
	sampler dataset.Sampler
	x       []float32 // the batch, reused from step to step
	y       []int32
	w       []float32 // the batch's pixel weights; nil when the set has none
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
			if c.Backend != s.kind {
				return nil, fmt.Errorf("train: %s: the checkpoint is of backend %s; resume with --backend %s", ckpt, c.Backend, c.Backend)
			}
			if err := s.eng.restore(c); err != nil {
				return nil, err
			}
			step, elapsed0, curve = c.Step, c.Elapsed, c.Curve
		}
	}
	names := cfg.Data.LabelNames[1:]
	valSome, valAll := s.validationExamples(cfg.ValSlices), s.validationExamples(0)
	start := time.Now()
	var last Progress
	validated := -1
	save := func() error {
		if ckpt == "" {
			return nil
		}
		el := elapsed0 + time.Since(start).Seconds()
		if err := saveCheckpoint(ckpt, s.eng, s.kind, step, el, curve); err != nil {
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
			dice, iou, err := s.validate(valSome)
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
	dice, iou, err := s.validate(valAll)
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

// newSession builds the engine, the model description, the training
// volumes and the patch sampler.
func newSession(cfg Config) (*session, error) {
	kind, compute, err := parseBackend(cfg.Backend)
	if err != nil {
		return nil, err
	}
	gl, head, err := LossFor(cfg.Loss, cfg.Data.Classes)
	if err != nil {
		return nil, err
	}
	m := Model{Format: modelFormat, Loss: gl.String(), Head: head, Backend: kind, Dims: cfg.Dims,
		UNet:   unet.Config{InChannels: max(cfg.Data.Channels, 1), OutChannels: head.Channels(), Depth: cfg.Depth, Width: cfg.Width, Seed: cfg.Seed, Norm: cfg.Norm},
		Height: cfg.Data.H, Width: cfg.Data.W, LabelNames: cfg.Data.LabelNames, DataFormat: cfg.Data.Format,
		Modalities: cfg.Data.Modalities, MaskValues: cfg.Data.MaskValues, DeepSupervision: cfg.DeepSupervision, Weights: cfg.Data.Weights}
	if err := m.UNet.Validate(); err != nil {
		return nil, err
	}
	vols := dataset.Volumes(cfg.Data.Train, cfg.Data.H, cfg.Data.W)
	m.Patch = patchFor(cfg, vols, m.UNet.Multiple())
	sampler := dataset.Sampler{Patch: m.Patch, Dims: cfg.Dims, Augment: cfg.Augment}
	if err := sampler.Check(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	eng, err := engines[kind].train(cfg, m, compute)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, kind: kind, eng: eng, model: m, vols: vols, sampler: sampler}
	s.predict = &Predictor{Model: m, forward: eng.forward, batch: cfg.BatchSize}
	return s, nil
}

// patchFor returns the training patch: cfg.Patch where given, else the
// frame (2-D, capped at 256) or the largest case's depth and the frame
// (3-D, each capped at 128), rounded up to the model's multiple (in 3-D
// along every axis, in 2-D along H and W; the depth of a 2-D patch is 1).
func patchFor(cfg Config, vols []dataset.Volume, multiple int) [3]int {
	p := cfg.Patch
	limit := 256
	if cfg.Dims == 3 {
		limit = 128
	}
	depth := 1
	for _, v := range vols {
		depth = max(depth, v.Shape[0])
	}
	def := [3]int{min(depth, limit), min(cfg.Data.H, limit), min(cfg.Data.W, limit)}
	for a := range p {
		if p[a] == 0 {
			p[a] = def[a]
		}
		if a > 0 || cfg.Dims == 3 {
			p[a] = (p[a] + multiple - 1) / multiple * multiple
		}
	}
	if cfg.Dims == 2 {
		p[0] = 1
	}
	return p
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
		if old.Loss != s.model.Loss || old.UNet != s.model.UNet || old.Height != s.model.Height || old.Width != s.model.Width ||
			old.Backend != s.model.Backend || old.Dims != s.model.Dims || old.Patch != s.model.Patch ||
			old.DeepSupervision != s.model.DeepSupervision || old.Weights != s.model.Weights {
			return fmt.Errorf("train: %s: the run was started with loss %s, %+v, %d×%d, backend %s, %d-D patch %v, deep supervision %v, pixel weights %q; resume with the same loss, model and data",
				out, old.Loss, old.UNet, old.Height, old.Width, old.Backend, old.Dims, old.Patch, old.DeepSupervision, old.Weights)
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
	rng := rand.New(rand.NewPCG(s.cfg.Seed, uint64(step)+1))
	n, ps, c := s.cfg.BatchSize, s.sampler.Size(), s.model.Channels()
	if len(s.x) != n*c*ps || len(s.y) != n*ps {
		s.x, s.y = make([]float32, n*c*ps), make([]int32, n*ps)
		s.w = nil
		if s.cfg.Data.Weights != "" {
			s.w = make([]float32, n*ps)
		}
	}
	x, y, w := s.x, s.y, s.w
	s.sampler.Batch(rng, s.vols, n, x, y, w)
	shape := []int{n, c, s.model.Patch[0], s.model.Patch[1], s.model.Patch[2]}
	if s.model.Dims == 2 {
		shape = []int{n, c, s.model.Patch[1], s.model.Patch[2]}
	}
	loss, err := s.eng.step(x, y, w, shape)
	if err != nil {
		var ie *segloss.InputError
		if w != nil && errors.As(err, &ie) && ie.Field == "weights" {
			return 0, fmt.Errorf("train: step %d: %w (the weight maps come from %s; --weights none trains without them)", step+1, err, s.cfg.Data.Weights)
		}
		return 0, fmt.Errorf("train: step %d: %w", step+1, err)
	}
	return loss, nil
}

// validationExamples returns the validation examples that a validation
// with k slices uses (k = 0: all of them): in 2-D k slices spread over
// the set; in 3-D the whole cases of k of them spread over the cases.
func (s *session) validationExamples(k int) []dataset.Example {
	d := s.cfg.Data
	if k == 0 {
		return d.Val
	}
	var out []dataset.Example
	if s.model.Dims == 2 {
		for _, i := range spread(len(d.Val), k) {
			out = append(out, d.Val[i])
		}
		return out
	}
	vols := dataset.Volumes(d.Val, d.H, d.W)
	for _, i := range spread(len(vols), k) {
		for _, j := range vols[i].Index {
			out = append(out, d.Val[j])
		}
	}
	return out
}

// validate predicts the validation examples and returns Dice and IoU per
// foreground class, pooled over them.
func (s *session) validate(examples []dataset.Example) (dice, iou []float64, err error) {
	k := s.cfg.Data.Classes
	classes := make([]int32, k-1)
	for i := range classes {
		classes[i] = int32(i + 1)
	}
	total := make([]metric.Counts, k-1)
	preds, err := s.predict.PredictExamples(examples, s.cfg.BatchSize)
	if err != nil {
		return nil, nil, err
	}
	for i, ex := range examples {
		c, err := metric.CountLabels(preds[i], ex.Label, classes)
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
