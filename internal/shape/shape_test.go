package shape

import (
	"math"
	"testing"
)

func TestProduct(t *testing.T) {
	for _, c := range []struct {
		dims  []int
		limit int
		want  int
		ok    bool
	}{
		{nil, -1, 1, true},
		{[]int{2, 3, 4}, -1, 24, true},
		{[]int{2, 0, 1 << 62}, -1, 0, true},
		{[]int{2, 1, 1 << 62, 2}, -1, 0, false}, // wraps to 0 without the check
		{[]int{math.MaxInt, 2}, -1, 0, false},
		{[]int{3, -1}, -1, 0, false},
		{[]int{1 << 16, 1 << 15}, 1 << 31, 1 << 31, true},
		{[]int{1 << 16, 1 << 15, 2}, 1 << 31, 0, false},
	} {
		got, err := ProductMax(c.dims, c.limit)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ProductMax(%v, %d) = %d, %v; want %d, ok=%v", c.dims, c.limit, got, err, c.want, c.ok)
		}
	}
	if _, err := Product([]int{2, 1, 1 << 62, 2}); err == nil {
		t.Error("Product of an overflowing shape gave no error")
	}
}
