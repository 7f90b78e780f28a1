package segloss

import (
	"fmt"
	"slices"
	"strings"
)

// lossKind is the family of a loss.
type lossKind int

const (
	kindPixel  lossKind = iota // per-element terms, then a mean or a sum
	kindRegion                 // a function of per-class region sums
	kindLovasz                 // sorted errors
	kindMixed                  // a weighted sum of other losses (dice_bce)
)

// evalFunc is the general path of a loss for one element type: the loss of
// batch b (already checked) and, when grad is not nil, its gradient.
type evalFunc[T Float] func(l *Loss, ws *workspace, g geom, grad []T, b Batch[T]) float64

// general is a general path for both element types.
type general struct {
	f32 evalFunc[float32]
	f64 evalFunc[float64]
}

// fusedFunc is the fused float32 path of a loss: it reports handled =
// false when these options or this batch have no fused path, and bad =
// true when a value failed the checks (Eval then runs the full check for
// the message; grad is unspecified).
type fusedFunc func(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (v float64, handled, bad bool)

// descriptor is everything the package knows about one loss: the single
// point from which the registry, the option handling, the input checks
// and both evaluation paths are derived. Each family file registers its
// losses in an init function; register checks the entry.
type descriptor struct {
	name Name
	kind lossKind
	// keys are the option keys the loss reads, in the order of the golden conventions.
	keys []string
	// defaults are the loss's defaults, as spec text, where they differ
	// from the keys' own (optKey.def).
	defaults map[string]string
	// forced are values the loss always has whatever the options say, as
	// spec text. A loss without the mode key always has its default mode.
	forced map[string]string
	// check validates the options across keys (nil: nothing to check).
	check func(o *Options) error

	// Input checks.
	labelsOnly     bool // the target must be class-index Labels
	binaryTarget   bool // float targets must be 0 or 1
	targetNoIgnore bool // float targets have no ignore value (torch's softmax cross-entropy)
	probClip       bool // eps is a probability clip: it must be < 0.5
	alphaNull      bool // alpha=null (NoAlpha) turns the alpha weighting off

	// eval is the general path: required for every kind but kindRegion,
	// whose general path is regionLoss on region.
	eval general
	// region is the formula of a region loss on its RegionStats.
	region *regionFormula
	// fused is the optional fused float32 path (region losses get fastRegion).
	fused fusedFunc

	// Derived by register.
	def    Options // the complete defaults
	keySet map[string]bool
}

// registry maps every registered name to its descriptor.
var registry = map[Name]*descriptor{}

// register adds losses to the registry; it panics on an incomplete or
// inconsistent descriptor, so that a loss without a formula fails at init.
func register(ds ...*descriptor) {
	for _, d := range ds {
		if err := d.complete(); err != nil {
			panic(fmt.Sprintf("segloss: register %s: %v", d.name, err))
		}
		if _, dup := registry[d.name]; dup {
			panic(fmt.Sprintf("segloss: register %s: registered twice", d.name))
		}
		registry[d.name] = d
	}
}

// complete checks d and fills its derived fields.
func (d *descriptor) complete() error {
	if d.name == "" {
		return fmt.Errorf("no name")
	}
	switch d.kind {
	case kindRegion:
		if d.region == nil || (d.region.class == nil) == (d.region.whole == nil) {
			return fmt.Errorf("a region loss needs its formula (region.class or region.whole, not both)")
		}
		d.eval = general{regionLoss[float32], regionLoss[float64]}
		if d.fused == nil {
			d.fused = fastRegion
		}
	default:
		if d.region != nil {
			return fmt.Errorf("only region losses have a region formula")
		}
	}
	if d.eval.f32 == nil || d.eval.f64 == nil {
		return fmt.Errorf("no general path (eval) for both float32 and float64")
	}
	d.keySet = map[string]bool{}
	for _, k := range d.keys {
		if _, ok := keyIndex[k]; !ok {
			return fmt.Errorf("unknown option key %q", k)
		}
		d.keySet[k] = true
	}
	for _, m := range []map[string]string{d.defaults, d.forced} {
		for k := range m {
			if _, ok := keyIndex[k]; !ok {
				return fmt.Errorf("default or forced value for unknown key %q", k)
			}
		}
	}
	var o Options
	for _, k := range optKeys {
		v, ok := d.defaults[k.key]
		if !ok {
			v = k.def(d)
		}
		if err := k.parse(d, &o, v); err != nil {
			return fmt.Errorf("default %s=%s: %v", k.key, v, err)
		}
	}
	if !d.keySet["mode"] {
		if d.forced == nil {
			d.forced = map[string]string{}
		}
		if _, ok := d.forced["mode"]; !ok {
			d.forced["mode"] = string(o.Mode)
		}
	}
	d.force(&o)
	o.set = allKeysSet
	if err := o.validate(d); err != nil {
		return fmt.Errorf("the defaults are invalid: %v", err)
	}
	d.def = o
	return nil
}

// force sets d's forced values in o.
func (d *descriptor) force(o *Options) {
	for k, v := range d.forced {
		_ = optKeys[keyIndex[k]].parse(d, o, v) // checked by complete
	}
}

// reductions returns the reductions d accepts, its default first.
func (d *descriptor) reductions() []Reduction {
	if d.kind == kindPixel {
		return []Reduction{Mean, Sum, None}
	}
	return []Reduction{Global, PerSample, None}
}

// lookup returns the descriptor of name.
func lookup(name Name) (*descriptor, error) {
	if d, ok := registry[name]; ok {
		return d, nil
	}
	return nil, unknownLoss(string(name))
}

// names returns every registered name, sorted.
func names() []Name {
	out := make([]Name, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func nameStrings() []string {
	ns := names()
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}

// unknownKey is the *OptionError for a key that loss d does not read.
func (d *descriptor) unknownKey(key, value string) error {
	return &OptionError{Loss: d.name, Key: key, Value: value,
		Err: fmt.Errorf("%w %q for %s; valid options: %s", ErrUnknownOption, key, d.name, strings.Join(d.keys, ", "))}
}
