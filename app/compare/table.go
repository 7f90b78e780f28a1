package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the ranking table: one row per loss, best first, with
// the mean ± standard deviation over the validation cases of the Dice of
// each foreground class (the best loss of each class marked *), the mean
// foreground Dice, IoU, precision, recall and HD95, the steps and the time.
func WriteTable(w io.Writer, res *Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"rank", "loss"}
	for _, c := range res.Classes {
		head = append(head, "Dice "+c)
	}
	head = append(head, "mean Dice", "IoU", "precision", "recall", "HD95", "steps", "time")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, i := range rowOrder(res) {
		r := &res.Runs[i]
		if !r.Done() {
			row := []string{"-", r.Loss, r.Status}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
			continue
		}
		row := []string{fmt.Sprint(r.Rank), r.Loss}
		for k := range res.Classes {
			cell := meanSDText(r.Stat("dice", k))
			if res.Best[k] == r.Loss {
				cell += " *"
			}
			row = append(row, cell)
		}
		row = append(row, fmt3(float64(r.MeanDice)))
		for _, m := range Metrics[1:] {
			row = append(row, fmtMean(r, m, len(res.Classes)))
		}
		row = append(row, fmt.Sprint(r.Steps), fmtSeconds(r.Seconds))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "* best of its class. Mean ± SD over %d held-out cases; IoU, precision, recall and HD95 (voxels) are means over the foreground classes.\n", res.Data.ValCases)
	return err
}

// rowOrder lists the runs by rank, unfinished ones last.
func rowOrder(res *Results) []int {
	var out []int
	for _, loss := range res.Ranking {
		for i := range res.Runs {
			if res.Runs[i].Loss == loss {
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
	stats := make([]Stat, classes)
	for k := range stats {
		stats[k] = r.Stat(m, k)
	}
	v := meanOf(stats)
	if m == "hd95" {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2f", v)
	}
	return fmt3(v)
}

// meanSDText writes a statistic as "0.912 ± 0.051".
func meanSDText(s Stat) string {
	if math.IsNaN(float64(s.Mean)) {
		return "-"
	}
	return fmt.Sprintf("%.3f ± %.3f", float64(s.Mean), float64(s.SD))
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
