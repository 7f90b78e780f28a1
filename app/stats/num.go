package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Num is a float64 with the project's one JSON convention for values that
// JSON numbers cannot hold: NaN (an undefined metric) is written as the
// string "NaN", infinities as "+Inf" and "-Inf"; every finite value is
// written in full precision, so that it reads back bit for bit. Reading
// accepts numbers, those three strings, and null (as NaN, the form of
// files written before this convention).
type Num float64

// String writes n in full precision, NaN as "NaN" and infinities as
// "+Inf" and "-Inf" (the form strconv.ParseFloat reads back).
func (n Num) String() string {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// MarshalJSON writes n: a number, or "NaN", "+Inf" or "-Inf" as a string.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(`"` + n.String() + `"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, "NaN", "+Inf", "-Inf" or null.
func (n *Num) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `"NaN"`:
		*n = Num(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*n = Num(math.Inf(1))
		return nil
	case `"-Inf"`:
		*n = Num(math.Inf(-1))
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("stats.Num: %s: want a number, \"NaN\", \"+Inf\", \"-Inf\" or null", b)
	}
	*n = Num(f)
	return nil
}

// Nums converts a slice of float64 to Num.
func Nums(v []float64) []Num {
	out := make([]Num, len(v))
	for i, x := range v {
		out[i] = Num(x)
	}
	return out
}
