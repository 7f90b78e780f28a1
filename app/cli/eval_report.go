package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/stats"
	"github.com/segloss/segloss/metric"
)

// evalReport is the outcome of an eval run, in the shape of its JSON form.
type evalReport struct {
	Pred       string         `json:"pred"`
	Truth      string         `json:"truth"`
	Classes    []reportClass  `json:"classes"`
	Metrics    []string       `json:"metrics"`
	Empty      string         `json:"empty"`
	Spacing    string         `json:"spacing"`
	Workers    int            `json:"workers"`
	Seconds    float64        `json:"seconds"`
	Summary    []summaryRow   `json:"summary"`
	Reductions []reductionRow `json:"reductions"`
	Cases      []reportCase   `json:"cases"`
	Failures   []failureRow   `json:"failures"`
	Unpaired   []string       `json:"unpaired"`
}

type reportClass struct {
	Label int32  `json:"label"`
	Name  string `json:"name"`
}

type reportCase struct {
	Name    string      `json:"name"`
	Pred    string      `json:"pred"`
	Truth   string      `json:"truth"`
	Shape   []int       `json:"shape"`
	Spacing []float64   `json:"spacing"`
	Values  [][]float64 `json:"-"` // [class][metric]; NaN with kept false = skipped
	kept    [][]bool
	JSON    []map[string]any `json:"values"`
}

type summaryRow struct {
	Class  string    `json:"class"`
	Label  int32     `json:"label"`
	Metric string    `json:"metric"`
	Mean   jsonFloat `json:"mean"` // +Inf when a value is infinite
	// FiniteMean is the mean of the finite values alone.
	FiniteMean jsonFloat `json:"finite_mean"`
	Std        jsonFloat `json:"std"`
	Median     jsonFloat `json:"median"`
	N          int       `json:"n"`
	NaN        int       `json:"nan"`
	Inf        int       `json:"inf"`
}

type reductionRow struct {
	Metric    string    `json:"metric"`
	Micro     jsonFloat `json:"micro"`
	Macro     jsonFloat `json:"macro"`
	Weighted  jsonFloat `json:"weighted"`
	ImageWise jsonFloat `json:"imagewise"`
	ImageMean jsonFloat `json:"imagemean"` // MONAI's mean: classes of each image first
}

type failureRow struct {
	Pred  string `json:"pred"`
	Truth string `json:"truth"`
	Error string `json:"error"`
}

// jsonFloat is the project's JSON form of a value that may be NaN or
// infinite (see stats.Num).
type jsonFloat = stats.Num

// formatFloat formats v in full precision, NaN as "NaN", infinities as
// "+Inf" and "-Inf".
func formatFloat(v float64) string { return stats.Num(v).String() }

// buildReport turns the case results into per-case values, the per-class
// summary and the overlap reductions.
func buildReport(o *evalOptions, cfg *evalConfig, results []*caseResult, failures []evalFailure, unpaired []string, elapsed time.Duration) (*evalReport, error) {
	classes := cfg.classes
	if classes == nil {
		seen := map[int32]bool{}
		for _, r := range results {
			for _, l := range r.Labels {
				if !seen[l] {
					seen[l] = true
					classes = append(classes, l)
				}
			}
		}
		sort.Slice(classes, func(i, j int) bool { return classes[i] < classes[j] })
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("eval: no labels to score: the masks hold only background (0); choose labels with --labels")
	}
	rep := &evalReport{Pred: o.Pred, Truth: o.Truth, Empty: cfg.policy.String(), Workers: cfg.workers,
		Seconds: elapsed.Seconds(), Spacing: "from files", Unpaired: unpaired, Failures: []failureRow{}}
	if rep.Unpaired == nil {
		rep.Unpaired = []string{}
	}
	if cfg.spacing != nil {
		rep.Spacing = o.Spacing
	}
	for _, c := range classes {
		name, ok := cfg.names[c]
		if !ok {
			name = dataset.LabelName(int(c))
		}
		rep.Classes = append(rep.Classes, reportClass{c, name})
	}
	for _, m := range cfg.metrics {
		rep.Metrics = append(rep.Metrics, m.Name)
	}
	acc := metric.NewAccumulator(len(classes), cfg.overlap, cfg.policy)
	absent := surfaceRow(cfg, func(m evalMetric) float64 { return m.surfaceValue(nil, nil, cfg.tolerance) })
	for _, r := range results {
		index := map[int32]int{}
		for i, l := range r.Labels {
			index[l] = i
		}
		counts := make([]metric.Counts, len(classes))
		for k, c := range classes {
			if i, ok := index[c]; ok {
				counts[k] = r.Counts[i]
			} else {
				counts[k] = metric.Counts{TN: r.Voxels}
			}
		}
		ov, okv, err := acc.Add(counts)
		if err != nil {
			return nil, err
		}
		rc := reportCase{Name: r.Name, Pred: r.Pred, Truth: r.Truth, Shape: r.Shape, Spacing: r.Spacing}
		for k, c := range classes {
			i, present := index[c]
			sv := absent
			if present && r.Surface[i] != nil {
				sv = r.Surface[i]
			}
			vals, kept := make([]float64, len(cfg.metrics)), make([]bool, len(cfg.metrics))
			for mi, m := range cfg.metrics {
				if m.overlap >= 0 {
					vals[mi], kept[mi] = ov[m.overlap][k], okv[m.overlap][k]
					continue
				}
				// Only the surface Dice and the boundary IoU are undefined
				// when both masks are empty; the distances are then 0 (NaN
				// under MONAI's policies).
				vals[mi], kept[mi] = cfg.policy.Apply(sv[mi], m.undefinedWhenEmpty() && counts[k].Empty())
			}
			rc.Values = append(rc.Values, vals)
			rc.kept = append(rc.kept, kept)
		}
		rep.Cases = append(rep.Cases, rc)
	}
	for k, c := range rep.Classes {
		for mi, m := range cfg.metrics {
			var xs []float64
			for _, rc := range rep.Cases {
				if rc.kept[k][mi] {
					xs = append(xs, rc.Values[k][mi])
				}
			}
			rep.Summary = append(rep.Summary, summarize(c, m.Name, xs))
		}
	}
	for _, m := range cfg.metrics {
		if m.overlap < 0 {
			continue
		}
		rep.Reductions = append(rep.Reductions, reductionRow{m.Name,
			jsonFloat(acc.Reduce(m.overlap, metric.Micro)), jsonFloat(acc.Reduce(m.overlap, metric.Macro)),
			jsonFloat(acc.Reduce(m.overlap, metric.Weighted)), jsonFloat(acc.Reduce(m.overlap, metric.ImageWise)),
			jsonFloat(acc.Reduce(m.overlap, metric.ImageMean))})
	}
	for _, f := range failures {
		rep.Failures = append(rep.Failures, failureRow{f.Pred, f.Truth, f.Err.Error()})
	}
	return rep, nil
}

