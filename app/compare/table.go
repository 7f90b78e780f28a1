package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/segloss/segloss/app/stats"
)

// WriteTable prints the ranking table: one row per loss, best first, with
// its group (1: tied for first), the mean and bootstrap 95 % interval over
// the held-out cases of the Dice of each foreground class (the best loss
// of each class marked *) and of the mean foreground Dice, the mean IoU,
// precision, recall and HD95 over the classes, the steps and the time;
// then the warnings.
func WriteTable(w io.Writer, res *Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"rank", "group", "loss"}
	for _, c := range res.Classes {
		head = append(head, "Dice "+c)
	}
	head = append(head, "mean Dice [95% CI]", "IoU", "precision", "recall", "HD95", "steps", "time")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, i := range rowOrder(res) {
		r := &res.Runs[i]
		if !r.Done() {
			row := []string{"-", "-", r.Loss, r.Status}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
			continue
		}
		row := []string{fmt.Sprint(r.Rank), fmt.Sprint(r.Group), r.Loss}
		for k := range res.Classes {
			cell := ciText(r.Stat("dice", k))
			if res.Best[k] == r.Loss {
				cell += " *"
			}
			row = append(row, cell)
		}
		row = append(row, ciText(Stat{Mean: r.MeanDice, Low: r.Low, High: r.High}))
		for _, m := range Metrics[1:] {
			row = append(row, fmtMean(r, m, len(res.Classes)))
		}
		row = append(row, stepsText(r, res.Budget), fmtSeconds(r.Seconds))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	over := fmt.Sprintf("%d held-out cases", res.Data.ValCases)
	if res.Seeds > 1 {
		over += fmt.Sprintf(" × %d seeds", res.Seeds)
	}
	if _, err := fmt.Fprintf(w, "* best of its class. Mean [bootstrap 95%% CI] over %s; group 1: tied for first. IoU, precision, recall and HD95 (%s) are means over the foreground classes.\n", over, res.Units); err != nil {
		return err
	}
	for _, warn := range res.Warnings {
		if _, err := fmt.Fprintf(w, "WARNING: %s\n", warn); err != nil {
			return err
		}
	}
	return nil
}

// rowOrder lists the runs by rank, unfinished ones last.
func rowOrder(res *Results) []int {
	var out []int
	for _, e := range res.Ranking {
		for i := range res.Runs {
			if res.Runs[i].Loss == e.Loss {
				out = append(out, i)
			}
		}
	}
	for i := range res.Runs {
		if !res.Runs[i].Done() {
			out = append(out, i)
		}
	}
	return out
}

// fmtMean writes the mean over foreground classes of metric m's means.
func fmtMean(r *RunResult, m string, classes int) string {
	means := make([]float64, classes)
	for k := range means {
		means[k] = float64(r.Stat(m, k).Mean)
	}
	v := stats.Mean(means)
	if m == "hd95" {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2f", v)
	}
	return fmt3(v)
}

// stepsText writes the steps of a loss's runs, marked "!" when a run
// stopped short of the step budget.
func stepsText(r *RunResult, b Budget) string {
	s := fmt.Sprint(r.Steps)
	if b.Steps > 0 && r.Steps < b.Steps {
		s += "!"
	}
	return s
}

// ciText writes a statistic as "0.912 [0.871, 0.950]".
func ciText(s Stat) string {
	if math.IsNaN(float64(s.Mean)) {
		return "-"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", float64(s.Mean), float64(s.Low), float64(s.High))
}

// fmt3 writes a value with three decimals, or "-" when undefined.
func fmt3(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

// fmtSeconds writes a duration in seconds as "1m05s" or "42s".
func fmtSeconds(s float64) string {
	if s >= 60 {
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%.0fs", s)
}
