package segloss

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// optKey is one option key of the spec strings, with everything the
// package does with it: the text it parses and prints, the check of its
// value, its default, and whether an Options field is at its zero value
// (which New reads as "the loss's default" unless the key was set).
type optKey struct {
	key string
	// def is the key's default text for losses that do not give their own.
	def func(d *descriptor) string
	// parse sets the key in o from its text; null is "null", "none" or "".
	parse func(d *descriptor, o *Options, v string) error
	// format renders the key of o as spec text.
	format func(o *Options) string
	// zero reports whether the fields of the key in o are all zero.
	zero func(o *Options) bool
	// check validates the key's value for loss d (nil: any value is valid).
	check func(d *descriptor, o *Options) error
}

// optKeys is the table of every option key; index i is bit i of Options.set.
var optKeys = []optKey{
	enumKey("mode", "binary", func(o *Options) *Mode { return &o.Mode }, Binary, Multilabel, Multiclass),
	boolKey("from_logits", func(o *Options) *bool { return &o.FromLogits }),
	numKey("smooth", "1e-6", func(o *Options) *float64 { return &o.Smooth }, nonNeg),
	{
		key: "eps",
		def: func(d *descriptor) string {
			if d.kind == kindPixel {
				return "1e-7"
			}
			return "0"
		},
		parse:  parseNum(func(o *Options) *float64 { return &o.Eps }),
		format: func(o *Options) string { return fmtNum(o.Eps) },
		zero:   func(o *Options) bool { return o.Eps == 0 },
		check: func(d *descriptor, o *Options) error {
			if err := nonNeg(o.Eps); err != nil {
				return err
			}
			if d.probClip && o.Eps >= 0.5 {
				return fmt.Errorf("a probability clip must be < 0.5")
			}
			return nil
		},
	},
	numKey("log_eps", "0", func(o *Options) *float64 { return &o.LogEps }, nonNeg),
	{
		key: "reduction",
		def: func(d *descriptor) string { return string(d.reductions()[0]) },
		parse: func(_ *descriptor, o *Options, v string) error {
			o.Reduction = Reduction(v)
			return nil
		},
		format: func(o *Options) string { return string(o.Reduction) },
		zero:   func(o *Options) bool { return o.Reduction == "" },
		check: func(d *descriptor, o *Options) error {
			for _, r := range d.reductions() {
				if o.Reduction == r {
					return nil
				}
			}
			return fmt.Errorf("want one of %v", d.reductions())
		},
	},
	{
		key: "classes",
		def: func(*descriptor) string { return "all" },
		parse: func(_ *descriptor, o *Options, v string) error {
			o.PresentOnly = false
			switch {
			case isNull(v) || v == "all":
				o.Classes = nil
			case v == "present":
				o.Classes, o.PresentOnly = nil, true
			default:
				f, err := parseList(v)
				if err != nil {
					return err
				}
				o.Classes = make([]int, len(f))
				for i, x := range f {
					if x != float64(int(x)) {
						return fmt.Errorf("class %v is not an integer", x)
					}
					o.Classes[i] = int(x)
				}
			}
			return nil
		},
		format: func(o *Options) string {
			if o.PresentOnly {
				return "present"
			}
			if o.Classes == nil {
				return "all"
			}
			s := make([]string, len(o.Classes))
			for i, c := range o.Classes {
				s[i] = strconv.Itoa(c)
			}
			return "[" + strings.Join(s, ",") + "]"
		},
		zero: func(o *Options) bool { return o.Classes == nil && !o.PresentOnly },
		check: func(_ *descriptor, o *Options) error {
			if o.Classes != nil && len(o.Classes) == 0 {
				return fmt.Errorf("classes is empty: list at least one class, or leave it unset for all")
			}
			for _, c := range o.Classes {
				if c < 0 {
					return fmt.Errorf("class indices must be >= 0")
				}
			}
			return nil
		},
	},
	{
		key: "class_weights",
		def: func(*descriptor) string { return "null" },
		parse: func(_ *descriptor, o *Options, v string) error {
			if isNull(v) {
				o.ClassWeights = nil
				return nil
			}
			f, err := parseList(v)
			if err != nil {
				return err
			}
			o.ClassWeights = f
			return nil
		},
		format: func(o *Options) string {
			if o.ClassWeights == nil {
				return "null"
			}
			s := make([]string, len(o.ClassWeights))
			for i, c := range o.ClassWeights {
				s[i] = fmtNum(c)
			}
			return "[" + strings.Join(s, ",") + "]"
		},
		zero: func(o *Options) bool { return o.ClassWeights == nil },
		check: func(_ *descriptor, o *Options) error {
			for _, w := range o.ClassWeights {
				if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
					return fmt.Errorf("weights must be finite and >= 0")
				}
			}
			return nil
		},
	},
	{
		key: "ignore_index",
		def: func(*descriptor) string { return "null" },
		parse: func(_ *descriptor, o *Options, v string) error {
			if isNull(v) {
				o.Ignore, o.IgnoreIndex = false, 0
				return nil
			}
			i, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not an integer: %w", err)
			}
			o.Ignore, o.IgnoreIndex = true, i
			return nil
		},
		format: func(o *Options) string {
			if !o.Ignore {
				return "null"
			}
			return strconv.Itoa(o.IgnoreIndex)
		},
		zero: func(o *Options) bool { return !o.Ignore && o.IgnoreIndex == 0 },
	},
	boolKey("squared", func(o *Options) *bool { return &o.Squared }),
	enumKey("tp_form", "product", func(o *Options) *TPForm { return &o.TPForm }, Product, L1),
	boolKey("empty_zero", func(o *Options) *bool { return &o.EmptyZero }),
	boolKey("log_loss", func(o *Options) *bool { return &o.LogLoss }),
	numKey("label_smoothing", "0", func(o *Options) *float64 { return &o.LabelSmoothing }, func(v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("must be in [0, 1]")
		}
		return nil
	}),
	{
		key: "pos_weight",
		def: func(*descriptor) string { return "1" },
		parse: func(d *descriptor, o *Options, v string) error {
			if isNull(v) {
				o.PosWeight = 1
				return nil
			}
			return parseNum(func(o *Options) *float64 { return &o.PosWeight })(d, o, v)
		},
		format: func(o *Options) string { return fmtNum(o.PosWeight) },
		zero:   func(o *Options) bool { return o.PosWeight == 0 },
		check:  func(_ *descriptor, o *Options) error { return nonNeg(o.PosWeight) },
	},
	{
		key: "alpha",
		def: func(*descriptor) string { return "0.5" },
		parse: func(d *descriptor, o *Options, v string) error {
			if isNull(v) && d.alphaNull {
				o.Alpha = NoAlpha
				return nil
			}
			return parseNum(func(o *Options) *float64 { return &o.Alpha })(d, o, v)
		},
		format: func(o *Options) string {
			if o.Alpha < 0 {
				return "null"
			}
			return fmtNum(o.Alpha)
		},
		zero: func(o *Options) bool { return o.Alpha == 0 },
		check: func(d *descriptor, o *Options) error {
			if math.IsNaN(o.Alpha) || math.IsInf(o.Alpha, 0) {
				return fmt.Errorf("must be finite")
			}
			if !d.alphaNull && o.Alpha < 0 {
				return fmt.Errorf("must be >= 0")
			}
			return nil
		},
	},
	numKey("beta", "0.5", func(o *Options) *float64 { return &o.Beta }, nonNeg),
	numKey("gamma", "2", func(o *Options) *float64 { return &o.Gamma }, nonNeg),
	enumKey("pt_form", "linear", func(o *Options) *PtForm { return &o.PtForm }, PtLinear, PtExp),
	enumKey("form", "elementwise", func(o *Options) *FocalForm { return &o.Form }, Elementwise, MeanBCE),
	enumKey("w_type", "square", func(o *Options) *WType { return &o.WType }, WSquare, WSimple, WUniform),
	boolKey("per_image", func(o *Options) *bool { return &o.PerImage }),
	numKey("bce_weight", "1", func(o *Options) *float64 { return &o.BCEWeight }, nonNeg),
	numKey("dice_weight", "1", func(o *Options) *float64 { return &o.DiceWeight }, nonNeg),
	// The second loss family.
	numKey("delta", "0.7", func(o *Options) *float64 { return &o.Delta }, unitInterval),
	numKey("k", "10", func(o *Options) *float64 { return &o.K }, func(v float64) error {
		if !(v > 0 && v <= 100) {
			return fmt.Errorf("must be a percentage in (0, 100]")
		}
		return nil
	}),
	{
		key: "iter_",
		def: func(*descriptor) string { return "3" },
		parse: func(_ *descriptor, o *Options, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
				return fmt.Errorf("not an integer")
			}
			o.Iter = int(f)
			return nil
		},
		format: func(o *Options) string { return strconv.Itoa(o.Iter) },
		zero:   func(o *Options) bool { return o.Iter == 0 },
		check: func(_ *descriptor, o *Options) error {
			if o.Iter < 0 || o.Iter > 1000 {
				return fmt.Errorf("must be in [0, 1000]")
			}
			return nil
		},
	},
	numKey("ce_ratio", "0.5", func(o *Options) *float64 { return &o.CERatio }, unitInterval),
	numKey("r", "0.1", func(o *Options) *float64 { return &o.R }, unitInterval),
	numKey("weight", "0.5", func(o *Options) *float64 { return &o.Weight }, unitInterval),
	enumKey("focal_form", "sigmoid", func(o *Options) *FocalTerm { return &o.FocalTerm }, FocalSigmoidTerm, FocalSoftmaxTerm),
	numKey("focal_weight", "1", func(o *Options) *float64 { return &o.FocalWeight }, nonNeg),
	{
		key: "dist_matrix",
		def: func(*descriptor) string { return "null" },
		parse: func(_ *descriptor, o *Options, v string) error {
			if isNull(v) {
				o.DistMatrix = nil
				return nil
			}
			m, err := parseMatrix(v)
			if err != nil {
				return err
			}
			o.DistMatrix = m
			return nil
		},
		format: func(o *Options) string {
			if o.DistMatrix == nil {
				return "null"
			}
			rows := make([]string, len(o.DistMatrix))
			for i, r := range o.DistMatrix {
				rows[i] = fmtList(r)
			}
			return "[" + strings.Join(rows, ",") + "]"
		},
		zero:  func(o *Options) bool { return o.DistMatrix == nil },
		check: func(_ *descriptor, o *Options) error { return checkDistMatrix(o.DistMatrix) },
	},
	enumKey("weighting_mode", "default", func(o *Options) *Weighting { return &o.WeightingMode }, WeightDefault, WeightGDL),
	{
		key: "spacing",
		def: func(*descriptor) string { return "null" },
		parse: func(_ *descriptor, o *Options, v string) error {
			if isNull(v) {
				o.Spacing = nil
				return nil
			}
			f, err := parseList(v)
			if err != nil {
				return err
			}
			o.Spacing = f
			return nil
		},
		format: func(o *Options) string {
			if o.Spacing == nil {
				return "null"
			}
			return fmtList(o.Spacing)
		},
		zero: func(o *Options) bool { return o.Spacing == nil },
		check: func(_ *descriptor, o *Options) error {
			for _, v := range o.Spacing {
				if !(v > 0) || math.IsInf(v, 0) {
					return fmt.Errorf("every voxel size must be finite and > 0")
				}
			}
			return nil
		},
	},
}

