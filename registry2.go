package segloss

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The second loss family (golden2 conventions): families, option keys,
// defaults, and the parsing, printing and checking of their new options.

const kindFamily2 lossKind = 100 // evaluated by evalFamily2

// family2Kinds lists the losses of the second family.
var family2Kinds = map[string]lossKind{
	"dice_focal": kindFamily2, "generalized_dice_focal": kindFamily2, "topk_ce": kindPixel,
	"boundary": kindFamily2, "hausdorff_dt": kindFamily2, "log_hausdorff_dt": kindFamily2,
	"cldice": kindFamily2, "dice_cldice": kindFamily2,
	"asymmetric_focal": kindFamily2, "asymmetric_focal_tversky": kindFamily2, "unified_focal": kindFamily2,
	"combo": kindFamily2, "sensitivity_specificity": kindFamily2, "generalized_wasserstein_dice": kindFamily2,
}

// family2Options lists, per loss of the second family, the option keys it
// reads, in the order of the golden2 cases.
var family2Options = map[string][]string{
	"dice_focal":                   {"mode", "from_logits", "smooth", "reduction", "gamma", "alpha", "focal_form", "dice_weight", "focal_weight", "classes", "class_weights", "ignore_index"},
	"generalized_dice_focal":       {"mode", "from_logits", "smooth", "w_type", "reduction", "gamma", "alpha", "focal_form", "dice_weight", "focal_weight", "classes", "class_weights", "ignore_index"},
	"topk_ce":                      {"k", "class_weights", "ignore_index", "label_smoothing", "from_logits"},
	"boundary":                     {"mode", "from_logits", "classes", "spacing"},
	"hausdorff_dt":                 {"mode", "from_logits", "alpha", "classes", "spacing"},
	"log_hausdorff_dt":             {"mode", "from_logits", "alpha", "classes", "spacing"},
	"cldice":                       {"mode", "from_logits", "iter_", "smooth", "reduction", "classes"},
	"dice_cldice":                  {"mode", "from_logits", "iter_", "alpha", "smooth", "reduction", "classes"},
	"asymmetric_focal":             {"mode", "from_logits", "delta", "gamma", "eps", "ignore_index"},
	"asymmetric_focal_tversky":     {"mode", "from_logits", "delta", "gamma", "eps", "smooth", "reduction", "ignore_index"},
	"unified_focal":                {"mode", "from_logits", "weight", "delta", "gamma", "eps", "smooth", "reduction", "ignore_index"},
	"combo":                        {"mode", "from_logits", "ce_ratio", "alpha", "smooth", "eps", "reduction", "ignore_index"},
	"sensitivity_specificity":      {"mode", "from_logits", "r", "smooth", "reduction", "classes", "ignore_index"},
	"generalized_wasserstein_dice": {"dist_matrix", "weighting_mode", "from_logits", "smooth", "reduction", "ignore_index"},
}

// isFamily2 reports whether the named loss belongs to the second family.
func isFamily2(name string) bool { _, ok := family2Kinds[name]; return ok }

// nullAlpha reports whether alpha = null (stored as -1: no weighting) is
// valid for the named loss.
func nullAlpha(name string) bool {
	switch name {
	case "focal_sigmoid", "dice_focal", "generalized_dice_focal", "combo":
		return true
	}
	return false
}

