package metric

import (
	"fmt"
	"math"
	"strings"
)

// EmptyPolicy is the value given to a metric that is undefined because the
// class is absent from both the prediction and the truth (like MONAI's
// ignore_empty). A prediction that is non-empty on an empty truth is not
// such a case: it scores 0.
type EmptyPolicy int

const (
	// EmptyOne scores an empty case as 1: nothing to find, nothing found.
	EmptyOne EmptyPolicy = iota
	// EmptyNaN scores an empty case as NaN: reported per case and counted,
	// but left out of every mean (MONAI's ignore_empty=True).
	EmptyNaN
	// EmptySkip leaves an empty case out of per-case rows and means alike.
	EmptySkip
)

// ParseEmptyPolicy parses "one" (or "1"), "nan" or "skip".
func ParseEmptyPolicy(s string) (EmptyPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "one", "1":
		return EmptyOne, nil
	case "nan":
		return EmptyNaN, nil
	case "skip":
		return EmptySkip, nil
	}
	return 0, fmt.Errorf("metric: unknown empty-case policy %q (want one, nan or skip)", s)
}

// String returns the name ParseEmptyPolicy accepts.
func (p EmptyPolicy) String() string {
	switch p {
	case EmptyOne:
		return "one"
	case EmptyNaN:
		return "nan"
	case EmptySkip:
		return "skip"
	}
	return fmt.Sprintf("EmptyPolicy(%d)", int(p))
}

// Apply returns the value to report for a metric value v, and whether the
// case is kept at all (false only for an undefined value under EmptySkip).
//
// Special cases are:
//
//	Apply(v, false) = v, true
//	Apply(v, true) = 1, true under EmptyOne
//	Apply(v, true) = NaN, true under EmptyNaN
//	Apply(v, true) = NaN, false under EmptySkip
func (p EmptyPolicy) Apply(v float64, undefined bool) (float64, bool) {
	switch {
	case !undefined:
		return v, true
	case p == EmptyOne:
		return 1, true
	case p == EmptyNaN:
		return math.NaN(), true
	}
	return math.NaN(), false
}
