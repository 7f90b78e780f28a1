package segloss

import (
	"fmt"
	"math"
	"strings"
)

// The second loss family (golden2 conventions): one descriptor per loss.
// The defaults are those of the peer each loss is modelled on (MONAI,
// nnU-Net, LIVIAETS, mlyg, SegLoss), translated as the conventions say
// (MONAI batch=False -> reduction per_sample, smooth_nr == smooth_dr).
func init() {
	f2 := general{evalFamily2[float32], evalFamily2[float64]}
	focalKeys := []string{"gamma", "alpha", "focal_form", "dice_weight", "focal_weight", "classes", "class_weights", "ignore_index"}
	focalDefaults := map[string]string{"from_logits": "true", "smooth": "1e-5", "reduction": "per_sample", "alpha": "null"}
	gdfDefaults := map[string]string{"mode": "multiclass"}
	for k, v := range focalDefaults {
		gdfDefaults[k] = v
	}
	region := []string{"mode", "from_logits"}
	register(
		&descriptor{name: DiceFocal, kind: kindMixed, alphaNull: true, eval: f2, fused: fusedDiceFocal, check: checkFamily2(DiceFocal),
			keys:     append(append([]string{}, region...), append([]string{"smooth", "reduction"}, focalKeys...)...),
			defaults: focalDefaults},
		&descriptor{name: GeneralizedDiceFocal, kind: kindMixed, alphaNull: true, eval: f2, fused: fusedDiceFocal, check: checkFamily2(GeneralizedDiceFocal),
			keys:     append(append([]string{}, region...), append([]string{"smooth", "w_type", "reduction"}, focalKeys...)...),
			defaults: gdfDefaults},
		&descriptor{name: TopKCE, kind: kindPixel, targetNoIgnore: true, eval: f2, fused: fusedTopK,
			keys:     []string{"k", "class_weights", "ignore_index", "label_smoothing", "from_logits"},
			defaults: map[string]string{"mode": "multiclass", "from_logits": "true", "ignore_index": "-100"}},
		&descriptor{name: Boundary, kind: kindMixed, eval: f2, fused: fusedDistance,
			keys: []string{"mode", "from_logits", "classes", "spacing"}},
		&descriptor{name: HausdorffDT, kind: kindMixed, eval: f2, fused: fusedDistance,
			keys: []string{"mode", "from_logits", "alpha", "classes", "spacing"}, defaults: map[string]string{"alpha": "2"}},
		&descriptor{name: LogHausdorffDT, kind: kindMixed, eval: f2, fused: fusedDistance,
			keys: []string{"mode", "from_logits", "alpha", "classes", "spacing"}, defaults: map[string]string{"alpha": "2"}},
		&descriptor{name: ClDice, kind: kindMixed, eval: f2, fused: fusedClDice,
			keys:     []string{"mode", "from_logits", "iter_", "smooth", "reduction", "classes"},
			defaults: map[string]string{"smooth": "1"}},
		&descriptor{name: DiceClDice, kind: kindMixed, eval: f2, fused: fusedClDice, check: checkFamily2(DiceClDice),
			keys:     []string{"mode", "from_logits", "iter_", "alpha", "smooth", "reduction", "classes"},
			defaults: map[string]string{"smooth": "1"}},
		&descriptor{name: AsymmetricFocal, kind: kindMixed, probClip: true, eval: f2, fused: fusedAsym, check: checkFamily2(AsymmetricFocal),
			keys:     []string{"mode", "from_logits", "delta", "gamma", "eps", "ignore_index"},
			defaults: map[string]string{"eps": "1e-7"}},
		&descriptor{name: AsymmetricFocalTversky, kind: kindMixed, probClip: true, eval: f2, fused: fusedAsym, check: checkFamily2(AsymmetricFocalTversky),
			keys:     []string{"mode", "from_logits", "delta", "gamma", "eps", "smooth", "reduction", "ignore_index"},
			defaults: map[string]string{"gamma": "0.75", "eps": "1e-7", "smooth": "1e-7", "reduction": "per_sample"}},
		&descriptor{name: UnifiedFocal, kind: kindMixed, probClip: true, eval: f2, fused: fusedAsym, check: checkFamily2(UnifiedFocal),
			keys:     []string{"mode", "from_logits", "weight", "delta", "gamma", "eps", "smooth", "reduction", "ignore_index"},
			defaults: map[string]string{"gamma": "0.5", "eps": "1e-7", "smooth": "1e-7", "reduction": "per_sample"}},
		&descriptor{name: Combo, kind: kindMixed, probClip: true, alphaNull: true, eval: f2, fused: fusedCombo, check: checkFamily2(Combo),
			keys:     []string{"mode", "from_logits", "ce_ratio", "alpha", "smooth", "eps", "reduction", "ignore_index"},
			defaults: map[string]string{"smooth": "1", "eps": "1e-7", "reduction": "per_sample"}},
		&descriptor{name: SensitivitySpecificity, kind: kindMixed, eval: f2, fused: fusedSensSpec,
			keys:     []string{"mode", "from_logits", "r", "smooth", "reduction", "classes", "ignore_index"},
			defaults: map[string]string{"smooth": "1", "reduction": "per_sample"}},
		&descriptor{name: GeneralizedWassersteinDice, kind: kindMixed, labelsOnly: true, eval: f2, fused: fusedWasserstein,
			keys:     []string{"dist_matrix", "weighting_mode", "from_logits", "smooth", "reduction", "ignore_index"},
			defaults: map[string]string{"mode": "multiclass", "from_logits": "true", "smooth": "1e-5", "reduction": "per_sample"}},
	)
}

