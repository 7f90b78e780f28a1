package segloss_test

import (
	"fmt"

	"github.com/segloss/segloss"
)

// A 2×2 binary mask and a prediction given as logits.
var (
	exampleLogits = []float64{2.0, -1.0, 0.5, -3.0}
	exampleMask   = []float64{1, 0, 1, 0}
)

// The values in these examples were checked against a direct evaluation of
// the formulas in Python.
func ExampleParse() {
	l, err := segloss.Parse("tversky:alpha=0.3,beta=0.7,from_logits=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	b := segloss.Batch[float64]{Shape: []int{1, 1, 2, 2}, Input: exampleLogits, Target: exampleMask}
	v, err := segloss.Eval(l, nil, b)
	fmt.Printf("%s = %.6f %v\n", l, v, err)
	// Output: tversky:from_logits=true,alpha=0.3,beta=0.7 = 0.227470 <nil>
}

func ExampleEval() {
	dice := segloss.MustNew(segloss.Dice, &segloss.Options{
		Mode: segloss.Binary, FromLogits: true, Smooth: 1, Reduction: segloss.Global, TPForm: segloss.Product,
	})
	b := segloss.Batch[float64]{Shape: []int{1, 1, 2, 2}, Input: exampleLogits, Target: exampleMask}
	grad := make([]float64, 4)
	v, _ := segloss.Eval(dice, grad, b)
	fmt.Printf("dice loss %.4f\n", v)
	fmt.Printf("gradient %.4f\n", grad)
	// Output:
	// dice loss 0.1687
	// gradient [-0.0255 0.0339 -0.0570 0.0078]
}

func ExampleEval_multiclass() {
	// Two pixels, three classes, class-index labels.
	ce, _ := segloss.Parse("cross_entropy")
	b := segloss.Batch[float32]{
		Shape:  []int{1, 3, 2},
		Input:  []float32{2, 0, 0, 1, -1, 3}, // channel-major: logits of class 0 for both pixels, then class 1, then class 2
		Labels: []int32{0, 2},
	}
	v, _ := segloss.Eval(ce, nil, b)
	fmt.Printf("cross-entropy %.4f\n", v)
	// Output: cross-entropy 0.1698
}

func ExampleStats() {
	// The batch-global Dice of a batch split over two workers.
	l, _ := segloss.Parse("dice:from_logits=true")
	shard := func(i int) segloss.Batch[float64] {
		return segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: exampleLogits[2*i : 2*i+2], Target: exampleMask[2*i : 2*i+2]}
	}
	merged, _ := segloss.Stats(l, shard(0))
	other, _ := segloss.Stats(l, shard(1))
	merged.Add(other) // in practice: an all-reduce of the sums across devices
	grad := make([]float64, 2)
	v, _ := segloss.EvalFromStats(l, grad, shard(1), merged)
	whole, _ := segloss.Eval(l, nil, segloss.Batch[float64]{Shape: []int{1, 1, 4}, Input: exampleLogits, Target: exampleMask})
	fmt.Printf("from merged stats %.6f, whole batch %.6f\n", v, whole)
	// Output: from merged stats 0.212877, whole batch 0.212877
}

func ExampleNames() {
	for _, name := range segloss.Names()[:4] {
		fmt.Println(name, segloss.OptionNames(name)[:2])
	}
	// Output:
	// asymmetric_focal [mode from_logits]
	// asymmetric_focal_tversky [mode from_logits]
	// bce [from_logits eps]
	// bce_logits [from_logits eps]
}
