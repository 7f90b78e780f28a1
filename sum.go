package segloss

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sumTerm is one part of a weighted sum of losses.
type sumTerm struct {
	weight float64
	loss   *Loss
}

// NewSum returns the loss sum_i weights[i] * losses[i]: its value and exact
// gradient are the weighted sums of those of the parts, each evaluated as
// it would be alone (with its own checks, fused kernels and, for region
// parts, RegionStats). weights and losses have the same length, at least 1;
// weights are finite. A part may not itself be a sum.
func NewSum(weights []float64, losses []*Loss) (*Loss, error) {
	if len(weights) != len(losses) || len(losses) == 0 {
		return nil, fmt.Errorf("segloss: NewSum: %d weights for %d losses (want the same number, at least 1)", len(weights), len(losses))
	}
	l := &Loss{}
	names := make([]string, len(losses))
	for i, p := range losses {
		if p == nil || p.terms != nil {
			return nil, fmt.Errorf("segloss: NewSum: part %d is nil or itself a sum", i)
		}
		if math.IsNaN(weights[i]) || math.IsInf(weights[i], 0) {
			return nil, fmt.Errorf("segloss: NewSum: weight %d = %v: must be finite", i, weights[i])
		}
		l.terms = append(l.terms, sumTerm{weights[i], p})
		names[i] = string(p.name)
	}
	l.name = Name(strings.Join(names, "+"))
	l.d = &descriptor{name: l.name, kind: kindMixed} // not registered: Stats and the like see a non-region loss
	l.opts = losses[0].opts.clone()
	l.pool.New = func() any { return new(workspace) }
	return l, nil
}

// Terms returns the weights and parts of a weighted sum (ParseSum,
// NewSum), or nil, nil for a single loss. Region parts give their
// mergeable RegionStats through Stats as usual.
func (l *Loss) Terms() ([]float64, []*Loss) {
	if l.terms == nil {
		return nil, nil
	}
	w := make([]float64, len(l.terms))
	p := make([]*Loss, len(l.terms))
	for i, t := range l.terms {
		w[i], p[i] = t.weight, t.loss
	}
	return w, p
}

// evalSum is Eval of a weighted sum.
func evalSum[T Float](l *Loss, grad []T, b Batch[T]) (float64, error) {
	var total float64
	var scratch []T
	if grad != nil && len(l.terms) > 1 {
		ws := l.pool.Get().(*workspace)
		defer l.pool.Put(ws)
		scratch = scratchT[T](ws, len(grad))
	}
	for i, t := range l.terms {
		dst := grad
		if i > 0 && grad != nil {
			dst = scratch
		}
		v, err := Eval(t.loss, dst, b)
		if err != nil {
			return 0, fmt.Errorf("segloss: %s: part %d: %w", l, i, err)
		}
		total += t.weight * v
		if grad == nil {
			continue
		}
		if i == 0 {
			scaleGrad(grad, t.weight)
			continue
		}
		for j, s := range scratch {
			grad[j] += T(t.weight * float64(s))
		}
	}
	return total, finite(l, total, b.Shape)
}

// perSampleSum is PerSampleLoss of a weighted sum.
func perSampleSum[T Float](dst []float64, l *Loss, b Batch[T]) error {
	part := make([]float64, len(dst))
	clear(dst)
	for _, t := range l.terms {
		if err := PerSampleLoss(part, t.loss, b); err != nil {
			return err
		}
		for i, v := range part {
			dst[i] += t.weight * v
		}
	}
	return nil
}

// sumString renders a weighted sum as ParseSum reads it.
func (l *Loss) sumString() string {
	parts := make([]string, len(l.terms))
	for i, t := range l.terms {
		s := t.loss.String()
		if t.weight != 1 {
			s = strconv.FormatFloat(t.weight, 'g', -1, 64) + "*" + s
		}
		parts[i] = s
	}
	return strings.Join(parts, "+")
}

// SplitSum splits a weighted-sum spec into its terms as written (each
// "weight*name:options" or "name:options"), at the '+' signs that start a
// new term; a single loss gives one piece. Joining the pieces with "+"
// gives the spec back.
func SplitSum(spec string) []string { return splitSum(spec) }

// splitSum splits a spec at the '+' signs that start a new term: outside
// brackets and followed by a loss name or by "weight*" (so that the '+' of
// "1e+5" stays in its number). It returns one piece for a single loss.
func splitSum(spec string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(spec); i++ {
		switch spec[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '+':
			if depth == 0 && startsTerm(spec[i+1:]) {
				out = append(out, spec[start:i])
				start = i + 1
			}
		}
	}
	return append(out, spec[start:])
}

// startsTerm reports whether s begins a term: a letter, or a number then '*'.
func startsTerm(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true // "dice+" is an empty term: an error, reported by the parser
	}
	if c := s[0]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
		return true
	}
	w, _, ok := strings.Cut(s, "*")
	if !ok {
		return false
	}
	_, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
	return err == nil
}

// parseSum builds a weighted sum from the pieces of splitSum.
func parseSum(spec string, pieces []string) (*Loss, error) {
	weights := make([]float64, len(pieces))
	losses := make([]*Loss, len(pieces))
	for i, p := range pieces {
		p = strings.TrimSpace(p)
		weights[i] = 1
		if w, rest, ok := strings.Cut(p, "*"); ok && !strings.ContainsAny(w, ":=[") {
			f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil {
				return nil, &OptionError{Err: fmt.Errorf("spec %q: weight %q of term %d is not a number", spec, w, i+1)}
			}
			weights[i], p = f, strings.TrimSpace(rest)
		}
		if p == "" {
			return nil, &OptionError{Err: fmt.Errorf("spec %q: term %d is empty", spec, i+1)}
		}
		l, err := parseOne(p) // a term is one loss: no recursion into sums
		if err != nil {
			return nil, err
		}
		losses[i] = l
	}
	return NewSum(weights, losses)
}
