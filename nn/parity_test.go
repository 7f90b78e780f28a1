package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// parityCase is a fixture made by testdata/make_parity.py with PyTorch.
type parityCase struct {
	Dims, Width, Depth, In, Out int
	Shape                       []int
	Loss                        float64
	Names                       [][2]any
	Params, Grads, X, Y, Logits []byte // little-endian float32
}

func f32s(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// softDice is the loss of unet_torch.py, 1 − (2Σpy + 1e-6)/(Σp + Σy + 1e-6)
// with p = sigmoid(logits), and its gradient, in float64.
func softDice(y []float32) LossGrad {
	return func(logits, grad []float32, shape []int) (float64, error) {
		var inter, sp, sy float64
		p := make([]float64, len(logits))
		for i, z := range logits {
			p[i] = 1 / (1 + math.Exp(-float64(z)))
			inter += p[i] * float64(y[i])
			sp += p[i]
			sy += float64(y[i])
		}
		num, den := 2*inter+1e-6, sp+sy+1e-6
		for i := range grad {
			dp := -(2*float64(y[i])*den - num) / (den * den)
			grad[i] = float32(dp * p[i] * (1 - p[i]))
		}
		return 1 - num/den, nil
	}
}

// TestTorchParity loads the weights of the PyTorch model of
// ../shared/bench/unet_torch.py and checks that the engine gives the same
// logits, loss and weight gradients (soft Dice on sigmoid), in 2-D and 3-D.
func TestTorchParity(t *testing.T) {
	for _, name := range []string{"testdata/parity_2d.json", "testdata/parity_3d.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var pc parityCase
		if err := json.Unmarshal(data, &pc); err != nil {
			t.Fatal(err)
		}
		m, err := NewUNet(Config{Dims: pc.Dims, InChannels: pc.In, OutChannels: pc.Out, Width: pc.Width, Depth: pc.Depth})
		if err != nil {
			t.Fatal(err)
		}
		params := f32s(pc.Params)
		if len(params) != m.NumParams() {
			t.Fatalf("%s: %d parameters, the engine has %d", name, len(params), m.NumParams())
		}
		copy(m.Params(), params)
		x, y, want := f32s(pc.X), f32s(pc.Y), f32s(pc.Logits)
		logits := make([]float32, len(want))
		if err := m.Forward(logits, x, pc.Shape); err != nil {
			t.Fatal(err)
		}
		assertClose(t, name+" logits", logits, to64(want), 1e-5)
		opt, _ := NewSGD(SGDConfig{LR: 1e-9})
		tr := NewTrainer(m, opt, nil)
		loss, err := tr.Step(x, pc.Shape, softDice(y))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-pc.Loss) > 1e-6 {
			t.Errorf("%s: loss %v, PyTorch %v", name, loss, pc.Loss)
		}
		grads := f32s(pc.Grads)
		// compare layer by layer (weights and bias together: the biases
		// before an instance norm have gradients of pure rounding noise)
		for li, l := range m.layers() {
			assertClose(t, fmt.Sprintf("%s gradient of layer %d", name, li), tr.Grad()[l.off:l.off+l.size()], to64(grads[l.off:l.off+l.size()]), 1e-4)
		}
	}
}
