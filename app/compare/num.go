package compare

import "github.com/segloss/segloss/app/stats"

// Num is a metric value in results.json; NaN (undefined) and infinite
// values follow the project's one JSON convention (stats.Num).
type Num = stats.Num

// nums converts a slice of float64 to Num.
func nums(v []float64) []Num { return stats.Nums(v) }

// floats converts a slice of Num to float64.
func floats(v []Num) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
