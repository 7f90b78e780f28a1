package cli

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/segloss/segloss"
	"github.com/spf13/cobra"
)

// lossesOptions are the flags of `segloss losses`.
type lossesOptions struct {
	Demo bool // evaluate every loss on a small demo batch
}

func newLossesCmd(s *Streams) *cobra.Command {
	opts := &lossesOptions{}
	cmd := &cobra.Command{
		Use:   "losses",
		Short: "List every loss with its options and defaults (--demo: evaluate each on a demo batch)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLosses(s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Demo, "demo", false, "evaluate every loss with its defaults on a small demo batch")
	return cmd
}

// demoBatches returns a 2-sample 3×3 binary batch and its multiclass
// counterpart, each as logits and as probabilities.
func demoBatches() (binLogits, binProbs, mcLogits, mcProbs segloss.Batch[float64]) {
	logits := []float64{2.1, -0.4, -2.3, 1.2, 0.3, -1.7, -0.9, 0.8, -3.0,
		-1.5, 0.6, 2.4, -0.2, 1.9, -2.2, 0.1, -0.7, 1.3}
	mask := []float64{1, 0, 0, 1, 1, 0, 0, 1, 0,
		0, 1, 1, 0, 1, 0, 0, 0, 1}
	probs := make([]float64, len(logits))
	for i, x := range logits {
		probs[i] = 1 / (1 + exp(-x))
	}
	binLogits = segloss.Batch[float64]{Shape: []int{2, 1, 3, 3}, Input: logits, Target: mask}
	binProbs = segloss.Batch[float64]{Shape: []int{2, 1, 3, 3}, Input: probs, Target: mask}
	// Three classes: background, the mask, and a rare class at one pixel per sample.
	labels := make([]int32, len(mask))
	for i, m := range mask {
		labels[i] = int32(m)
	}
	labels[4], labels[13] = 2, 2
	mc := make([]float64, 3*len(mask))
	for n := 0; n < 2; n++ {
		for s := 0; s < 9; s++ {
			x := logits[n*9+s]
			mc[(n*3+0)*9+s] = -x
			mc[(n*3+1)*9+s] = x
			mc[(n*3+2)*9+s] = 0.5 - float64(s%3)
		}
	}
	mp := make([]float64, len(mc))
	for n := 0; n < 2; n++ {
		for s := 0; s < 9; s++ {
			var z float64
			for c := 0; c < 3; c++ {
				z += exp(mc[(n*3+c)*9+s])
			}
			for c := 0; c < 3; c++ {
				mp[(n*3+c)*9+s] = exp(mc[(n*3+c)*9+s]) / z
			}
		}
	}
	mcLogits = segloss.Batch[float64]{Shape: []int{2, 3, 3, 3}, Input: mc, Labels: labels}
	mcProbs = segloss.Batch[float64]{Shape: []int{2, 3, 3, 3}, Input: mp, Labels: labels}
	return
}

func exp(x float64) float64 { return math.Exp(x) }
func abs(x float64) float64 { return math.Abs(x) }

func runLosses(s *Streams, opts *lossesOptions) error {
	w := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	if !opts.Demo {
		fmt.Fprintln(w, "LOSS\tOPTIONS (defaults)")
		for _, name := range segloss.Names() {
			def, _ := segloss.DefaultOptions(name)
			l, _ := segloss.New(name, &def)
			fmt.Fprintf(w, "%s\t%s\n", name, describeDefaults(l))
		}
		return w.Flush()
	}
	bl, bp, ml, mp := demoBatches()
	fmt.Fprintln(w, "LOSS\tINPUT\tVALUE\t|GRAD|max")
	for _, name := range segloss.Names() {
		l, _ := segloss.New(name, nil)
		o := l.Options()
		b := bp
		kind := "binary probabilities"
		switch {
		case o.Mode == segloss.Multiclass && o.FromLogits:
			b, kind = ml, "3-class logits"
		case o.Mode == segloss.Multiclass:
			b, kind = mp, "3-class probabilities"
		case o.FromLogits:
			b, kind = bl, "binary logits"
		}
		grad := make([]float64, len(b.Input))
		v, err := segloss.Eval(l, grad, b)
		if err != nil {
			return err
		}
		var gmax float64
		for _, g := range grad {
			gmax = max(gmax, abs(g))
		}
		fmt.Fprintf(w, "%s\t%s\t%.6f\t%.4g\n", name, kind, v, gmax)
	}
	return w.Flush()
}

// lossNames lists the registered losses, comma-separated.
func lossNames() string {
	var s []string
	for _, n := range segloss.Names() {
		s = append(s, string(n))
	}
	return strings.Join(s, ", ")
}

// describeDefaults lists the options of l with their default values.
func describeDefaults(l *segloss.Loss) string {
	var parts []string
	for _, k := range segloss.OptionNames(l.Name()) {
		o := l.Options()
		parts = append(parts, k+"="+segloss.OptionText(&o, k))
	}
	return strings.Join(parts, " ")
}
