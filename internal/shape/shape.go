// Package shape multiplies array dimensions with overflow checks, so that a
// shape whose element count wraps around int is an error instead of a
// small (or zero) count that empty slices then "match".
package shape

import (
	"fmt"
	"math"
)

// Product returns the number of elements of an array with dimensions dims
// (1 for no dimensions).
//
// Special cases are:
//
//	Product = error if a dimension is negative
//	Product = error if the product does not fit in an int
func Product(dims []int) (int, error) {
	return ProductMax(dims, math.MaxInt)
}

// ProductMax is Product with a ceiling: the product must not exceed limit
// (limit < 0 means no ceiling beyond the int range).
func ProductMax(dims []int, limit int) (int, error) {
	if limit < 0 {
		limit = math.MaxInt
	}
	n := 1
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", dims)
		}
	}
	for _, d := range dims {
		if d == 0 {
			return 0, nil
		}
		if n > limit/d {
			if limit == math.MaxInt {
				return 0, fmt.Errorf("shape %v holds more elements than an int can count", dims)
			}
			return 0, fmt.Errorf("shape %v holds more than %d elements", dims, limit)
		}
		n *= d
	}
	return n, nil
}