// family2Defaults sets the defaults of a second-family loss on o (which
// holds the common defaults); other names are left alone. The defaults are
// those of the peer each loss is modelled on (MONAI, nnU-Net, mlyg,
// SegLoss), translated as the golden2 conventions say.
func family2Defaults(name string, o *Options) {
	if !isFamily2(name) {
		return
	}
	o.Smooth, o.Eps, o.Reduction = 1e-5, 1e-7, PerSample
	switch name {
	case "dice_focal", "generalized_dice_focal": // MONAI DiceFocalLoss / GeneralizedDiceFocalLoss
		o.FromLogits, o.Gamma, o.Alpha, o.FocalForm, o.DiceWeight, o.FocalWeight = true, 2, -1, "sigmoid", 1, 1
		if name == "generalized_dice_focal" {
			o.Mode, o.WType = Multiclass, "square"
		}
	case "topk_ce": // nnU-Net TopKLoss
		o.Mode, o.FromLogits, o.K, o.Ignore, o.IgnoreIndex = Multiclass, true, 10, true, -100
	case "boundary": // LIVIAETS SurfaceLoss on probabilities
	case "hausdorff_dt", "log_hausdorff_dt": // MONAI HausdorffDTLoss
		o.Alpha = 2
	case "cldice", "dice_cldice": // MONAI SoftclDiceLoss / SoftDiceclDiceLoss
		o.Iter, o.Smooth, o.Reduction, o.Alpha = 3, 1, Global, 0.5
	case "asymmetric_focal": // MONAI AsymmetricFocalLoss
		o.Delta, o.Gamma = 0.7, 2
	case "asymmetric_focal_tversky": // MONAI AsymmetricFocalTverskyLoss (epsilon = eps = smooth)
		o.Delta, o.Gamma, o.Smooth = 0.7, 0.75, 1e-7
	case "unified_focal": // MONAI AsymmetricUnifiedFocalLoss
		o.Weight, o.Delta, o.Gamma, o.Smooth = 0.5, 0.7, 0.5, 1e-7
	case "combo": // mlyg combo_loss(alpha=0.5, beta=0.5)
		o.CERatio, o.Alpha, o.Smooth = 0.5, 0.5, 1
	case "sensitivity_specificity": // SegLoss SSLoss
		o.R, o.Smooth = 0.1, 1
	case "generalized_wasserstein_dice": // MONAI GeneralizedWassersteinDiceLoss
		o.Mode, o.FromLogits, o.WeightingMode = Multiclass, true, "default"
	}
}

// fixedMode returns the mode a second-family loss always runs in, or "".
func fixedMode(name string) Mode {
	if name == "topk_ce" || name == "generalized_wasserstein_dice" {
		return Multiclass
	}
	return ""
}

// setOption2 sets the options of the second family (SetOption's tail).
func setOption2(o *Options, key, value string, bad func(error) error) error {
	num := func(dst *float64) error {
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return bad(fmt.Errorf("not a number"))
		}
		*dst = f
		return nil
	}
	switch key {
	case "delta":
		return num(&o.Delta)
	case "k":
		return num(&o.K)
	case "ce_ratio":
		return num(&o.CERatio)
	case "r":
		return num(&o.R)
	case "weight":
		return num(&o.Weight)
	case "focal_weight":
		return num(&o.FocalWeight)
	case "iter_":
		i, err := strconv.Atoi(value)
		if err != nil {
			f, ferr := strconv.ParseFloat(value, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
				return bad(fmt.Errorf("not an integer"))
			}
			i = int(f)
		}
		o.Iter = i
	case "focal_form":
		o.FocalForm = value
	case "spacing":
		if value == "null" || value == "none" || value == "" {
			o.Spacing = nil
			return nil
		}
		f, err := parseList(value)
		if err != nil {
			return bad(err)
		}
		o.Spacing = f
	case "weighting_mode":
		o.WeightingMode = value
	case "dist_matrix":
		if value == "null" || value == "none" || value == "" {
			o.DistMatrix = nil
			return nil
		}
		m, err := parseMatrix(value)
		if err != nil {
			return bad(err)
		}
		o.DistMatrix = m
	}
	return nil
}

// parseMatrix reads "[[a,b],[c,d]]".
func parseMatrix(s string) ([][]float64, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("want a matrix such as [[0,1],[1,0]]")
	}
	rows, err := splitSpec(s[1 : len(s)-1])
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

