// Package cli implements the segloss command-line tool: one file per
// command, each with an options struct that tests can inspect, all sharing
// the core registry of losses and the maskio readers.
package cli

import (
	"errors"
	"fmt"
	"strings"

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
	for _, newCmd := range []func(*Streams) *cobra.Command{newLossesCmd, newEvalCmd, newTrainCmd, newPredictCmd, newCompareCmd, newBenchCmd, newDataCmd, newWeightsCmd} {
		root.AddCommand(newCmd(s))
	}
	return root
}

// Main runs the tool with args and returns the process exit code:
// 0 success, 1 failure (bad data, a failed run), 2 usage error. An error is
// printed once, as "segloss COMMAND: message", naming the command the user
// ran.
func Main(args []string, s *Streams) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	name := "segloss"
	if cmd != nil && cmd != root {
		name = cmd.CommandPath()
	}
	fmt.Fprintf(s.Err, "%s: %s\n", name, errorText(err))
	return exitCode(err)
}

// exitCode maps an error to the exit code, the same in every command: 2
// for usage errors (a bad flag, an unknown loss, a bad option or spec
// string: segloss.ErrUnknownLoss and *segloss.OptionError), 1 for data
// errors (a file that cannot be read, a batch that does not fit the loss:
// *maskio.FileError, *segloss.InputError) and every other failure. An
// explicit exitError keeps its code; cobra's complaints about the command
// line (an unknown flag, a bad flag value) are usage errors too.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var oe *segloss.OptionError
	if errors.Is(err, segloss.ErrUnknownLoss) || errors.As(err, &oe) || isFlagError(err) {
		return 2
	}
	return 1
}

// errorPrefixes are the package and command names that lead error
// messages inside the tool; errorText drops them, since Main names the
// command once.
var errorPrefixes = []string{"segloss", "eval", "train", "predict", "compare", "bench", "losses", "data", "dataset", "maskio", "unet", "gomlxloss", "metric"}

// errorText returns the message of err without its leading package
// prefixes ("train: dataset: maskio: x.png: bad" becomes "x.png: bad").
func errorText(err error) string {
	msg := err.Error()
	for again := true; again; {
		again = false
		for _, p := range errorPrefixes {
			if strings.HasPrefix(msg, p+": ") {
				msg, again = msg[len(p)+2:], true
			}
		}
	}
	return strings.ReplaceAll(msg, ": segloss: ", ": ")
}

// isFlagError reports whether err is cobra's or pflag's complaint about
// the command line.
func isFlagError(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown flag") || strings.HasPrefix(m, "unknown shorthand") || strings.HasPrefix(m, "invalid argument") ||
		strings.HasPrefix(m, "flag needs an argument") || strings.HasPrefix(m, "unknown command") || strings.Contains(m, "arg(s)")
}
