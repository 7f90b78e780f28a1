package nn

import (
	"errors"
	"fmt"
)

// NormKind selects the normalization after every 3×3 convolution.
type NormKind int

// Normalizations. None of them has affine parameters (as in unet_torch.py).
const (
	// NormInstance normalizes each sample and channel over its voxels
	// (torch.nn.InstanceNorm, affine=False, eps 1e-5). It is the default.
	NormInstance NormKind = iota
	// NormGroup normalizes each sample and group of channels over the
	// group's voxels (torch.nn.GroupNorm without affine, eps 1e-5).
	NormGroup
	// NormBatch normalizes each channel over the batch and the voxels
	// (torch.nn.BatchNorm without affine, eps 1e-5, momentum 0.1). Training
	// steps use the batch statistics and update running statistics, which
	// Forward uses.
	NormBatch
	// NormNone applies no normalization.
	NormNone
)

// ActKind selects the activation after every normalization.
type ActKind int

// Activations.
const (
	// ReLU is max(x, 0), the default.
	ReLU ActKind = iota
	// LeakyReLU is x for x > 0 and LeakySlope·x otherwise.
	LeakyReLU
)

// DownKind selects the 2× down-sampling between encoder levels.
type DownKind int

// Down-sampling operations.
const (
	// MeanPool averages 2×2 (2×2×2) blocks, the default.
	MeanPool DownKind = iota
	// MaxPool takes the maximum of 2×2 (2×2×2) blocks (the first maximum
	// in row-major order receives the gradient).
	MaxPool
	// StridedConv is a 2×2 (2×2×2) convolution with stride 2 and bias,
	// keeping the number of channels, without normalization or activation.
	StridedConv
)

// UpKind selects the 2× up-sampling of the decoder.
type UpKind int

// Up-sampling operations.
const (
	// Nearest repeats every voxel 2× along each spatial axis, the default.
	// The up-sampled tensor keeps the channels of the level below.
	Nearest UpKind = iota
	// TransposedConv is a 2×2 (2×2×2) transposed convolution with stride 2
	// and bias from the channels of the level below to the channels of the
	// level (as in nnU-Net).
	TransposedConv
)

// Config is the architecture of a U-Net and the seed of its weights.
type Config struct {
	Dims        int // spatial dimensions: 2 or 3
	InChannels  int // channels of the input
	OutChannels int // channels of the logits
	Width       int // channels at level 0, doubled per level
	Depth       int // resolution levels, 1 to 8 (1: no down-sampling)

	Norm NormKind
	Act  ActKind
	Down DownKind
	Up   UpKind

	// LeakySlope is the negative slope of LeakyReLU; 0 means 0.01.
	LeakySlope float32
	// Groups is the number of groups of NormGroup; 0 means 8. A layer with
	// fewer channels, or a number of channels that Groups does not divide,
	// uses the largest divisor of its channels not above Groups.
	Groups int
	// DeepSupervision adds a 1×1 head to every decoder level below the
	// top one; Trainer.StepDeep trains with their outputs.
	DeepSupervision bool
	// Seed seeds the He-normal initialization of the weights (biases are
	// zero). The same seed gives the same weights on every machine.
	Seed int64
}

// withDefaults returns c with zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.LeakySlope == 0 {
		c.LeakySlope = 0.01
	}
	if c.Groups == 0 {
		c.Groups = 8
	}
	return c
}

// validate checks the configuration.
func (c Config) validate() error {
	switch {
	case c.Dims != 2 && c.Dims != 3:
		return fmt.Errorf("nn: dims %d: must be 2 or 3", c.Dims)
	case c.InChannels < 1 || c.InChannels > 1<<12:
		return fmt.Errorf("nn: input channels %d: must be between 1 and 4096", c.InChannels)
	case c.OutChannels < 1 || c.OutChannels > 1<<12:
		return fmt.Errorf("nn: output channels %d: must be between 1 and 4096", c.OutChannels)
	case c.Depth < 1 || c.Depth > 8:
		return fmt.Errorf("nn: depth %d: must be between 1 and 8", c.Depth)
	case c.Width < 1 || c.Width<<(c.Depth-1) > 1<<12:
		return fmt.Errorf("nn: width %d at depth %d: must be >= 1 with at most 4096 channels at the deepest level", c.Width, c.Depth)
	case c.Norm < NormInstance || c.Norm > NormNone:
		return fmt.Errorf("nn: unknown normalization %d", c.Norm)
	case c.Act < ReLU || c.Act > LeakyReLU:
		return fmt.Errorf("nn: unknown activation %d", c.Act)
	case c.Down < MeanPool || c.Down > StridedConv:
		return fmt.Errorf("nn: unknown down-sampling %d", c.Down)
	case c.Up < Nearest || c.Up > TransposedConv:
		return fmt.Errorf("nn: unknown up-sampling %d", c.Up)
	case c.LeakySlope < 0 || c.LeakySlope >= 1 || c.LeakySlope != c.LeakySlope:
		return fmt.Errorf("nn: leaky slope %g: must be in [0, 1)", c.LeakySlope)
	case c.Groups < 0:
		return fmt.Errorf("nn: groups %d: must be >= 0", c.Groups)
	}
	return nil
}

// Multiple returns the number every spatial size of the input must be a
// multiple of: 2^(Depth-1).
func (c Config) Multiple() int { return 1 << (max(c.Depth, 1) - 1) }

var errShape = errors.New("nn: bad input shape")

// geom is a spatial size; 2-D sizes have d = 1.
type geom struct{ d, h, w int }

func (g geom) size() int { return g.d * g.h * g.w }

// half is the size one level down.
func (g geom) half(dims int) geom {
	if dims == 3 {
		return geom{g.d / 2, g.h / 2, g.w / 2}
	}
	return geom{1, g.h / 2, g.w / 2}
}

// checkShape validates an input shape [N, InC, spatial...] and returns the
// batch size and the spatial size.
func (c Config) checkShape(shape []int) (int, geom, error) {
	if len(shape) != 2+c.Dims {
		return 0, geom{}, fmt.Errorf("%w %v: want [N, %d, %s] for a %d-D model", errShape, shape, c.InChannels, map[int]string{2: "H, W", 3: "D, H, W"}[c.Dims], c.Dims)
	}
	if shape[0] < 1 {
		return 0, geom{}, fmt.Errorf("%w %v: batch size must be >= 1", errShape, shape)
	}
	if shape[1] != c.InChannels {
		return 0, geom{}, fmt.Errorf("%w %v: %d input channels, the model has %d", errShape, shape, shape[1], c.InChannels)
	}
	m := c.Multiple()
	total := shape[0] * shape[1]
	for _, s := range shape[2:] {
		if s < m || s%m != 0 {
			return 0, geom{}, fmt.Errorf("%w %v: spatial sizes must be positive multiples of %d (2^(depth-1))", errShape, shape, m)
		}
		if s > 1<<20 || total > (1<<40)/s {
			return 0, geom{}, fmt.Errorf("%w %v: too large", errShape, shape)
		}
		total *= s
	}
	g := geom{1, shape[2], shape[3]}
	if c.Dims == 3 {
		g = geom{shape[2], shape[3], shape[4]}
	}
	return shape[0], g, nil
}
