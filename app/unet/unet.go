// Package unet is a small 2-D U-Net for GoMLX suited to the pure-Go CPU
// backend: 3×3 convolutions written as im2col (nine shifted slices, one
// concatenation, one matrix multiplication), mean-pool down-sampling and
// nearest-neighbour up-sampling, all of which have gradients there (max
// pooling and Pad do not). Weights are initialized on the host from a seed,
// so the same seed gives the same model on every backend.
package unet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Config is the architecture of a U-Net.
type Config struct {
	InChannels  int    `json:"in_channels"`  // channels of the input image
	OutChannels int    `json:"out_channels"` // channels of the output logits
	Depth       int    `json:"depth"`        // resolution levels (1: no down-sampling)
	Width       int    `json:"width"`        // channels at the first level; doubled at each level down
	Seed        uint64 `json:"seed"`         // seed of the weight initialization
	// Norm enables instance normalization (per sample and channel, over the
	// pixels, no running statistics) after every 3×3 convolution.
	Norm bool `json:"norm"`
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.InChannels < 1:
		return fmt.Errorf("unet: input channels %d: must be >= 1", c.InChannels)
	case c.OutChannels < 1:
		return fmt.Errorf("unet: output channels %d: must be >= 1", c.OutChannels)
	case c.Depth < 1 || c.Depth > 6:
		return fmt.Errorf("unet: depth %d: must be between 1 and 6", c.Depth)
	case c.Width < 1 || c.Width > 256:
		return fmt.Errorf("unet: width %d: must be between 1 and 256", c.Width)
	}
	return nil
}

// Multiple returns the number the image height and width must be a multiple of.
func (c Config) Multiple() int { return 1 << (c.Depth - 1) }

// Build returns the logits [N, OutChannels, H, W] of the images x
// [N, InChannels, H, W] (channel-first, like the segloss batches). H and W
// must be multiples of Multiple(). Variables live under scope and are
// created, from the seed, the first time.
func Build(scope *model.Scope, c Config, x *Node) *Node {
	dims := x.Shape().Dimensions
	if len(dims) != 4 || dims[1] != c.InChannels || dims[2]%c.Multiple() != 0 || dims[3]%c.Multiple() != 0 {
		panic(fmt.Errorf("unet: input %s does not fit %d channels and sizes multiple of %d", x.Shape(), c.InChannels, c.Multiple()))
	}
	b := &builder{scope: scope, cfg: c}
	h := TransposeAllAxes(x, 0, 2, 3, 1) // NHWC inside: im2col concatenates along channels
	var skips []*Node
	for level := 0; level < c.Depth; level++ {
		w := c.Width << level
		h = b.conv3(fmt.Sprintf("down%d_a", level), h, w)
		h = b.conv3(fmt.Sprintf("down%d_b", level), h, w)
		if level < c.Depth-1 {
			skips = append(skips, h)
			h = meanPool2(h)
		}
	}
	for level := c.Depth - 2; level >= 0; level-- {
		w := c.Width << level
		h = Concatenate([]*Node{upsample2(h), skips[level]}, 3)
		h = b.conv3(fmt.Sprintf("up%d_a", level), h, w)
		h = b.conv3(fmt.Sprintf("up%d_b", level), h, w)
	}
	h = b.dense("head", h, c.OutChannels, false)
	return TransposeAllAxes(h, 0, 3, 1, 2)
}

// builder creates the variables of one model build.
type builder struct {
	scope *model.Scope
	cfg   Config
}

// weights returns the variable name of layer, created with He-normal
// values (fanIn inputs) or zeros, from a generator seeded by the model
// seed and the variable's name.
func (b *builder) weights(g *Graph, layer, name string, fanIn int, dims ...int) *Node {
	s := b.scope.At("%s", layer)
	if v := s.GetVariable(name); v != nil {
		return v.NodeValue(g)
	}
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	if name == "w" {
		h := uint64(1469598103934665603)
		for _, ch := range layer {
			h = (h ^ uint64(ch)) * 1099511628211
		}
		rng := rand.New(rand.NewPCG(b.cfg.Seed, h))
		std := math.Sqrt(2 / float64(fanIn))
		for i := range data {
			data[i] = float32(rng.NormFloat64() * std)
		}
	}
	return s.VariableWithValue(name, tensors.FromFlatDataAndDimensions(data, dims...)).NodeValue(g)
}