// formatOption2 renders the options of the second family.
func formatOption2(o *Options, key string) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch key {
	case "delta":
		return f(o.Delta)
	case "k":
		return f(o.K)
	case "ce_ratio":
		return f(o.CERatio)
	case "r":
		return f(o.R)
	case "weight":
		return f(o.Weight)
	case "focal_weight":
		return f(o.FocalWeight)
	case "iter_":
		return strconv.Itoa(o.Iter)
	case "focal_form":
		return o.FocalForm
	case "spacing":
		if o.Spacing == nil {
			return "null"
		}
		s := make([]string, len(o.Spacing))
		for i, v := range o.Spacing {
			s[i] = f(v)
		}
		return "[" + strings.Join(s, ",") + "]"
	case "weighting_mode":
		return o.WeightingMode
	case "dist_matrix":
		if o.DistMatrix == nil {
			return "null"
		}
		rows := make([]string, len(o.DistMatrix))
		for i, r := range o.DistMatrix {
			s := make([]string, len(r))
			for j, v := range r {
				s[j] = f(v)
			}
			rows[i] = "[" + strings.Join(s, ",") + "]"
		}
		return "[" + strings.Join(rows, ",") + "]"
	}
	return ""
}

// validate2 checks the options of the second family.
func (o *Options) validate2(name string) error {
	if !isFamily2(name) {
		return nil
	}
	unit := func(key string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("option %s = %v: must be in [0, 1]", key, v)
		}
		return nil
	}
	has := optionSet(name)
	for _, f := range []struct {
		key string
		v   float64
	}{{"delta", o.Delta}, {"ce_ratio", o.CERatio}, {"r", o.R}, {"weight", o.Weight}} {
		if has[f.key] {
			if err := unit(f.key, f.v); err != nil {
				return err
			}
		}
	}
	if has["focal_weight"] {
		if err := finiteNonNeg("focal_weight", o.FocalWeight); err != nil {
			return err
		}
	}
	if has["k"] && !(o.K > 0 && o.K <= 100) {
		return fmt.Errorf("option k = %v: must be a percentage in (0, 100]", o.K)
	}
	if has["iter_"] && (o.Iter < 0 || o.Iter > 1000) {
		return fmt.Errorf("option iter_ = %d: must be in [0, 1000]", o.Iter)
	}
	if has["focal_form"] && o.FocalForm != "sigmoid" && o.FocalForm != "softmax" {
		return fmt.Errorf("option focal_form = %q: want sigmoid or softmax", o.FocalForm)
	}
	if has["focal_form"] && o.FocalForm == "softmax" && o.Mode != Multiclass {
		return fmt.Errorf("option focal_form = softmax needs mode multiclass, have %s", o.Mode)
	}
	if has["weighting_mode"] && o.WeightingMode != "default" && o.WeightingMode != "GDL" {
		return fmt.Errorf("option weighting_mode = %q: want default or GDL", o.WeightingMode)
	}
	if has["eps"] && o.Eps >= 0.5 {
		return fmt.Errorf("option eps = %v: a probability clip must be < 0.5", o.Eps)
	}
	if (name == "dice_cldice" || name == "combo" || name == "dice_focal" || name == "generalized_dice_focal") && o.Alpha > 1 {
		return fmt.Errorf("option alpha = %v: must be in [0, 1]", o.Alpha)
	}
	if (name == "dice_focal" || name == "generalized_dice_focal") && !o.FromLogits {
		return fmt.Errorf("%s needs from_logits=true (its focal term is always on logits)", name)
	}
	if (name == "asymmetric_focal" || name == "asymmetric_focal_tversky" || name == "unified_focal") && o.Mode == Multilabel {
		return fmt.Errorf("mode multilabel: %s needs binary (two channels [1-p, p]) or multiclass (channel 0 = background)", name)
	}
	for i, r := range o.DistMatrix {
		if len(r) != len(o.DistMatrix) {
			return fmt.Errorf("option dist_matrix: row %d has %d entries, the matrix has %d rows (want square)", i, len(r), len(o.DistMatrix))
		}
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("option dist_matrix: entries must be finite and >= 0, have %v", v)
			}
		}
	}
	for _, v := range o.Spacing {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("option spacing = %v: every voxel size must be finite and > 0", o.Spacing)
		}
	}
	if o.DistMatrix != nil {
		mx := 0.0
		for _, r := range o.DistMatrix {
			for _, v := range r {
				mx = math.Max(mx, v)
			}
		}
		if mx == 0 {
			return fmt.Errorf("option dist_matrix: every entry is 0 (the matrix is normalised by its maximum)")
		}
	}
	return nil
}