// summarize returns the mean, sample standard deviation and median of the
// values of xs that are not NaN, and the count of NaN and infinite ones.
// An infinite value (a missed object's distance) makes the mean infinite
// (and the standard deviation NaN): never a finite mean that leaves it out;
// the mean of the finite values alone is FiniteMean.
func summarize(c reportClass, name string, xs []float64) summaryRow {
	d := stats.Describe(xs)
	row := summaryRow{Class: c.Name, Label: c.Label, Metric: name, N: d.N, NaN: d.NaN, Inf: d.Inf,
		Mean: jsonFloat(d.MeanAll), FiniteMean: jsonFloat(d.Mean), Std: jsonFloat(d.SD), Median: jsonFloat(d.Median)}
	if d.Inf > 0 {
		row.Std = jsonFloat(math.NaN())
	}
	return row
}

// write writes the report in the given format.
func (r *evalReport) write(w io.Writer, format string) error {
	switch format {
	case "json":
		for i := range r.Cases {
			r.Cases[i].JSON = r.caseJSON(&r.Cases[i])
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return r.writeCSV(w)
	}
	return r.writeTable(w)
}

// caseJSON returns the values of one case as one object per class, skipped
// values left out.
func (r *evalReport) caseJSON(rc *reportCase) []map[string]any {
	out := make([]map[string]any, len(r.Classes))
	for k, c := range r.Classes {
		obj := map[string]any{"label": c.Label, "class": c.Name}
		for mi, m := range r.Metrics {
			if rc.kept[k][mi] {
				obj[m] = jsonFloat(rc.Values[k][mi])
			}
		}
		out[k] = obj
	}
	return out
}

// writeCSV writes one row per case and class; skipped values are empty.
func (r *evalReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(append([]string{"case", "pred", "truth", "label", "class"}, r.Metrics...))
	for _, rc := range r.Cases {
		for k, c := range r.Classes {
			row := []string{rc.Name, rc.Pred, rc.Truth, strconv.Itoa(int(c.Label)), c.Name}
			for mi := range r.Metrics {
				cell := ""
				if rc.kept[k][mi] {
					cell = formatFloat(rc.Values[k][mi])
				}
				row = append(row, cell)
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeTable writes the human-readable summary.
func (r *evalReport) writeTable(w io.Writer) error {
	fmt.Fprintf(w, "segloss eval: %s, %d failed, %d unpaired; spacing %s; empty=%s; %.2f s on %s (%.1f ms per case)\n\n",
		plural(len(r.Cases), "case", "cases"), len(r.Failures), len(r.Unpaired), r.Spacing, r.Empty, r.Seconds, plural(r.Workers, "worker", "workers"),
		1000*r.Seconds/math.Max(1, float64(len(r.Cases)+len(r.Failures))))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\tmetric\tmean\tstd\tmedian\tn\tnan\tinf")
	for _, s := range r.Summary {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", s.Class, s.Metric, short(s.Mean), short(s.Std), short(s.Median), s.N, s.NaN, s.Inf)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Reductions) > 0 {
		fmt.Fprintln(w, "\nover the data set:")
		fmt.Fprintln(tw, "metric\tmicro\tmacro\tweighted\timagewise\timagemean")
		for _, d := range r.Reductions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Metric, short(d.Micro), short(d.Macro), short(d.Weighted), short(d.ImageWise), short(d.ImageMean))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\nfailed (%d):\n", len(r.Failures))
		for _, f := range r.Failures {
			fmt.Fprintf(w, "  %s\n", f.Error)
		}
	}
	return nil
}

// short formats v with four decimals for the table.
func short(v jsonFloat) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatFloat(f)
	}
	return strconv.FormatFloat(f, 'f', 4, 64)
}
