package segloss

import (
	"math"

	"github.com/segloss/segloss/internal/kernel"
)

func init() {
	register(
		&descriptor{name: BCE, kind: kindPixel, probClip: true,
			keys: []string{"from_logits", "eps", "log_eps", "pos_weight", "label_smoothing", "ignore_index", "reduction"},
			eval: general{bceLoss[float32], bceLoss[float64]}, fused: fusedBCE},
		&descriptor{name: BCELogits, kind: kindPixel, probClip: true,
			keys:     []string{"from_logits", "eps", "log_eps", "pos_weight", "label_smoothing", "ignore_index", "reduction"},
			defaults: map[string]string{"from_logits": "true"},
			check: func(o *Options) error {
				if !o.FromLogits {
					return &OptionError{Loss: BCELogits, Key: "from_logits", Value: "false", Err: errString("bce_logits needs from_logits=true (use bce for probabilities)")}
				}
				return nil
			},
			eval: general{bceLoss[float32], bceLoss[float64]}, fused: fusedBCE},
	)
}

// TorchBCEEps is float32(1e-12), the clamp of torch.nn.BCELoss's backward
// pass, (p - t)/max(p(1-p), TorchBCEEps), that bce with eps = 0 follows.
const TorchBCEEps = kernel.TorchBCEEps

// bceTerm returns the elementwise binary cross-entropy of input x (a logit
// or a probability, per o.FromLogits) against target t, and its derivative
// with respect to x.
func bceTerm(o *Options, x, t float64) (loss, d float64) {
	if o.FromLogits {
		pw := o.PosWeight
		loss = pw*t*softplus(-x) + (1-t)*softplus(x)
		d = (1-t)*sigmoid(x) - pw*t*sigmoid(-x)
		return loss, d
	}
	if eps := o.Eps; eps > 0 { // Keras: clip to [eps, 1-eps]
		pc, in := x, true
		if pc < eps {
			pc, in = eps, false
		} else if pc > 1-eps {
			pc, in = 1-eps, false
		}
		le := o.LogEps
		loss = -(t*math.Log(pc+le) + (1-t)*math.Log(1-pc+le))
		if in {
			d = -t/(pc+le) + (1-t)/(1-pc+le)
		}
		return loss, d
	}
	// torch.nn.BCELoss: logs clamped at -100.
	lp := math.Max(math.Log(x), -100)
	l1p := math.Max(math.Log1p(-x), -100)
	loss = -(t*lp + (1-t)*l1p)
	d = (x - t) / math.Max(x*(1-x), TorchBCEEps)
	return loss, d
}

// pixelMean drives a loss made of independent per-element terms: it skips
// ignored elements, applies label smoothing, writes term'(x)/count into
// grad and returns the mean (or sum) of the terms.
//
// Special cases: when every element is ignored the loss is 0 and the
// gradient 0 (torch returns NaN).
func pixelMean[T Float](o *Options, g geom, grad []T, b Batch[T], term func(x, t float64) (float64, float64)) float64 {
	ign := float64(o.IgnoreIndex)
	ls := o.LabelSmoothing
	var sum float64
	count := 0
	for i, xv := range b.Input {
		t := float64(b.Target[i])
		if o.Ignore && t == ign {
			if grad != nil {
				grad[i] = 0
			}
			continue
		}
		count++
		if ls != 0 {
			t = t*(1-ls) + (1-t)*ls
		}
		l, d := term(float64(xv), t)
		if b.Weights != nil {
			w := weightAt(b.Weights, g, i)
			l, d = w*l, w*d
		}
		sum += l
		if grad != nil {
			grad[i] = T(d)
		}
	}
	scale := 1.0
	if o.Reduction != Sum {
		if count == 0 {
			return 0
		}
		scale = 1 / float64(count)
	}
	scaleGrad(grad, scale)
	return sum * scale
}

// bceLoss is the binary cross-entropy (bce, bce_logits).
func bceLoss[T Float](l *Loss, _ *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	return pixelMean(o, g, grad, b, func(x, t float64) (float64, float64) { return bceTerm(o, x, t) })
}
