package train

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/gomlxloss"
)

// Head says how the model's output channels map to the K classes of a data
// set, which follows from the loss: softmax losses (mode multiclass) get K
// channels, one per class, and class-index labels; sigmoid losses (binary,
// multilabel and the elementwise ones) get K-1 channels, one per
// foreground class, and one-hot float targets.
type Head struct {
	Classes    int  `json:"classes"`    // K, background included
	Multiclass bool `json:"multiclass"` // softmax head
	// Probabilities: the loss reads probabilities (from_logits=false), so the
	// logits go through sigmoid or softmax before it.
	Probabilities bool `json:"probabilities"`
}

// Channels returns the number of output channels.
func (h Head) Channels() int {
	if h.Multiclass {
		return h.Classes
	}
	return h.Classes - 1
}

// LossFor fits the parsed loss l to a data set of the given number of
// classes: a binary region loss becomes multilabel when there is more than
// one foreground class. It returns the graph loss and the head.
func LossFor(l *segloss.Loss, classes int) (*gomlxloss.Loss, Head, error) {
	if l == nil {
		return nil, Head{}, fmt.Errorf("train: no loss")
	}
	if classes < 2 {
		return nil, Head{}, fmt.Errorf("train: %d classes: need at least 2", classes)
	}
	if _, parts := l.Terms(); parts != nil {
		return sumFor(l, classes)
	}
	o := l.Options()
	h := Head{Classes: classes, Multiclass: o.Mode == segloss.Multiclass, Probabilities: !o.FromLogits}
	hasMode := false
	for _, k := range segloss.OptionNames(l.Name()) {
		hasMode = hasMode || k == "mode"
	}
	if hasMode && o.Mode == segloss.Binary && classes > 2 {
		o.Mode = segloss.Multilabel
		var err error
		if l, err = segloss.New(l.Name(), &o); err != nil {
			return nil, Head{}, err
		}
	}
	if l.Name() == segloss.LovaszHinge {
		h.Probabilities = false // lovasz_hinge always reads logits
	}
	return gomlxloss.FromCore(l), h, nil
}

// sumFor fits a weighted sum of losses to a data set: the parts share one
// head, so they must read the same labels and input. Every part reads
// logits (a part written for probabilities applies sigmoid or softmax
// itself: the same loss); when one part is multiclass (softmax: topk_ce,
// cross_entropy, ...) every part with a mode becomes multiclass, else a
// binary part becomes multilabel for more than one foreground class.
func sumFor(l *segloss.Loss, classes int) (*gomlxloss.Loss, Head, error) {
	w, parts := l.Terms()
	multi := false
	for _, p := range parts {
		multi = multi || p.Options().Mode == segloss.Multiclass
	}
	fitted := make([]*segloss.Loss, len(parts))
	for i, p := range parts {
		o := p.Options()
		has := map[string]bool{}
		for _, k := range segloss.OptionNames(p.Name()) {
			has[k] = true
		}
		if has["mode"] {
			switch {
			case multi:
				o.Mode = segloss.Multiclass
			case o.Mode == segloss.Binary && classes > 2:
				o.Mode = segloss.Multilabel
			}
		}
		if has["from_logits"] {
			o.FromLogits = true
		}
		q, err := segloss.New(p.Name(), &o)
		if err != nil {
			return nil, Head{}, fmt.Errorf("train: %s: part %s: %w", l, p, err)
		}
		if q.Options().Mode == segloss.Multiclass != multi && has["mode"] {
			return nil, Head{}, fmt.Errorf("train: %s: part %s cannot share a head with the others", l, p)
		}
		fitted[i] = q
	}
	sum, err := segloss.NewSum(w, fitted)
	if err != nil {
		return nil, Head{}, err
	}
	return gomlxloss.FromCore(sum), Head{Classes: classes, Multiclass: multi}, nil
}

// Activate turns logits into what the loss reads: the logits themselves,
// or probabilities (sigmoid, or softmax over the channel axis).
func (h Head) Activate(logits *Node) *Node {
	if !h.Probabilities {
		return logits
	}
	if h.Multiclass {
		return Softmax(logits, 1)
	}
	return Sigmoid(logits)
}

// LabelTensor returns the loss's label tensor for class labels [N, H, W]:
// the labels (Int32) for a softmax head, one-hot float targets of the
// foreground classes [N, K-1, H, W] for a sigmoid head.
func (h Head) LabelTensor(labels []int32, n, hh, ww int) *tensors.Tensor {
	if h.Multiclass {
		return tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), n, hh, ww)
	}
	return tensors.FromFlatDataAndDimensions(h.oneHot(labels, n, hh*ww), n, h.Channels(), hh, ww)
}

// oneHot returns the float targets [N, K-1, S] of a sigmoid head.
func (h Head) oneHot(labels []int32, n, s int) []float32 {
	c := h.Channels()
	t := make([]float32, n*c*s)
	for i := 0; i < n; i++ {
		for p := 0; p < s; p++ {
			if y := int(labels[i*s+p]); y > 0 && y <= c {
				t[(i*c+y-1)*s+p] = 1
			}
		}
	}
	return t
}

// CoreBatch returns the core's batch of the loss input pred [N, Channels,
// H, W] (what the loss reads) against class labels [N, H, W].
func (h Head) CoreBatch(pred []float32, labels []int32, n, hh, ww int) segloss.Batch[float32] {
	return h.CoreBatchShape(pred, labels, []int{n, h.Channels(), hh, ww})
}

// CoreBatchShape returns the core's batch of the loss input pred of shape
// [N, Channels, spatial...] against class labels [N, spatial...].
func (h Head) CoreBatchShape(pred []float32, labels []int32, shape []int) segloss.Batch[float32] {
	b := segloss.Batch[float32]{Shape: shape, Input: pred}
	if h.Multiclass {
		b.Labels = labels
	} else {
		b.Target = h.oneHot(labels, shape[0], len(labels)/max(shape[0], 1))
	}
	return b
}

// Decode turns logits [N, Channels, H, W] into class labels [N, H, W]:
// the arg-max channel for a softmax head; for a sigmoid head the most
// probable foreground class where its probability exceeds 1/2, else 0.
func (h Head) Decode(logits []float32, n, hh, ww int) []int32 {
	c, s := h.Channels(), hh*ww
	out := make([]int32, n*s)
	for i := 0; i < n; i++ {
		for p := 0; p < s; p++ {
			best, arg := float32(0), -1
			if h.Multiclass {
				best = logits[(i*c)*s+p]
				arg = 0
			}
			start := 0
			if h.Multiclass {
				start = 1
			}
			for k := start; k < c; k++ {
				if v := logits[(i*c+k)*s+p]; v > best {
					best, arg = v, k
				}
			}
			switch {
			case h.Multiclass:
				out[i*s+p] = int32(arg)
			case arg >= 0: // logit > 0 means probability > 1/2
				out[i*s+p] = int32(arg + 1)
			}
		}
	}
	return out
}
