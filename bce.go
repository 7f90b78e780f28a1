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
func bceTerm(o *Options, x, t float64) (loss, d float64) { return bceTermPW(o, o.PosWeight, x, t) }

// bceTermPW is bceTerm with positive weight pw in place of o.PosWeight.
func bceTermPW(o *Options, pw, x, t float64) (loss, d float64) {
	if o.FromLogits {
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

// bceLoss is the binary cross-entropy (bce, bce_logits).
func bceLoss[T Float](l *Loss, _ *workspace, g geom, grad []T, b Batch[T]) float64 {
	return pixelMean(&l.opts, g, grad, b, bceTerm)
}
