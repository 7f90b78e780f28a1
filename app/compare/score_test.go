package compare

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	set := syntheticSet(t, 10)
	perfect := make([][]int32, len(set.Val))
	empty := make([][]int32, len(set.Val))
	for i, ex := range set.Val {
		perfect[i] = ex.Label
		empty[i] = make([]int32, len(ex.Label))
	}
	cases, err := Score(set, perfect)
	if err != nil {
		t.Fatal(err)
	}
	st := Summarize(cases, set.Classes-1)
	for m, name := range Metrics {
		for k := range st[m] {
			want := 1.0
			if name == "hd95" {
				want = 0
			}
			if s := st[m][k]; s.N > 0 && (float64(s.Mean) != want || float64(s.SD) != 0) {
				t.Errorf("perfect %s class %d: %+v", name, k+1, s)
			}
		}
	}
	cases, err = Score(set, empty)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for k := range c.Values[0] {
			d, h := float64(c.Values[0][k]), float64(c.Values[hd95][k])
			if !(d == 0 || math.IsNaN(d)) || !math.IsInf(h, 1) && !math.IsNaN(h) {
				t.Errorf("%s class %d: empty prediction Dice %v HD95 %v", c.Case, k+1, d, h)
			}
		}
	}
	if _, err := Score(set, perfect[1:]); err == nil {
		t.Error("missing prediction: no error")
	}
}
