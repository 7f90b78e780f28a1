package segloss

import (
	"fmt"
	"strings"
	"sync"
)

// Names returns the names of every registered loss, sorted.
func Names() []Name { return names() }

// OptionNames returns the option keys that the named loss reads, in the
// order of the golden conventions, or nil for an unknown loss.
func OptionNames(name Name) []string {
	d, err := lookup(name)
	if err != nil {
		return nil
	}
	return append([]string(nil), d.keys...)
}

// DefaultOptions returns the default options of the named loss, every key
// marked as set (see Options).
func DefaultOptions(name Name) (Options, error) {
	d, err := lookup(name)
	if err != nil {
		return Options{}, err
	}
	return d.def.clone(), nil
}

// Loss is a configured loss function: a name and its options. It is safe
// for concurrent use; scratch memory is pooled, so repeated calls of the
// same shape do not allocate.
type Loss struct {
	name Name
	d    *descriptor
	opts Options
	pool sync.Pool // *workspace: the scratch memory of both paths
	once sync.Once
	sub  [2]*Loss  // the terms of dice_bce, the region part of dice_focal, dice_cldice, generalized_dice_focal
	maps *MapCache // distance maps of targets (SetMapCache), or nil
	// terms, when not nil, make the loss a weighted sum (NewSum, Parse).
	terms []sumTerm
}

// New returns the named loss with the given options; nil opts means the
// loss's defaults (see DefaultOptions), and so does every field left at
// its zero value (see Options). The options are copied. The error is
// ErrUnknownLoss for a name that is not registered, or an *OptionError.
func New(name Name, opts *Options) (*Loss, error) {
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	o := d.resolve(opts)
	if err := o.validate(d); err != nil {
		return nil, err
	}
	l := &Loss{name: name, d: d, opts: o}
	l.pool.New = func() any { return new(workspace) }
	return l, nil
}

// MustNew is New for losses known to be valid, such as package-level
// variables; it panics on error.
func MustNew(name Name, opts *Options) *Loss {
	l, err := New(name, opts)
	if err != nil {
		panic(err)
	}
	return l
}

// Name returns the registered name of the loss.
func (l *Loss) Name() Name { return l.name }

// Options returns a copy of the loss's options.
func (l *Loss) Options() Options { return l.opts.clone() }

// String returns the loss as a spec string that Parse turns back into an
// equal loss: the name followed by the options that differ from the defaults.
func (l *Loss) String() string {
	if l.terms != nil {
		return l.sumString()
	}
	var parts []string
	for _, k := range l.d.keys {
		key := &optKeys[keyIndex[k]]
		if v := key.format(&l.opts); v != key.format(&l.d.def) {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return string(l.name)
	}
	return string(l.name) + ":" + strings.Join(parts, ",")
}

// Parse builds a loss from a spec string "name" or "name:key=value,...",
// for example "tversky:alpha=0.3,beta=0.7" or "dice:mode=multiclass,classes=[1,2]".
// Keys are the golden option names (OptionNames); lists are written in
// brackets, "null" unsets ignore_index, pos_weight or focal_sigmoid's alpha.
// The error is ErrUnknownLoss (listing the valid names) or an
// *OptionError (an unknown key lists the valid ones).
func Parse(spec string) (*Loss, error) {
	if pieces := splitSum(spec); len(pieces) > 1 || strings.Contains(strings.Split(pieces[0], ":")[0], "*") {
		return parseSum(spec, pieces)
	}
	return parseOne(spec)
}

// parseOne is Parse of the spec of one registered loss (not a sum).
func parseOne(spec string) (*Loss, error) {
	name, kvs, splitErr := SplitSpec(spec)
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	if splitErr != nil {
		return nil, &OptionError{Loss: d.name, Err: fmt.Errorf("spec %q: %w", spec, splitErr)}
	}
	opts := d.def.clone()
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, &OptionError{Loss: d.name, Err: fmt.Errorf("spec %q: %q is not key=value", spec, kv)}
		}
		if err := SetOption(d.name, &opts, strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return nil, err
		}
	}
	return New(d.name, &opts)
}

// SplitSpec splits one spec string "name:key=value,..." into the name and
// its options, "key=value" each, trimmed, split at the commas outside
// brackets ("dice:classes=[1,2],smooth=0" has two). It reads no values;
// unbalanced brackets are an error.
func SplitSpec(spec string) (name Name, options []string, err error) {
	n, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	parts, err := splitTop(rest, ',')
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return Name(strings.TrimSpace(n)), parts, err
}

// SplitSpecs splits a list of loss specs, as a command line gives it,
// into the specs. Specs are separated by commas or semicolons; since a
// spec's own options are comma-separated too, a piece of the form
// key=value (with no name before it) continues the previous spec:
// "bce,tversky:alpha=0.3,beta=0.7" is two specs. Commas inside brackets
// (lists) never split, and empty pieces are dropped. Every command that
// takes several losses uses it; Parse then reads each spec.
func SplitSpecs(list string) []string {
	var out []string
	depth, start := 0, 0
	add := func(piece string) {
		piece = strings.TrimSpace(piece)
		if piece == "" {
			return
		}
		eq, colon := strings.IndexByte(piece, '='), strings.IndexByte(piece, ':')
		if eq > 0 && (colon < 0 || colon > eq) && len(out) > 0 {
			out[len(out)-1] += "," + piece
			return
		}
		out = append(out, piece)
	}
	for i, r := range list {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case (r == ',' && depth == 0) || r == ';':
			add(list[start:i])
			start = i + 1
		}
	}
	add(list[start:])
	return out
}

// splitTop splits s at the separator sep outside brackets.
func splitTop(s string, sep rune) ([]string, error) {
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
		case sep:
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
// in a spec string, and marks it as set. The error is ErrUnknownLoss or an
// *OptionError (an unknown key lists the valid ones; a value that does not
// parse wraps the strconv error).
func SetOption(name Name, o *Options, key, value string) error {
	d, err := lookup(name)
	if err != nil {
		return err
	}
	if !d.keySet[key] {
		return d.unknownKey(key, value)
	}
	i := keyIndex[key]
	if err := optKeys[i].parse(d, o, value); err != nil {
		return &OptionError{Loss: d.name, Key: key, Value: value, Err: err}
	}
	o.set |= 1 << i
	return nil
}

// OptionText renders option key of o as it is written in a spec string
// ("0.5", "true", "[1,2]", "null"), or "" for an unknown key.
func OptionText(o *Options, key string) string {
	i, ok := keyIndex[key]
	if !ok {
		return ""
	}
	return optKeys[i].format(o)
}
