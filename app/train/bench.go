package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/unet"
)

// BenchConfig is the model and the input of a training-step benchmark.
type BenchConfig struct {
	Backend string // as Config.Backend
	Loss    string // default "dice" (two sigmoid channels, as unet_torch.py)
	Dims    int    // 2 or 3
	Size    [3]int // input [D, H, W]; D = 1 in 2-D
	Batch   int
	Width   int
	Depth   int
	Norm    bool
	LR      float64 // default 0.003
	Seed    uint64
}

// Bench is a model, its optimizer and one random batch: Step times a
// training step (forward, loss, backward, optimizer) in isolation.
type Bench struct {
	Backend string // the engine's name
	eng     engine
	x       []float32
	y       []int32
	shape   []int
}

// NewBench builds the model of c and a random batch: normal intensities,
// labels 1 and 2 on 5 % of the voxels each (3 classes: 2 output channels
// with a sigmoid loss).
func NewBench(c BenchConfig) (*Bench, error) {
	if c.Loss == "" {
		c.Loss = "dice"
	}
	if c.LR == 0 {
		c.LR = 0.003
	}
	kind, compute, err := parseBackend(c.Backend)
	if err != nil {
		return nil, err
	}
	if c.Batch < 1 || c.Width < 1 || c.Depth < 1 || (c.Dims != 2 && c.Dims != 3) {
		return nil, fmt.Errorf("train: bench: batch %d, width %d, depth %d, dims %d: want positive sizes and dims 2 or 3", c.Batch, c.Width, c.Depth, c.Dims)
	}
	if c.Dims == 2 {
		c.Size[0] = 1
	}
	loss, err := segloss.Parse(c.Loss)
	if err != nil {
		return nil, err
	}
	gl, head, err := LossFor(loss, 3)
	if err != nil {
		return nil, err
	}
	m := Model{Format: modelFormat, Loss: gl.String(), Head: head, Backend: kind, Dims: c.Dims, Patch: c.Size,
		UNet:   unet.Config{InChannels: 1, OutChannels: head.Channels(), Depth: c.Depth, Width: c.Width, Seed: c.Seed, Norm: c.Norm},
		Height: c.Size[1], Width: c.Size[2]}
	if err := m.UNet.Validate(); err != nil {
		return nil, err
	}
	for a, d := range c.Size {
		if d < 1 || ((a > 0 || c.Dims == 3) && d%m.UNet.Multiple() != 0) {
			return nil, fmt.Errorf("train: bench: size %v: want multiples of %d (depth %d)", c.Size, m.UNet.Multiple(), c.Depth)
		}
	}
	cfg := Config{Data: &dataset.Set{Classes: 3}, Loss: loss, Width: c.Width, Depth: c.Depth, Norm: c.Norm,
		BatchSize: c.Batch, LR: c.LR, Seed: c.Seed, Dims: c.Dims, Backend: c.Backend}
	eng, err := engines[kind].train(cfg, m, compute)
	if err != nil {
		return nil, err
	}
	vox := c.Size[0] * c.Size[1] * c.Size[2]
	b := &Bench{Backend: kind, eng: eng, x: make([]float32, c.Batch*vox), y: make([]int32, c.Batch*vox)}
	r := rand.New(rand.NewPCG(c.Seed, 0xbe7c4))
	for i := range b.x {
		b.x[i] = float32(r.NormFloat64())
		switch u := r.Float64(); {
		case u < 0.05:
			b.y[i] = 1
		case u < 0.1:
			b.y[i] = 2
		}
	}
	b.shape = []int{c.Batch, 1, c.Size[0], c.Size[1], c.Size[2]}
	if c.Dims == 2 {
		b.shape = []int{c.Batch, 1, c.Size[1], c.Size[2]}
	}
	return b, nil
}

// Step runs one training step on the batch and returns its loss.
func (b *Bench) Step() (float64, error) { return b.eng.step(b.x, b.y, nil, b.shape) }
