package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// diceLoss is the soft Dice on sigmoid of unet_torch.py, without allocation.
func diceLoss(y []float32) LossGrad {
	return func(logits, grad []float32, shape []int) (float64, error) {
		var inter, sp, sy float64
		for i, z := range logits {
			p := 1 / (1 + math.Exp(-float64(z)))
			grad[i] = float32(p)
			inter += p * float64(y[i])
			sp += p
			sy += float64(y[i])
		}
		num, den := 2*inter+1e-6, sp+sy+1e-6
		for i, p32 := range grad {
			p := float64(p32)
			grad[i] = float32(-(2*float64(y[i])*den - num) / (den * den) * p * (1 - p))
		}
		return 1 - num/den, nil
	}
}

// benchStep measures one training step (forward, soft Dice, backward, Adam)
// of the U-Net of unet_torch.py.
func benchStep(b *testing.B, dims int, size []int, batch, width, depth int) {
	m, err := NewUNet(Config{Dims: dims, InChannels: 1, OutChannels: 2, Width: width, Depth: depth})
	if err != nil {
		b.Fatal(err)
	}
	opt, _ := NewAdam(AdamConfig{LR: 3e-3})
	tr := NewTrainer(m, opt, nil)
	shape := append([]int{batch, 1}, size...)
	out, _ := m.OutputShape(shape)
	rng := rand.New(rand.NewPCG(0, 0))
	x := randVec(rng, prod(shape))
	y := make([]float32, prod(out))
	for i := range y {
		if rng.Float64() > 0.9 {
			y[i] = 1
		}
	}
	lg := diceLoss(y)
	for i := 0; i < 2; i++ {
		tr.Step(x, shape, lg)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(x, shape, lg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainStep2D64(b *testing.B)    { benchStep(b, 2, []int{64, 64}, 8, 8, 3) }
func BenchmarkTrainStep3D32(b *testing.B)    { benchStep(b, 3, []int{32, 32, 32}, 2, 8, 3) }
func BenchmarkTrainStep3D48x64(b *testing.B) { benchStep(b, 3, []int{48, 64, 48}, 2, 8, 3) }