// checkFamily2 returns the cross-key checks of a second-family loss.
func checkFamily2(name Name) func(o *Options) error {
	return func(o *Options) error {
		switch name {
		case DiceFocal, GeneralizedDiceFocal:
			if !o.FromLogits {
				return optionErr(name, "from_logits", "false", "%s needs from_logits=true (its focal term is always on logits)", name)
			}
			if o.FocalTerm == FocalSoftmaxTerm && o.Mode != Multiclass {
				return optionErr(name, "focal_form", "softmax", "focal_form=softmax needs mode multiclass, have %s", o.Mode)
			}
		case AsymmetricFocal, AsymmetricFocalTversky, UnifiedFocal:
			if o.Mode == Multilabel {
				return optionErr(name, "mode", "multilabel", "%s needs binary (two channels [1-p, p]) or multiclass (channel 0 = background)", name)
			}
		}
		if (name == DiceClDice || name == Combo || name == DiceFocal || name == GeneralizedDiceFocal) && o.Alpha > 1 {
			return optionErr(name, "alpha", fmtNum(o.Alpha), "alpha = %v: must be in [0, 1]", o.Alpha)
		}
		return nil
	}
}

// unitInterval checks a number in [0, 1].
func unitInterval(v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("must be in [0, 1]")
	}
	return nil
}

// fmtList renders a list of numbers as "[a,b]".
func fmtList(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmtNum(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// parseMatrix reads "[[a,b],[c,d]]".
func parseMatrix(s string) ([][]float64, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("want a matrix such as [[0,1],[1,0]]")
	}
	rows, err := splitTop(s[1:len(s)-1], ',')
	if err != nil {
		return nil, err
	}
	m := make([][]float64, 0, len(rows))
	for _, r := range rows {
		f, err := parseList(r)
		if err != nil {
			return nil, err
		}
		m = append(m, f)
	}
	return m, nil
}

// checkDistMatrix checks a class distance matrix: square, finite, >= 0,
// not all zero.
func checkDistMatrix(m [][]float64) error {
	if m == nil {
		return nil
	}
	mx := 0.0
	for i, r := range m {
		if len(r) != len(m) {
			return fmt.Errorf("row %d has %d entries, the matrix has %d rows (want square)", i, len(r), len(m))
		}
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("entries must be finite and >= 0, have %v", v)
			}
			mx = math.Max(mx, v)
		}
	}
	if mx == 0 {
		return fmt.Errorf("every entry is 0 (the matrix is normalised by its maximum)")
	}
	return nil
}
