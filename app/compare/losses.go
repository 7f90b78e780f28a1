package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segloss/segloss"
)

// DefaultLosses is the loss set of the classic guide to segmentation
// losses: binary cross-entropy, focal, Dice, Dice+BCE, Jaccard and Tversky.
var DefaultLosses = []string{"bce", "focal_sigmoid", "dice", "dice_bce", "jaccard", "tversky"}

// maxSweep bounds the number of values one sweep may expand to.
const maxSweep = 50

// ParseLosses expands the sweeps of specs (see Expand) and parses every
// resulting spec once with the core registry (segloss.Parse, whose errors
// list the valid names and options), rejecting duplicates: two specs of
// the same loss (same Loss.String(), "dice" and "dice:smooth=1e-6") are
// one. No specs means DefaultLosses.
func ParseLosses(specs []string) ([]*segloss.Loss, error) {
	if len(specs) == 0 {
		specs = DefaultLosses
	}
	var out []*segloss.Loss
	seen := map[string]bool{}
	for _, s := range specs {
		expanded, err := Expand(s)
		if err != nil {
			return nil, err
		}
		for _, e := range expanded {
			l, err := segloss.Parse(e)
			if err != nil {
				return nil, fmt.Errorf("loss %q: %w", e, err)
			}
			if seen[l.String()] {
				return nil, fmt.Errorf("loss %q is given twice", e)
			}
			seen[l.String()] = true
			out = append(out, l)
		}
	}
	return out, nil
}

// Names returns the spec of each loss (Loss.String()), the names of the runs.
func Names(losses []*segloss.Loss) []string {
	out := make([]string, len(losses))
	for i, l := range losses {
		out[i] = l.String()
	}
	return out
}

// Expand expands a sweep of one option into one spec per value. A value
// written FROM..TO/STEP (for example "tversky:alpha=0.1..0.9/0.2") takes
// every value from FROM to TO in steps of STEP; another option may follow
// it as 1-KEY ("beta=1-alpha"). A spec without a sweep is returned as is.
//
// In a weighted sum ("dice+topk_ce:k=5..20/5") one term may hold the sweep.
func Expand(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	if terms := segloss.SplitSum(spec); len(terms) > 1 {
		return expandSum(spec, terms)
	}
	name, pairs, err := segloss.SplitSpec(spec)
	if err != nil || !strings.Contains(spec, "..") {
		return []string{spec}, nil // Parse reports a bad spec
	}
	sweep := -1
	var values []float64
	for i, p := range pairs {
		_, v, _ := strings.Cut(p, "=")
		if !strings.Contains(v, "..") {
			continue
		}
		if sweep >= 0 {
			return nil, fmt.Errorf("loss %q: only one option may be swept", spec)
		}
		vals, err := sweepValues(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("loss %q: %w", spec, err)
		}
		sweep, values = i, vals
	}
	if sweep < 0 {
		return []string{spec}, nil // no value is a sweep; Parse reports what is wrong
	}
	key, _, _ := strings.Cut(pairs[sweep], "=")
	key = strings.TrimSpace(key)
	out := make([]string, 0, len(values))
	for _, x := range values {
		parts := make([]string, len(pairs))
		for i, p := range pairs {
			k, v, _ := strings.Cut(p, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case i == sweep:
				v = formatValue(x)
			case v == "1-"+key:
				v = formatValue(1 - x)
			}
			parts[i] = k + "=" + v
		}
		out = append(out, string(name)+":"+strings.Join(parts, ","))
	}
	return out, nil
}

// expandSum expands the one swept term of a weighted sum.
func expandSum(spec string, terms []string) ([]string, error) {
	swept := -1
	var values []string
	for i, t := range terms {
		e, err := Expand(t)
		if err != nil {
			return nil, err
		}
		if len(e) == 1 && e[0] == strings.TrimSpace(t) {
			continue
		}
		if swept >= 0 {
			return nil, fmt.Errorf("loss %q: only one option may be swept", spec)
		}
		swept, values = i, e
	}
	if swept < 0 {
		return []string{spec}, nil
	}
	out := make([]string, len(values))
	for k, v := range values {
		parts := append([]string(nil), terms...)
		parts[swept] = v
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		out[k] = strings.Join(parts, "+")
	}
	return out, nil
}

// sweepValues parses FROM..TO/STEP.
func sweepValues(v string) ([]float64, error) {
	rng, stepText, ok := strings.Cut(v, "/")
	from, to, ok2 := strings.Cut(rng, "..")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(from), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(to), 64)
	step, err3 := strconv.ParseFloat(strings.TrimSpace(stepText), 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return nil, fmt.Errorf("sweep %q: want FROM..TO/STEP, for example 0.1..0.9/0.2", v)
	}
	if !(step > 0) || !(b >= a) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return nil, fmt.Errorf("sweep %q: want FROM <= TO and STEP > 0", v)
	}
	n := int(math.Floor((b-a)/step+1e-9)) + 1
	if n > maxSweep {
		return nil, fmt.Errorf("sweep %q: %d values; at most %d", v, n, maxSweep)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = a + float64(i)*step
	}
	return out, nil
}

// formatValue writes a swept value without floating-point noise.
func formatValue(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e9)/1e9, 'g', -1, 64)
}
