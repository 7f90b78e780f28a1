package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/maskio"
)

// TestExitCode: the same class of error gets the same exit code in every
// command: 2 for usage (unknown loss, bad option), 1 for data.
func TestExitCode(t *testing.T) {
	_, unknown := segloss.Parse("nope")
	_, badOpt := segloss.Parse("dice:smooth=x")
	_, badIn := segloss.Eval(segloss.MustNew(segloss.Dice, nil), nil, segloss.Batch[float64]{Shape: []int{1, 1, 2}, Input: []float64{0.5}, Target: []float64{0, 1}})
	for _, tc := range []struct {
		err  error
		want int
	}{
		{unknown, 2},
		{fmt.Errorf("train: %w", badOpt), 2},
		{badIn, 1},
		{fmt.Errorf("eval: %w", &maskio.FileError{Path: "x.png", Err: errors.New("no such file")}), 1},
		{usageErr("bench: --dtype %q", "x"), 2},
		{errors.New("anything else"), 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
