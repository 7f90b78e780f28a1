package cli

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/segloss/segloss/maskio"
	"github.com/segloss/segloss/metric"
	"github.com/segloss/segloss/metric/surface"
)

// caseResult is what one pair contributes: confusion counts per label and
// the surface metric values per label.
type caseResult struct {
	evalPair
	Shape   []int
	Spacing []float64
	Voxels  int64
	Labels  []int32         // the labels evaluated: the chosen ones, or every non-zero one present
	Counts  []metric.Counts // per Labels entry
	Surface [][]float64     // [label][metric], NaN for overlap metrics
	Empty   []bool          // per Labels entry: absent from both masks
	// TruthSet and PredSet are the distinct labels of the two masks.
	TruthSet, PredSet []int32
}

// evalCase reads one pair and computes its counts and surface metrics.
func evalCase(p evalPair, cfg *evalConfig) (*caseResult, error) {
	truth, err := cfg.read.Read(p.Truth)
	if err != nil {
		return nil, err
	}
	pred, err := cfg.read.Read(p.Pred)
	if err != nil {
		return nil, err
	}
	if !pred.SameShape(truth) {
		return nil, fmt.Errorf("%s: shape %v differs from its truth %s, shape %v", p.Pred, pred.Shape, p.Truth, truth.Shape)
	}
	tl, err := cfg.rule.Labels(truth)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Truth, err)
	}
	pl, err := predLabels(pred, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Pred, err)
	}
	spacing := truth.Spacing
	if cfg.spacing != nil {
		if len(cfg.spacing) != len(truth.Shape) && len(cfg.spacing) != 1 {
			return nil, fmt.Errorf("%s: --spacing has %d values, the image has %d axes", p.Truth, len(cfg.spacing), len(truth.Shape))
		}
		spacing = make([]float64, len(truth.Shape))
		for i := range spacing {
			spacing[i] = cfg.spacing[min(i, len(cfg.spacing)-1)]
		}
	}
	labels := cfg.classes
	if labels == nil {
		labels = foregroundLabels(pl, tl)
	}
	counts, err := metric.CountLabels(pl, tl, labels)
	if err != nil {
		return nil, err
	}
	r := &caseResult{evalPair: p, Shape: truth.Shape, Spacing: spacing, Voxels: int64(len(tl)),
		Labels: labels, Counts: counts, Surface: make([][]float64, len(labels)), Empty: make([]bool, len(labels)),
		TruthSet: labelSet(tl), PredSet: labelSet(pl)}
	for k, c := range labels {
		r.Empty[k] = counts[k].Empty()
		if r.Surface[k], err = surfaceValues(pl, tl, c, r.Shape, spacing, cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Truth, err)
		}
	}
	return r, nil
}

// predLabels returns the prediction as labels: thresholded at cfg.threshold
// when it is a probability map (--prob, or values that are not all
// integers), its integer values read by the mask-value rule otherwise. With --prob, grey PNG levels are
// scaled to 0..1 first.
func predLabels(pred *maskio.Image, cfg *evalConfig) ([]int32, error) {
	if !cfg.prob {
		if allIntegers(pred.Data) {
			return cfg.rule.Labels(pred)
		}
		return metric.Threshold(pred.Data, cfg.threshold), nil
	}
	t := cfg.threshold
	if pred.Bits > 0 {
		t *= math.Exp2(float64(pred.Bits)) - 1
	}
	return metric.Threshold(pred.Data, t), nil
}

// foregroundLabels returns the sorted non-zero labels present in a or b.
func foregroundLabels(a, b []int32) []int32 {
	seen := map[int32]bool{}
	for _, s := range [][]int32{a, b} {
		for _, v := range s {
			if v != 0 {
				seen[v] = true
			}
		}
	}
	out := make([]int32, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// surfaceValues returns the value of each metric of cfg for label c, NaN
// for the overlap metrics (computed from the counts later), or nil when no
// surface metric is asked for.
func surfaceValues(pl, tl []int32, c int32, shape []int, spacing []float64, cfg *evalConfig) ([]float64, error) {
	if !cfg.needSurface {
		return nil, nil
	}
	pm, tm := make([]bool, len(pl)), make([]bool, len(tl))
	for i := range pl {
		pm[i], tm[i] = pl[i] == c, tl[i] == c
	}
	ab, ba, err := surface.DistancesMetric(pm, tm, shape, spacing, cfg.edtWorkers, cfg.distance)
	if err != nil {
		return nil, err
	}
	bothEmpty := len(ab)+len(ba) == 0
	var rowErr error
	row := surfaceRow(cfg, func(m evalMetric) float64 {
		switch {
		case m.kind == "biou":
			v, err := surface.BoundaryIoU(pm, tm, shape, int(m.p))
			rowErr = errors.Join(rowErr, err)
			return v
		case m.kind == "nsd" && cfg.subvoxels:
			v, err := surface.SurfaceDiceSubvoxel(pm, tm, shape, spacing, cfg.tolerance)
			rowErr = errors.Join(rowErr, err)
			return v
		case m.kind == "cldice":
			v, err := surface.CLDice(pm, tm, shape)
			rowErr = errors.Join(rowErr, err)
			return v
		case bothEmpty && !m.undefinedWhenEmpty() && cfg.policy.MONAI():
			// MONAI: the distances of two empty masks are NaN.
			return math.NaN()
		}
		return m.surfaceValue(ab, ba, cfg.tolerance)
	})
	return row, rowErr
}

// surfaceRow returns one value per metric of cfg: value(m) for surface
// metrics, NaN for overlap metrics (computed from the counts later).
func surfaceRow(cfg *evalConfig, value func(evalMetric) float64) []float64 {
	out := make([]float64, len(cfg.metrics))
	for i, m := range cfg.metrics {
		out[i] = math.NaN()
		if m.overlap < 0 {
			out[i] = value(m)
		}
	}
	return out
}