// keyIndex maps an option key to its index in optKeys.
var keyIndex = func() map[string]int {
	m := make(map[string]int, len(optKeys))
	for i, k := range optKeys {
		m[k.key] = i
	}
	return m
}()

// allKeysSet marks every key of optKeys as set.
var allKeysSet = uint64(1)<<len(optKeys) - 1

func isNull(v string) bool { return v == "null" || v == "none" || v == "" }

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// nonNeg checks a finite number >= 0.
func nonNeg(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("must be a finite number >= 0")
	}
	return nil
}

func parseNum(field func(*Options) *float64) func(*descriptor, *Options, string) error {
	return func(_ *descriptor, o *Options, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("not a number: %w", err)
		}
		*field(o) = f
		return nil
	}
}

// numKey is a float key with a fixed default and a range check.
func numKey(key, def string, field func(*Options) *float64, check func(float64) error) optKey {
	return optKey{
		key:    key,
		def:    func(*descriptor) string { return def },
		parse:  parseNum(field),
		format: func(o *Options) string { return fmtNum(*field(o)) },
		zero:   func(o *Options) bool { return *field(o) == 0 },
		check:  func(_ *descriptor, o *Options) error { return check(*field(o)) },
	}
}

// boolKey is a true/false key whose default is false unless the loss says otherwise.
func boolKey(key string, field func(*Options) *bool) optKey {
	return optKey{
		key: key,
		def: func(*descriptor) string { return "false" },
		parse: func(_ *descriptor, o *Options, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("not true or false: %w", err)
			}
			*field(o) = b
			return nil
		},
		format: func(o *Options) string { return strconv.FormatBool(*field(o)) },
		zero:   func(o *Options) bool { return !*field(o) },
	}
}

// enumKey is a key with a fixed set of text values.
func enumKey[E ~string](key, def string, field func(*Options) *E, valid ...E) optKey {
	return optKey{
		key: key,
		def: func(*descriptor) string { return def },
		parse: func(_ *descriptor, o *Options, v string) error {
			*field(o) = E(v)
			return nil
		},
		format: func(o *Options) string { return string(*field(o)) },
		zero:   func(o *Options) bool { return *field(o) == "" },
		check: func(_ *descriptor, o *Options) error {
			v := *field(o)
			for _, w := range valid {
				if v == w {
					return nil
				}
			}
			s := make([]string, len(valid))
			for i, w := range valid {
				s[i] = string(w)
			}
			return fmt.Errorf("want %s", orList(s))
		},
	}
}

// orList writes "a or b" and "a, b or c".
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func parseList(s string) ([]float64, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("want a list such as [1,2]")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if s == "" {
		return []float64{}, nil
	}
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number: %w", strings.TrimSpace(f), err)
		}
		out = append(out, v)
	}
	return out, nil
}
