// Package cli implements the segloss command-line tool: one file per
// command, each with an options struct that tests can inspect, all sharing
// the core registry of losses and the maskio readers.
package cli

import (
	"errors"
	"fmt"

	"github.com/segloss/segloss"
	"github.com/spf13/cobra"
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// NewRootCmd builds the segloss command tree writing to s.
func NewRootCmd(s *Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "segloss",
		Short:         "Segmentation losses and metrics: evaluate, benchmark, train, compare",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	// One constructor per command, each in its own file.
	for _, newCmd := range []func(*Streams) *cobra.Command{newLossesCmd, newEvalCmd, newTrainCmd, newPredictCmd, newCompareCmd, newBenchCmd} {
		root.AddCommand(newCmd(s))
	}
	return root
}

// Main runs the tool with args and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func Main(args []string, s *Streams) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(s.Err, "segloss:", err)
	return exitCode(err)
}

// exitCode maps an error to the exit code, the same in every command: 2
// for usage errors (a bad flag, an unknown loss, a bad option or spec
// string: segloss.ErrUnknownLoss and *segloss.OptionError), 1 for data
// errors (a file that cannot be read, a batch that does not fit the loss:
// *maskio.FileError, *segloss.InputError) and every other failure. An
// explicit exitError keeps its code.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var oe *segloss.OptionError
	if errors.Is(err, segloss.ErrUnknownLoss) || errors.As(err, &oe) {
		return 2
	}
	return 1
}
