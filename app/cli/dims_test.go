package cli

import (
	"strings"
	"testing"
)

func TestParsePatch(t *testing.T) {
	for _, c := range []struct {
		s    string
		dims int
		want [3]int
		err  string
	}{
		{"", 3, [3]int{}, ""},
		{"32x48", 2, [3]int{1, 32, 48}, ""},
		{"40x56x40", 3, [3]int{40, 56, 40}, ""},
		{"32x48", 3, [3]int{}, "want 3 sizes"},
		{"0x8", 2, [3]int{}, "from 1 to 4096"},
		{"axb", 2, [3]int{}, "from 1 to 4096"},
	} {
		got, err := parsePatch(c.s, c.dims)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parsePatch(%q, %d): %v, want an error with %q", c.s, c.dims, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parsePatch(%q, %d) = %v, %v; want %v", c.s, c.dims, got, err, c.want)
		}
	}
}
