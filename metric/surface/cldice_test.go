package surface

import (
	"math"
	"testing"
)

// TestSkeleton2D checks that a 1-pixel line is its own skeleton and that a
// 3-pixel-thick bar thins to a line inside it.
func TestSkeleton2D(t *testing.T) {
	h, w := 7, 13
	line, bar := make([]bool, h*w), make([]bool, h*w)
	for x := 1; x < 12; x++ {
		line[3*w+x] = true
		for y := 2; y <= 4; y++ {
			bar[y*w+x] = true
		}
	}
	s, err := Skeleton2D(line, h, w)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s {
		if s[i] != line[i] {
			t.Fatalf("skeleton of a line differs at %d", i)
		}
	}
	s, _ = Skeleton2D(bar, h, w)
	n := 0
	for i, v := range s {
		if v {
			n++
			if !bar[i] || i/w != 3 {
				t.Errorf("skeleton pixel (%d, %d) is not on the bar's middle row", i/w, i%w)
			}
		}
	}
	if n < 5 {
		t.Errorf("skeleton of the bar has %d pixels, want a line", n)
	}
}

// TestCLDice checks values worked out by hand: a 1-pixel line of 6 pixels
// against one of 10 that contains it has topology precision 1 and
// sensitivity 6/10, so clDice = 2·0.6/1.6 = 0.75.
func TestCLDice(t *testing.T) {
	h, w := 5, 12
	short, long := make([]bool, h*w), make([]bool, h*w)
	for x := 0; x < 10; x++ {
		long[2*w+x] = true
		if x < 6 {
			short[2*w+x] = true
		}
	}
	shape := []int{h, w}
	if got, err := CLDice(short, long, shape); err != nil || math.Abs(got-0.75) > 1e-12 {
		t.Errorf("CLDice = %v, %v, want 0.75", got, err)
	}
	if got, _ := CLDice(long, long, shape); got != 1 {
		t.Errorf("CLDice of equal masks = %v, want 1", got)
	}
	empty := make([]bool, h*w)
	if got, _ := CLDice(empty, empty, shape); !math.IsNaN(got) {
		t.Errorf("CLDice of empty masks = %v, want NaN", got)
	}
	if got, _ := CLDice(long, empty, shape); got != 0 {
		t.Errorf("CLDice against an empty mask = %v, want 0", got)
	}
	if _, err := CLDice(make([]bool, 8), make([]bool, 8), []int{2, 2, 2}); err == nil {
		t.Error("CLDice accepted a 3-D shape")
	}
}
