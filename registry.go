package segloss

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

type lossKind int

const (
	kindPixel  lossKind = iota // per-element terms, then a mean or a sum
	kindRegion                 // a function of per-class region sums
	kindLovasz                 // sorted errors
	kindMixed                  // dice_bce
)

// lossKinds lists every registered loss and its family.
var lossKinds = map[string]lossKind{
	"bce": kindPixel, "bce_logits": kindPixel, "focal_keras": kindPixel, "focal_sigmoid": kindPixel,
	"focal_softmax": kindPixel, "cross_entropy": kindPixel,
	"dice": kindRegion, "jaccard": kindRegion, "tversky": kindRegion, "focal_tversky": kindRegion,
	"generalized_dice": kindRegion, "log_cosh_dice": kindRegion, "mcc": kindRegion,
	"lovasz_hinge": kindLovasz, "lovasz_softmax": kindLovasz,
	"dice_bce": kindMixed,
}

// lossOptions lists, per loss, the option keys it reads (the golden names).
var lossOptions = map[string][]string{
	"bce":              {"from_logits", "eps", "log_eps", "pos_weight", "label_smoothing", "ignore_index", "reduction"},
	"bce_logits":       {"from_logits", "eps", "log_eps", "pos_weight", "label_smoothing", "ignore_index", "reduction"},
	"focal_keras":      {"alpha", "gamma", "from_logits", "eps", "log_eps", "form", "ignore_index"},
	"focal_sigmoid":    {"alpha", "gamma", "pt_form", "from_logits", "eps", "ignore_index", "reduction"},
	"focal_softmax":    {"gamma", "class_weights", "from_logits", "ignore_index", "reduction"},
	"cross_entropy":    {"class_weights", "ignore_index", "label_smoothing", "from_logits", "reduction"},
	"dice":             {"mode", "from_logits", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "squared", "tp_form", "empty_zero", "log_loss"},
	"log_cosh_dice":    {"mode", "from_logits", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "squared", "tp_form", "empty_zero", "log_loss"},
	"jaccard":          {"mode", "from_logits", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "tp_form", "empty_zero", "log_loss"},
	"tversky":          {"mode", "from_logits", "alpha", "beta", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "empty_zero"},
	"focal_tversky":    {"mode", "from_logits", "alpha", "beta", "gamma", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index"},
	"generalized_dice": {"mode", "from_logits", "smooth", "w_type", "reduction", "classes", "ignore_index"},
	"mcc":              {"from_logits", "eps", "reduction", "ignore_index"},
	"dice_bce":         {"mode", "from_logits", "smooth", "eps", "reduction", "bce_weight", "dice_weight", "ignore_index", "class_weights"},
	"lovasz_hinge":     {"per_image", "ignore_index"},
	"lovasz_softmax":   {"from_logits", "classes", "per_image", "ignore_index"},
}

func init() {
	for name, keys := range family2Options {
		lossKinds[name] = family2Kinds[name]
		lossOptions[name] = keys
		optionSets[name] = map[string]bool{}
		for _, k := range keys {
			optionSets[name][k] = true
		}
	}
}

var optionSets = func() map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for name, keys := range lossOptions {
		m[name] = map[string]bool{}
		for _, k := range keys {
			m[name][k] = true
		}
	}
	return m
}()

func optionSet(name string) map[string]bool { return optionSets[name] }

