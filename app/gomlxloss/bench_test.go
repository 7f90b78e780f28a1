package gomlxloss

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/segloss/segloss"
)

// benchShape is a training-sized binary batch: 16 slices of 64×64.
var benchShape = []int{16, 1, 64, 64}

func benchBatch() segloss.Batch[float32] {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 16 * 64 * 64
	b := segloss.Batch[float32]{Shape: benchShape, Input: make([]float32, n), Target: make([]float32, n)}
	for i := range b.Input {
		b.Input[i] = float32(rng.NormFloat64())
		if rng.IntN(20) == 0 {
			b.Target[i] = 1
		}
	}
	return b
}

// benchGraph times value plus automatic gradient of spec in the graph on
// the pure-Go backend (compiled once, outside the timing).
func benchGraph(b *testing.B, spec string) {
	l, err := Parse(spec)
	if err != nil {
		b.Fatal(err)
	}
	bb := benchBatch()
	exec := MustNewExec(goBackend(b), func(x, y *Node) (*Node, *Node) {
		v := l.Graph([]*Node{y}, []*Node{x})
		return v, Gradient(v, x)[0]
	})
	x := tensors.FromFlatDataAndDimensions(bb.Input, benchShape...)
	y := tensors.FromFlatDataAndDimensions(bb.Target, benchShape...)
	exec.MustExec(x, y)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		exec.MustExec(x, y)
	}
}

// benchCore times the core's value and analytic gradient on the host.
func benchCore(b *testing.B, spec string) {
	l, err := segloss.Parse(spec)
	if err != nil {
		b.Fatal(err)
	}
	bb := benchBatch()
	grad := make([]float32, len(bb.Input))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := segloss.Eval(l, grad, bb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGraphLovaszHinge(b *testing.B) { benchGraph(b, "lovasz_hinge") }
func BenchmarkGraphLovaszHingePerImage(b *testing.B) {
	benchGraph(b, "lovasz_hinge:per_image=true")
}
func BenchmarkGraphDice(b *testing.B)       { benchGraph(b, "dice:from_logits=true") }
func BenchmarkGraphBCE(b *testing.B)        { benchGraph(b, "bce_logits") }
func BenchmarkCoreLovaszHinge(b *testing.B) { benchCore(b, "lovasz_hinge") }
func BenchmarkCoreDice(b *testing.B)        { benchCore(b, "dice:from_logits=true") }
