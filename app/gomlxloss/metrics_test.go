package gomlxloss

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestOverlapMetrics feeds two batches through the Dice and IoU metrics
// and checks the pooled scores against counts done by hand, then Reset.
func TestOverlapMetrics(t *testing.T) {
	store := model.NewStore()
	ms := NewDiceMetrics(Head{Multiclass: true}, []string{"a", "b"})
	exec, err := model.NewExec(goBackend(t), store, func(scope *model.Scope, y, p *Node) []*Node {
		var out []*Node
		for _, m := range ms {
			out = append(out, m.UpdateGraph(scope, []*Node{y}, []*Node{p}))
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	// One sample, 3 classes, 4 pixels: predicted classes by arg-max.
	logits := func(cls ...int) *tensors.Tensor {
		x := make([]float32, 3*len(cls))
		for s, c := range cls {
			x[c*len(cls)+s] = 5
		}
		return tensors.FromFlatDataAndDimensions(x, 1, 3, len(cls))
	}
	labels := func(cls ...int32) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(cls, 1, len(cls)) }
	// Batch 1: pred 1 1 2 0, truth 1 0 2 2: class 1 TP1 FP1; class 2 TP1 FN1.
	if _, err := exec.Exec(labels(1, 0, 2, 2), logits(1, 1, 2, 0)); err != nil {
		t.Fatal(err)
	}
	// Batch 2: pred 1 0 0 0, truth 1 1 0 0: class 1 TP1 FN1; class 2 empty.
	outs, err := exec.Exec(labels(1, 1, 0, 0), logits(1, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	// Pooled: class 1 TP2 FP1 FN1 -> Dice 4/6, IoU 2/4; class 2 TP1 FN1 -> Dice 2/3, IoU 1/2.
	want := []float64{4.0 / 6, 0.5, 2.0 / 3, 0.5}
	for i, w := range want {
		if got := tensors.ToScalar[float64](outs[i]); math.Abs(got-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", ms[i].Name(), got, w)
		}
	}
	for _, m := range ms {
		m.Reset(store.RootScope())
	}
	outs, err = exec.Exec(labels(0, 0, 0, 0), logits(0, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		if got := tensors.ToScalar[float64](outs[i]); got != 1 {
			t.Errorf("after Reset, %s on empty classes = %v, want 1", ms[i].Name(), got)
		}
	}
}

// TestOverlapMetricSigmoid checks the sigmoid head: channel k-1 thresholded.
func TestOverlapMetricSigmoid(t *testing.T) {
	m := &OverlapMetric{Kind: Dice, Class: 2, Head: Head{Threshold: 0.5}}
	exec, err := model.NewExec(goBackend(t), model.NewStore(), func(scope *model.Scope, y, p *Node) *Node {
		return m.UpdateGraph(scope, []*Node{y}, []*Node{p})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Channel 1 (class 2): pred 0.9 0.2 0.7, truth 1 1 0 -> TP1 FP1 FN1 -> Dice 0.5.
	p := tensors.FromFlatDataAndDimensions([]float32{0, 0, 0, 0.9, 0.2, 0.7}, 1, 2, 3)
	y := tensors.FromFlatDataAndDimensions([]float32{0, 0, 0, 1, 1, 0}, 1, 2, 3)
	outs, err := exec.Exec(y, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.ToScalar[float64](outs[0]); got != 0.5 {
		t.Errorf("Dice = %v, want 0.5", got)
	}
}
