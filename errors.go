package segloss

import (
	"errors"
	"fmt"
	"strings"
)

// The error classes of the package. Every error that New, Parse,
// SetOption, Eval and the other entry points return is one of
// ErrUnknownLoss, an *OptionError or an *InputError; test them with
// errors.Is and errors.As:
//
//	errors.Is(err, ErrUnknownLoss) // a name that is not registered
//	errors.As(err, &optErr)         // a bad spec string or option value (a usage error)
//	errors.As(err, &inErr)          // a batch that does not fit the loss (a data error)
//	errors.Is(err, ErrBadInput)     // any *InputError
//	errors.Is(err, ErrNonFinite)    // NaN or Inf in the input, the target or the result
var (
	// ErrUnknownLoss is wrapped by the error for a loss name that is not
	// registered; its message lists the valid names.
	ErrUnknownLoss = errors.New("unknown loss")
	// ErrUnknownOption is wrapped by the *OptionError for a key that the
	// loss does not read; its message lists the valid keys.
	ErrUnknownOption = errors.New("unknown option")
	// ErrBadInput is wrapped by every *InputError.
	ErrBadInput = errors.New("bad input")
	// ErrNonFinite is wrapped by the errors for NaN or Inf values in the
	// input or the target, and for a loss that is NaN or infinite.
	ErrNonFinite = errors.New("non-finite value")
)

// OptionError reports an option that cannot be used: an unknown key, a
// value that does not parse, or a value outside the valid range. Err is
// the reason (a strconv error for a value that does not parse).
type OptionError struct {
	Loss  Name   // the loss ("" for a spec string that did not get that far)
	Key   string // the option key, as in spec strings ("alpha"), or "" for the spec as a whole
	Value string // the value as written, or as OptionText renders it
	Err   error
}

// Error returns "segloss: LOSS: option KEY=VALUE: REASON".
func (e *OptionError) Error() string {
	var b strings.Builder
	b.WriteString("segloss: ")
	if e.Loss != "" {
		b.WriteString(string(e.Loss) + ": ")
	}
	if e.Key != "" {
		b.WriteString("option " + e.Key)
		if e.Value != "" {
			b.WriteString("=" + e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the reason.
func (e *OptionError) Unwrap() error { return e.Err }

// InputError reports a batch that does not fit the loss: a shape that
// disagrees (both are named), an empty tensor, a value out of range, or a
// loss that is not finite. It wraps ErrBadInput, and ErrNonFinite for NaN
// and Inf values.
type InputError struct {
	Loss  Name
	Field string // "shape", "input", "target", "labels", "grad", "stats", "class_weights", "classes", "loss"
	Index int    // the flat index of the offending element, or -1
	Err   error  // the reason; it wraps ErrBadInput (and ErrNonFinite where it applies)
}

// Error returns "segloss: LOSS: REASON".
func (e *InputError) Error() string { return "segloss: " + string(e.Loss) + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *InputError) Unwrap() error { return e.Err }

// reason is an error message that wraps one or more error classes
// without repeating their text.
type reason struct {
	msg   string
	kinds []error
}

func (r *reason) Error() string   { return r.msg }
func (r *reason) Unwrap() []error { return r.kinds }

// inputErr returns an *InputError for field (index i, or -1) of loss l.
func inputErr(l Name, field string, i int, format string, args ...any) error {
	return &InputError{Loss: l, Field: field, Index: i, Err: &reason{fmt.Sprintf(format, args...), []error{ErrBadInput}}}
}

// nonFiniteErr is inputErr for a NaN or Inf value.
func nonFiniteErr(l Name, field string, i int, format string, args ...any) error {
	return &InputError{Loss: l, Field: field, Index: i, Err: &reason{fmt.Sprintf(format, args...), []error{ErrBadInput, ErrNonFinite}}}
}

// optionErr returns an *OptionError whose reason is the formatted text.
func optionErr(l Name, key, value, format string, args ...any) error {
	return &OptionError{Loss: l, Key: key, Value: value, Err: fmt.Errorf(format, args...)}
}

// unknownLoss returns the error for a name that is not registered.
func unknownLoss(name string) error {
	return fmt.Errorf("segloss: %w %q; valid losses: %s", ErrUnknownLoss, name, strings.Join(nameStrings(), ", "))
}

// errString is an error with a fixed text.
type errString string

func (e errString) Error() string { return string(e) }
