package maskio

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaskValues is the rule by which the values stored in mask files become
// class labels. It is the one rule of every command that reads masks
// (train, compare, predict and eval), given by their --mask-values flag:
//
//   - "auto" (the default): values are labels as stored, except that a
//     binary mask set stored as 0 and one other value v > 1 (0/255 is the
//     common export) is read as 0/1, unless v is a declared class;
//   - "raw": values are labels as stored;
//   - "0,128,255": the listed values are labels 0, 1, 2, ... in that order,
//     and any other value is an error;
//   - "255=1" or "128=1,255=2": the listed values become the given labels,
//     other values stay as stored.
//
// Resolve turns "auto" into a fixed mapping for a set of masks; Labels
// applies a mapping; Stored inverts it, so that predictions can be written
// in the values the masks were stored in.
type MaskValues struct {
	mode string    // "auto", "raw", "list" or "map"
	from []float64 // list and map: stored values
	to   []int32   // map: their labels (list: the index)
}

// ParseMaskValues parses a --mask-values flag value ("" is "auto").
func ParseMaskValues(s string) (MaskValues, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "auto":
		return MaskValues{mode: "auto"}, nil
	case "raw":
		return MaskValues{mode: "raw"}, nil
	}
	bad := func(why string) (MaskValues, error) {
		return MaskValues{}, fmt.Errorf("--mask-values %q: %s; want auto, raw, a list of the stored values in label order (0,128,255) or STORED=LABEL pairs (255=1)", s, why)
	}
	var m MaskValues
	for _, part := range strings.Split(s, ",") {
		k, v, isPair := strings.Cut(strings.TrimSpace(part), "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(k), 64)
		if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
			return bad(fmt.Sprintf("%q is not an integer value", k))
		}
		if slices.Contains(m.from, f) {
			return bad(fmt.Sprintf("value %v given twice", f))
		}
		mode := "list"
		label := int32(len(m.from))
		if isPair {
			mode = "map"
			l, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil || l < 0 {
				return bad(fmt.Sprintf("label %q is not an integer >= 0", v))
			}
			label = int32(l)
		}
		if m.mode != "" && m.mode != mode {
			return bad("mixes a list with STORED=LABEL pairs")
		}
		m.mode = mode
		m.from, m.to = append(m.from, f), append(m.to, label)
	}
	return m, nil
}

// String returns the rule in the form ParseMaskValues reads.
func (m MaskValues) String() string {
	switch m.mode {
	case "", "auto":
		return "auto"
	case "raw":
		return "raw"
	}
	parts := make([]string, len(m.from))
	for i, f := range m.from {
		parts[i] = strconv.FormatFloat(f, 'f', -1, 64)
		if m.mode == "map" {
			parts[i] += "=" + strconv.Itoa(int(m.to[i]))
		}
	}
	return strings.Join(parts, ",")
}

// IsAuto reports whether the rule is "auto", not yet resolved.
func (m MaskValues) IsAuto() bool { return m.mode == "" || m.mode == "auto" }

// Resolve fixes the "auto" rule for a set of masks whose stored values
// are values (in any order; see DistinctValues) and which declare classes
// classes (0 when they declare none): 0 and one other value v > 1 that is
// not a declared class (v >= classes) become 0/1. Other rules are returned
// as they are. note is the one line to tell the user when values are
// remapped ("" otherwise).
func (m MaskValues) Resolve(values []float64, classes int) (r MaskValues, note string) {
	if !m.IsAuto() {
		return m, ""
	}
	var fg []float64
	for _, v := range values {
		if v != 0 && !slices.Contains(fg, v) {
			fg = append(fg, v)
		}
	}
	if len(fg) != 1 || fg[0] <= 1 || fg[0] != math.Trunc(fg[0]) || (classes > 0 && fg[0] < float64(classes)) {
		return MaskValues{mode: "raw"}, ""
	}
	r = MaskValues{mode: "map", from: []float64{fg[0]}, to: []int32{1}}
	return r, fmt.Sprintf("masks hold the values {0, %v}: read as {0, 1} (binary); set --mask-values to change it", fg[0])
}

// Labels returns the values of im as class labels under the rule (an
// unresolved "auto" reads values as stored). A value that is not an
// integer, or not listed by a list rule, is an error naming the voxel.
func (m MaskValues) Labels(im *Image) ([]int32, error) {
	out := make([]int32, len(im.Data))
	for i, v := range im.Data {
		l, ok := m.label(v)
		if !ok {
			if m.mode == "list" && v == math.Trunc(v) {
				return nil, fmt.Errorf("value %v at voxel %d is not one of --mask-values %s", v, i, m)
			}
			return nil, fmt.Errorf("value %v at voxel %d is not an integer label", v, i)
		}
		out[i] = l
	}
	return out, nil
}

func (m MaskValues) label(v float64) (int32, bool) {
	switch m.mode {
	case "list", "map":
		for i, f := range m.from {
			if f == v {
				return m.to[i], true
			}
		}
		if m.mode == "list" {
			return 0, false
		}
	}
	if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

// Stored returns the value label is stored as under the rule: the inverse
// of Labels, used to write predictions in the values of the masks.
func (m MaskValues) Stored(label int32) float64 {
	if m.mode == "list" || m.mode == "map" {
		for i, l := range m.to {
			if l == label {
				return m.from[i]
			}
		}
	}
	return float64(label)
}

// DistinctValues adds the distinct values of data to seen (which may be
// nil) and returns it; it stops adding once seen holds limit values
// (limit <= 0: no limit), since masks with many values are not binary.
func DistinctValues(seen map[float64]bool, data []float64, limit int) map[float64]bool {
	if seen == nil {
		seen = map[float64]bool{}
	}
	last := math.NaN()
	for _, v := range data {
		if v == last {
			continue
		}
		last = v
		if !seen[v] {
			if limit > 0 && len(seen) >= limit {
				return seen
			}
			seen[v] = true
		}
	}
	return seen
}

// SortedValues returns the keys of seen in increasing order.
func SortedValues(seen map[float64]bool) []float64 {
	out := make([]float64, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