// Names returns the names of every registered loss, sorted.
func Names() []string {
	names := make([]string, 0, len(lossKinds))
	for n := range lossKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OptionNames returns the option keys that the named loss reads, in the
// order of the golden conventions, or nil for an unknown loss.
func OptionNames(name string) []string {
	return append([]string(nil), lossOptions[name]...)
}

// DefaultOptions returns the default options of the named loss.
func DefaultOptions(name string) (Options, error) {
	if _, ok := lossKinds[name]; !ok {
		return Options{}, unknownLoss(name)
	}
	o := Options{
		Mode: Binary, Smooth: 1e-6, Reduction: Global, TPForm: Product,
		PosWeight: 1, Alpha: 0.5, Beta: 0.5, Gamma: 2, PtForm: "linear", Form: "elementwise",
		WType: "square", BCEWeight: 1, DiceWeight: 1,
	}
	switch name {
	case "bce", "bce_logits", "focal_keras", "focal_sigmoid", "focal_softmax", "cross_entropy":
		o.Reduction = Mean
		o.Eps = 1e-7
		o.FromLogits = name == "bce_logits" || name == "focal_sigmoid" || name == "focal_softmax" || name == "cross_entropy"
	}
	switch name {
	case "focal_keras":
		o.Alpha = 0.8
	case "focal_sigmoid":
		o.Alpha = 0.25
	case "focal_softmax", "cross_entropy":
		o.Mode = Multiclass
		if name == "cross_entropy" {
			o.Ignore, o.IgnoreIndex = true, -100
		}
	case "focal_tversky":
		o.Gamma = 0.75
	case "generalized_dice":
		o.Mode, o.FromLogits = Multiclass, true
	case "mcc":
		o.Eps = 1e-5
	case "dice_bce":
		o.FromLogits, o.Eps = true, 1e-7
	case "lovasz_softmax":
		o.Mode, o.FromLogits, o.PresentOnly = Multiclass, true, true
	case "lovasz_hinge":
		o.FromLogits = true
	}
	family2Defaults(name, &o)
	return o, nil
}

func unknownLoss(name string) error {
	return fmt.Errorf("segloss: unknown loss %q; valid losses: %s", name, strings.Join(Names(), ", "))
}

// Loss is a configured loss function: a name and its options. It is safe
// for concurrent use; scratch memory is pooled, so repeated calls of the
// same shape do not allocate.
type Loss struct {
	name string
	opts Options
	pool sync.Pool // *workspace
	once sync.Once
	sub  [2]*Loss  // the terms of dice_bce, the region part of dice_focal, dice_cldice, generalized_dice_focal
	maps *MapCache // distance maps of targets (SetMapCache), or nil
	// terms, when not nil, make the loss a weighted sum (ParseSum).
	terms []sumTerm
}

// New returns the named loss with the given options; nil opts means the
// loss's defaults (see DefaultOptions). The options are copied.
func New(name string, opts *Options) (*Loss, error) {
	if _, ok := lossKinds[name]; !ok {
		return nil, unknownLoss(name)
	}
	var o Options
	if opts == nil {
		o, _ = DefaultOptions(name)
	} else {
		o = opts.clone()
	}
	if name == "lovasz_hinge" {
		o.FromLogits, o.Mode = true, Binary
	}
	if name == "lovasz_softmax" || name == "cross_entropy" || name == "focal_softmax" {
		o.Mode = Multiclass
	}
	if name == "mcc" {
		o.Mode = Binary
	}
	if m := fixedMode(name); m != "" {
		o.Mode = m
	}
	if err := o.validate(name); err != nil {
		return nil, fmt.Errorf("segloss: %s: %w", name, err)
	}
	l := &Loss{name: name, opts: o}
	l.pool.New = func() any { return new(workspace) }
	return l, nil
}

// MustNew is New for losses known to be valid, such as package-level
// variables; it panics on error.
func MustNew(name string, opts *Options) *Loss {
	l, err := New(name, opts)
	if err != nil {
		panic(err)
	}
	return l
}

// Name returns the registered name of the loss.
func (l *Loss) Name() string { return l.name }

// Options returns a copy of the loss's options.
func (l *Loss) Options() Options { return l.opts.clone() }

// String returns the loss as a spec string that Parse turns back into an
// equal loss: the name followed by the options that differ from the defaults.
func (l *Loss) String() string {
	if l.terms != nil {
		return l.sumString()
	}
	def, _ := DefaultOptions(l.name)
	var parts []string
	for _, k := range lossOptions[l.name] {
		v := formatOption(&l.opts, k)
		if v != formatOption(&def, k) {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return l.name
	}
	return l.name + ":" + strings.Join(parts, ",")
}

// Parse builds a loss from a spec string "name" or "name:key=value,...",
// for example "tversky:alpha=0.3,beta=0.7" or "dice:mode=multiclass,classes=[1,2]".
// Keys are the golden option names (OptionNames); lists are written in
// brackets, "null" unsets ignore_index, pos_weight or focal_sigmoid's alpha.
// An unknown name or key is an error that lists the valid ones.
func Parse(spec string) (*Loss, error) {
	if pieces := splitSum(spec); len(pieces) > 1 || strings.Contains(strings.Split(pieces[0], ":")[0], "*") {
		return parseSum(spec, pieces)
	}
	name, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.TrimSpace(name)
	opts, err := DefaultOptions(name)
	if err != nil {
		return nil, err
	}
	kvs, err := splitSpec(rest)
	if err != nil {
		return nil, fmt.Errorf("segloss: spec %q: %w", spec, err)
	}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return nil, fmt.Errorf("segloss: spec %q: %q is not key=value", spec, kv)
		}
		if err := SetOption(name, &opts, k, v); err != nil {
			return nil, fmt.Errorf("segloss: spec %q: %w", spec, err)
		}
	}
	return New(name, &opts)
}

// splitSpec splits "a=1,b=[1,2]" at the commas outside brackets.
func splitSpec(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ']'")
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '['")
	}
	if strings.TrimSpace(s[start:]) != "" || len(out) > 0 {
		out = append(out, s[start:])
	}
	return out, nil
}

