package train

import (
	"math"

	"github.com/segloss/segloss"
)

// hostLoss evaluates a core loss on logits and gives the gradient with
// respect to the logits: what a native engine's backward pass starts
// from. For a head that reads probabilities it applies sigmoid or softmax
// first and chains the gradient back through it by hand.
type hostLoss struct {
	head  Head
	core  *segloss.Loss
	probs []float32 // scratch: the probabilities
	gp    []float32 // scratch: the gradient with respect to them
}

// eval returns the loss of logits [N, C, spatial...] (shape) against the
// class labels y [N, spatial...], with pixel weights w ([N, spatial...];
// nil: none), and writes its gradient into grad.
func (h *hostLoss) eval(logits, grad []float32, y []int32, w []float32, shape []int) (float64, error) {
	return h.evalWith(logits, grad, shape, func(in, g []float32) (float64, error) {
		b := h.head.CoreBatchShape(in, y, shape)
		b.Weights = w
		return segloss.Eval(h.core, g, b)
	})
}

// evalLevel is eval for one deep-supervision output: the logits of a
// decoder level (shape) scored against the full-resolution labels y and
// weights w of the level-0 logits shape full, down-sampled to the level
// by segloss.EvalDeepSupervision, with the level's weight: the loss and
// gradient are weight times the level's.
func (h *hostLoss) evalLevel(logits, grad []float32, shape []int, y []int32, w []float32, full []int, weight float64) (float64, error) {
	return h.evalWith(logits, grad, shape, func(in, g []float32) (float64, error) {
		t := h.head.CoreBatchShape(nil, y, full)
		t.Weights = w
		return segloss.EvalDeepSupervision(h.core, [][]float32{g}, []segloss.Batch[float32]{{Shape: shape, Input: in}}, t, []float64{weight})
	})
}

// evalWith runs eval, a core evaluation of the loss input (logits, or
// their probabilities) into a zeroed gradient, and chains its gradient
// back to the logits: through sigmoid or softmax for a head that reads
// probabilities.
func (h *hostLoss) evalWith(logits, grad []float32, shape []int, eval func(in, g []float32) (float64, error)) (float64, error) {
	if !h.head.Probabilities {
		clear(grad) // the engine's gradient buffer is not zeroed
		return eval(logits, grad)
	}
	if cap(h.probs) < len(logits) {
		h.probs, h.gp = make([]float32, len(logits)), make([]float32, len(logits))
	}
	p, gp := h.probs[:len(logits)], h.gp[:len(logits)]
	n, c := shape[0], shape[1]
	s := len(logits) / max(n*c, 1)
	if h.head.Multiclass {
		softmax(p, logits, n, c, s)
	} else {
		for i, z := range logits {
			p[i] = float32(1 / (1 + math.Exp(-float64(z))))
		}
	}
	clear(gp)
	v, err := eval(p, gp)
	if err != nil {
		return 0, err
	}
	if !h.head.Multiclass {
		for i, pi := range p {
			grad[i] = gp[i] * pi * (1 - pi)
		}
		return v, nil
	}
	// softmax: dL/dz_k = p_k (dL/dp_k - sum_j p_j dL/dp_j).
	for i := 0; i < n; i++ {
		base := i * c * s
		for q := 0; q < s; q++ {
			var dot float64
			for k := 0; k < c; k++ {
				j := base + k*s + q
				dot += float64(p[j]) * float64(gp[j])
			}
			for k := 0; k < c; k++ {
				j := base + k*s + q
				grad[j] = float32(float64(p[j]) * (float64(gp[j]) - dot))
			}
		}
	}
	return v, nil
}

// softmax writes the softmax over the channels of z [N, C, S] into p.
func softmax(p, z []float32, n, c, s int) {
	for i := 0; i < n; i++ {
		base := i * c * s
		for q := 0; q < s; q++ {
			m := float32(math.Inf(-1))
			for k := 0; k < c; k++ {
				m = max(m, z[base+k*s+q])
			}
			var sum float64
			for k := 0; k < c; k++ {
				e := math.Exp(float64(z[base+k*s+q] - m))
				p[base+k*s+q] = float32(e)
				sum += e
			}
			for k := 0; k < c; k++ {
				p[base+k*s+q] = float32(float64(p[base+k*s+q]) / sum)
			}
		}
	}
}
