package segloss

import (
	"math"
	"sync"

	"github.com/segloss/segloss/internal/kernel"
)

func init() {
	register(
		&descriptor{name: CrossEntropy, kind: kindPixel, targetNoIgnore: true,
			keys:     []string{"class_weights", "ignore_index", "label_smoothing", "from_logits", "reduction"},
			defaults: map[string]string{"from_logits": "true", "mode": "multiclass", "ignore_index": "-100"},
			eval:     general{crossEntropy[float32], crossEntropy[float64]}, fused: fusedCE},
		&descriptor{name: FocalSoftmax, kind: kindPixel, targetNoIgnore: true,
			keys:     []string{"gamma", "class_weights", "from_logits", "ignore_index", "reduction"},
			defaults: map[string]string{"from_logits": "true", "mode": "multiclass"},
			eval:     general{focalSoftmax[float32], focalSoftmax[float64]}},
	)
}

// crossEntropy is torch.nn.CrossEntropyLoss (see softmaxCE).
func crossEntropy[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	return softmaxCE(false, &l.opts, ws, g, grad, b)
}

// focalSoftmax is the softmax focal loss (see softmaxCE).
func focalSoftmax[T Float](l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64 {
	return softmaxCE(true, &l.opts, ws, g, grad, b)
}

// softmaxCE is the multiclass cross-entropy (torch.nn.CrossEntropyLoss
// semantics) and, when focal is true, the softmax focal loss
// -w_c t_c (1-p_c)^gamma log p_c. Per pixel the term is
// l = -sum_c w_c t_c f(p_c) with t the one-hot (or soft) target after
// label smoothing; the loss is sum l / sum w_y for class indices and
// sum l / (N*S) for float targets.
//
// Special cases: when every pixel is ignored the loss is 0 and the
// gradient 0 (torch returns NaN).
func softmaxCE[T Float](focal bool, o *Options, _ *workspace, g geom, grad []T, b Batch[T]) float64 {
	pool := &softmaxCEPools[typeIndex[T]()]
	j := pooled[softmaxCEJob[T]](pool)
	np := g.n * g.s
	nc := kernel.Chunks(np, kernel.Chunk)
	j.focal, j.o, j.g, j.grad, j.b = focal, o, g, grad, b
	num, den := grow(&j.num, nc), grow(&j.den, nc)
	grow(&j.scratch, 4*g.c*nc)
	kernel.Run(j, np, kernel.Chunk)
	tn, td := kernel.SumOrdered(num), kernel.SumOrdered(den)
	j.o, j.grad, j.b = nil, nil, Batch[T]{}
	pool.Put(j)
	if td == 0 {
		return 0
	}
	if o.Reduction == Sum {
		return tn
	}
	scaleGrad(grad, 1/td)
	return tn / td
}

// softmaxCEJob is softmaxCE's pass: chunk c adds the terms of pixels
// [lo, hi) (flat index n*S + s) into num[c] and den[c].
type softmaxCEJob[T Float] struct {
	focal    bool
	o        *Options
	g        geom
	grad     []T
	b        Batch[T]
	num, den []float64
	scratch  []float64 // 4*C per chunk
}

var softmaxCEPools [2]sync.Pool

// Do runs chunk c.
func (j *softmaxCEJob[T]) Do(ch, lo, hi int) {
	o, b, grad, focal := j.o, &j.b, j.grad, j.focal
	C, S := j.g.c, j.g.s
	buf := j.scratch[4*C*ch : 4*C*(ch+1)]
	p, lp, t, bc := buf[:C], buf[C:2*C], buf[2*C:3*C], buf[3*C:]
	w := o.ClassWeights
	ls := o.LabelSmoothing
	gamma := o.Gamma
	var num, den float64
	for q := lo; q < hi; q++ {
		n, s := q/S, q%S
		off := n*C*S + s
		if b.Labels != nil {
			y := int(b.Labels[q])
			if o.Ignore && y == o.IgnoreIndex {
				if grad != nil {
					for c := 0; c < C; c++ {
						grad[off+c*S] = 0
					}
				}
				continue
			}
			for c := range t {
				t[c] = ls / float64(C)
			}
			t[y] += 1 - ls
			if w != nil {
				den += w[y]
			} else {
				den++
			}
		} else {
			for c := range t {
				t[c] = (1-ls)*float64(b.Target[off+c*S]) + ls/float64(C)
			}
			den++
		}
		if o.FromLogits {
			softmaxPixel(p, lp, b.Input, off, S)
		} else {
			for c := range p {
				p[c] = float64(b.Input[off+c*S])
				lp[c] = math.Log(p[c])
			}
		}
		// bc[c] = p_c * d l / d p_c (logits) or d l / d p_c (probabilities).
		pw := 1.0
		if b.Weights != nil {
			pw = float64(b.Weights[q])
		}
		var sumB float64
		for c := 0; c < C; c++ {
			wt := t[c] * pw
			if w != nil {
				wt *= w[c]
			}
			if wt == 0 {
				bc[c] = 0
				continue
			}
			if !focal {
				num -= wt * lp[c]
				if o.FromLogits {
					bc[c] = -wt
				} else {
					bc[c] = -wt / p[c]
				}
			} else {
				om := 1 - p[c]
				m := powZero(om, gamma)
				num -= wt * m * lp[c]
				// p * d/dp [(1-p)^g log p] = (1-p)^g - g (1-p)^(g-1) p log p
				pd := m
				if om > 0 {
					pd -= gamma * powZero(om, gamma-1) * p[c] * lp[c]
				}
				if o.FromLogits {
					bc[c] = -wt * pd
				} else {
					bc[c] = -wt * pd / p[c]
				}
			}
			sumB += bc[c]
		}
		if grad != nil {
			for c := 0; c < C; c++ {
				v := bc[c]
				if o.FromLogits {
					v -= p[c] * sumB
				}
				grad[off+c*S] = T(v)
			}
		}
	}
	j.num[ch], j.den[ch] = num, den
}