// SetOption sets the option key of the named loss from its text value, as
// in a spec string. An unknown key is an error that lists the valid ones.
func SetOption(name string, o *Options, key, value string) error {
	if _, ok := lossKinds[name]; !ok {
		return unknownLoss(name)
	}
	if !optionSet(name)[key] {
		return fmt.Errorf("unknown option %q for %s; valid options: %s", key, name, strings.Join(lossOptions[name], ", "))
	}
	bad := func(err error) error { return fmt.Errorf("option %s=%q: %v", key, value, err) }
	num := func(dst *float64) error {
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return bad(fmt.Errorf("not a number"))
		}
		*dst = f
		return nil
	}
	flag := func(dst *bool) error {
		b, err := strconv.ParseBool(value)
		if err != nil {
			return bad(fmt.Errorf("not true or false"))
		}
		*dst = b
		return nil
	}
	isNull := value == "null" || value == "none" || value == ""
	switch key {
	case "mode":
		o.Mode = Mode(value)
	case "from_logits":
		return flag(&o.FromLogits)
	case "smooth":
		return num(&o.Smooth)
	case "eps":
		return num(&o.Eps)
	case "log_eps":
		return num(&o.LogEps)
	case "reduction":
		o.Reduction = Reduction(value)
	case "classes":
		o.PresentOnly = false
		switch {
		case isNull || value == "all":
			o.Classes = nil
		case value == "present":
			o.Classes, o.PresentOnly = nil, true
		default:
			f, err := parseList(value)
			if err != nil {
				return bad(err)
			}
			o.Classes = make([]int, len(f))
			for i, v := range f {
				if v != float64(int(v)) {
					return bad(fmt.Errorf("class %v is not an integer", v))
				}
				o.Classes[i] = int(v)
			}
		}
	case "class_weights":
		if isNull {
			o.ClassWeights = nil
			return nil
		}
		f, err := parseList(value)
		if err != nil {
			return bad(err)
		}
		o.ClassWeights = f
	case "ignore_index":
		if isNull {
			o.Ignore = false
			return nil
		}
		i, err := strconv.Atoi(value)
		if err != nil {
			return bad(fmt.Errorf("not an integer"))
		}
		o.Ignore, o.IgnoreIndex = true, i
	case "squared":
		return flag(&o.Squared)
	case "tp_form":
		o.TPForm = TPForm(value)
	case "empty_zero":
		return flag(&o.EmptyZero)
	case "log_loss":
		return flag(&o.LogLoss)
	case "label_smoothing":
		return num(&o.LabelSmoothing)
	case "pos_weight":
		if isNull {
			o.PosWeight = 1
			return nil
		}
		return num(&o.PosWeight)
	case "alpha":
		if isNull && nullAlpha(name) {
			o.Alpha = -1
			return nil
		}
		return num(&o.Alpha)
	case "beta":
		return num(&o.Beta)
	case "gamma":
		return num(&o.Gamma)
	case "pt_form":
		o.PtForm = value
	case "form":
		o.Form = value
	case "w_type":
		o.WType = value
	case "per_image":
		return flag(&o.PerImage)
	case "bce_weight":
		return num(&o.BCEWeight)
	case "dice_weight":
		return num(&o.DiceWeight)
	default:
		return setOption2(o, key, value, bad)
	}
	return nil
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
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(f))
		}
		out = append(out, v)
	}
	return out, nil
}

// OptionText renders option key of o as it is written in a spec string
// ("0.5", "true", "[1,2]", "null"), or "" for an unknown key.
func OptionText(o *Options, key string) string { return formatOption(o, key) }

// formatOption renders option key of o as spec text.
func formatOption(o *Options, key string) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch key {
	case "mode":
		return string(o.Mode)
	case "from_logits":
		return strconv.FormatBool(o.FromLogits)
	case "smooth":
		return f(o.Smooth)
	case "eps":
		return f(o.Eps)
	case "log_eps":
		return f(o.LogEps)
	case "reduction":
		return string(o.Reduction)
	case "classes":
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
	case "class_weights":
		if o.ClassWeights == nil {
			return "null"
		}
		s := make([]string, len(o.ClassWeights))
		for i, c := range o.ClassWeights {
			s[i] = f(c)
		}
		return "[" + strings.Join(s, ",") + "]"
	case "ignore_index":
		if !o.Ignore {
			return "null"
		}
		return strconv.Itoa(o.IgnoreIndex)
	case "squared":
		return strconv.FormatBool(o.Squared)
	case "tp_form":
		return string(o.TPForm)
	case "empty_zero":
		return strconv.FormatBool(o.EmptyZero)
	case "log_loss":
		return strconv.FormatBool(o.LogLoss)
	case "label_smoothing":
		return f(o.LabelSmoothing)
	case "pos_weight":
		return f(o.PosWeight)
	case "alpha":
		if o.Alpha < 0 {
			return "null"
		}
		return f(o.Alpha)
	case "beta":
		return f(o.Beta)
	case "gamma":
		return f(o.Gamma)
	case "pt_form":
		return o.PtForm
	case "form":
		return o.Form
	case "w_type":
		return o.WType
	case "per_image":
		return strconv.FormatBool(o.PerImage)
	case "bce_weight":
		return f(o.BCEWeight)
	case "dice_weight":
		return f(o.DiceWeight)
	}
	return formatOption2(o, key)
}