// conv3 is a 3×3 "same" convolution with bias and ReLU on NHWC input, as
// im2col: the nine shifted views of the zero-bordered input, concatenated
// along channels, times one [9·Cin, Cout] matrix.
func (b *builder) conv3(layer string, x *Node, out int) *Node {
	dims := x.Shape().Dimensions
	n, hh, ww, cin := dims[0], dims[1], dims[2], dims[3]
	p := padZeros(x)
	views := make([]*Node, 0, 9)
	for dy := 0; dy < 3; dy++ {
		for dx := 0; dx < 3; dx++ {
			views = append(views, Slice(p, AxisRange(), AxisRange(dy, dy+hh), AxisRange(dx, dx+ww), AxisRange()))
		}
	}
	cols := Reshape(Concatenate(views, 3), n*hh*ww, 9*cin)
	w := b.weights(x.Graph(), layer, "w", 9*cin, 9*cin, out)
	bias := b.weights(x.Graph(), layer, "b", 1, out)
	y := Reshape(Add(MatMul(cols, w), ExpandDims(bias, 0)), n, hh, ww, out)
	if b.cfg.Norm {
		y = instanceNorm(y)
	}
	return relu(y)
}

// dense is a 1×1 convolution (optionally followed by ReLU) on NHWC input.
func (b *builder) dense(layer string, x *Node, out int, act bool) *Node {
	dims := x.Shape().Dimensions
	n, hh, ww, cin := dims[0], dims[1], dims[2], dims[3]
	w := b.weights(x.Graph(), layer, "w", cin, cin, out)
	bias := b.weights(x.Graph(), layer, "b", 1, out)
	y := Add(MatMul(Reshape(x, n*hh*ww, cin), w), ExpandDims(bias, 0))
	if act {
		y = relu(y)
	}
	return Reshape(y, n, hh, ww, out)
}

// instanceNorm normalizes each sample and channel of an NHWC tensor to
// zero mean and unit variance over its pixels.
func instanceNorm(x *Node) *Node {
	mean := ReduceAndKeep(x, ReduceMean, 1, 2)
	c := Sub(x, mean)
	v := ReduceAndKeep(Square(c), ReduceMean, 1, 2)
	return Div(c, Sqrt(AddScalar(v, 1e-5))) // Rsqrt has no gradient
}

func relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

// padZeros borders an NHWC tensor with one row and column of zeros on
// each side, by concatenation (Pad has no gradient on the pure-Go backend).
func padZeros(x *Node) *Node {
	dims := x.Shape().Dimensions
	n, hh, ww, c := dims[0], dims[1], dims[2], dims[3]
	g := x.Graph()
	row := Zeros(g, shapes.Make(x.DType(), n, 1, ww, c))
	x = Concatenate([]*Node{row, x, row}, 1)
	col := Zeros(g, shapes.Make(x.DType(), n, hh+2, 1, c))
	return Concatenate([]*Node{col, x, col}, 2)
}

// meanPool2 halves H and W of an NHWC tensor by 2×2 means.
func meanPool2(x *Node) *Node {
	d := x.Shape().Dimensions
	return ReduceMean(Reshape(x, d[0], d[1]/2, 2, d[2]/2, 2, d[3]), 2, 4)
}

// upsample2 doubles H and W of an NHWC tensor by repeating each pixel.
func upsample2(x *Node) *Node {
	d := x.Shape().Dimensions
	x = Reshape(x, d[0], d[1], 1, d[2], 1, d[3])
	x = BroadcastToDims(x, d[0], d[1], 2, d[2], 2, d[3])
	return Reshape(x, d[0], 2*d[1], 2*d[2], d[3])
}

// DType is the element type of the model's inputs and variables.
const DType = dtypes.Float32
