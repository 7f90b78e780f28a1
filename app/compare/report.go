package compare

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/segloss/segloss/app/dataset"
)

// WriteOutputs writes results.json and report.html into out; sets are the
// compare's folds (one without cross-validation) and preds holds each
// run's predictions on its fold's held-out examples (nil when unfinished),
// indexed by run ID. Both are rendered in memory and replace the old pair
// together, so that a failed write leaves the old results.json and
// report.html, never a new one beside an old one.
func WriteOutputs(out string, res *Results, sets []*dataset.Set, preds [][][]int32) error {
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	v, err := newReportView(res, sets[0], preds)
	if err != nil {
		return err
	}
	var html bytes.Buffer
	if err := reportTemplate.Execute(&html, v); err != nil {
		return err
	}
	return writePair(filepath.Join(out, "results.json"), append(js, '\n'), filepath.Join(out, "report.html"), html.Bytes())
}

// reportView is what the report template shows.
type reportView struct {
	R        *Results
	Legend   []chip
	Classes  []chip
	Rows     []rowView
	Curve    template.URL
	CurveSm  template.URL // the curve for narrow screens
	Forest   []picture
	Matrix   matrixView
	Bars     []picture
	GridCols []chip
	Grid     []gridRow
	Meta     [][2]string
	Versions [][2]string
	Over     string // "10 held-out cases × 3 seeds"
}

type chip struct{ Name, Color string }

type picture struct {
	Title string
	Src   template.URL
}

type rowView struct {
	Rank, Group, Loss, Color, Status string
	Dice                             []cell
	HD95                             []string
	Mean, IoU, Prec, Rec             string
	Steps, Time                      string
	Short, Done                      bool
}

type cell struct {
	Text string
	Best bool
}

// matrixView is the pairwise matrix: row loss minus column loss, upper
// triangle, in ranking order.
type matrixView struct {
	Names []chip
	Rows  []matrixRow
}

type matrixRow struct {
	Name  chip
	Cells []matrixCell
}

type matrixCell struct {
	Diff, CI, P string
	Sep, Empty  bool
}

type gridRow struct {
	Label, Note string
	Hard        bool
	Cells       []picture
}

// dataURL embeds a PNG in the page.
func dataURL(png []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

func newReportView(res *Results, set *dataset.Set, preds [][][]int32) (*reportView, error) {
	v := &reportView{R: res, Over: fmt.Sprintf("%d held-out cases", res.Data.ValCases)}
	if res.Seeds > 1 {
		v.Over += fmt.Sprintf(" × %d seeds", res.Seeds)
	}
	for i, r := range res.Runs {
		v.Legend = append(v.Legend, chip{r.Loss, hexColor(lossColor(i))})
	}
	for k, c := range res.Classes {
		v.Classes = append(v.Classes, chip{c, hexColor(classColor(k + 1))})
	}
	for _, i := range rowOrder(res) {
		r := &res.Runs[i]
		row := rowView{Loss: r.Loss, Color: hexColor(lossColor(i)), Status: r.Status, Done: r.Done()}
		if r.Error != "" {
			row.Status += ": " + r.Error
		}
		if r.Done() {
			row.Rank, row.Group = fmt.Sprint(r.Rank), fmt.Sprint(r.Group)
			for k := range res.Classes {
				row.Dice = append(row.Dice, cell{ciText(r.Stat("dice", k)), res.Best[k] == r.Loss})
				row.HD95 = append(row.HD95, hdText(r.Stat("hd95", k)))
			}
			row.Mean = ciText(Stat{Mean: r.MeanDice, Low: r.Low, High: r.High})
			n := len(res.Classes)
			row.IoU, row.Prec, row.Rec = fmtMean(r, "iou", n), fmtMean(r, "precision", n), fmtMean(r, "recall", n)
			row.Steps, row.Time = fmt.Sprint(r.Steps), fmtSeconds(r.Seconds)
			row.Short = res.Budget.Steps > 0 && r.Steps < res.Budget.Steps
		}
		v.Rows = append(v.Rows, row)
	}
	if len(res.Ranking) > 0 {
		png, err := curvePlot(res, false)
		if err != nil {
			return nil, err
		}
		v.Curve = dataURL(png)
		if png, err = curvePlot(res, true); err != nil {
			return nil, err
		}
		v.CurveSm = dataURL(png)
		if png, err = forestPlot(res, "Mean foreground Dice", res.Ranking); err != nil {
			return nil, err
		}
		v.Forest = append(v.Forest, picture{"mean foreground Dice", dataURL(png)})
		for _, cr := range res.PerClass {
			png, err := forestPlot(res, "Dice "+cr.Class, cr.Ranking)
			if err != nil {
				return nil, err
			}
			v.Forest = append(v.Forest, picture{"Dice " + cr.Class, dataURL(png)})
		}
		v.Matrix = matrix(res)
		for m := range Metrics {
			png, err := metricPlot(res, m)
			if err != nil {
				return nil, err
			}
			v.Bars = append(v.Bars, picture{metricTitle(Metrics[m]), dataURL(png)})
		}
		if err := v.grid(res, set, preds); err != nil {
			return nil, err
		}
	}
	split := fmt.Sprintf("%d training cases (%d slices), %d held-out cases (%d slices), split seed %d", len(res.Split.Train), res.Data.TrainExamples, len(res.Split.Val), res.Data.ValExamples, res.Split.Seed)
	if res.Folds > 1 {
		split = fmt.Sprintf("%d-fold cross-validation by case: each of the %d cases held out once (%d slices), fold seed %d", res.Folds, res.Data.ValCases, res.Data.ValExamples, res.Split.Seed)
	}
	v.Meta = [][2]string{
		{"data", dataText(res.Data)},
		{"classes", classesText(res)},
		{"split", split},
		{"runs", fmt.Sprintf("%d per loss (%d seed(s) %d..%d%s), %s each, %d at a time", totalJobs(res)/max(1, len(res.Runs)), res.Seeds, res.Seed, res.Seed+uint64(res.Seeds)-1, foldText(res), res.Budget, res.Parallel)},
		{"model", res.ModelText},
		{"statistics", fmt.Sprintf("bootstrap 95 %% intervals (%d resamples of the cases, and of the seeds within each case; seed %d); paired Wilcoxon signed-rank tests on the per-case differences, Holm-adjusted over the %d pairs; tied: adjusted p ≥ %.2f or an interval of the difference that holds 0", res.Bootstrap.Resamples, res.Bootstrap.Seed, len(res.Pairwise), Alpha)},
		{"finished", fmt.Sprintf("%d of %d runs; this call took %s", res.Finished, totalJobs(res), fmtSeconds(res.WallSeconds))},
	}
	if res.Command != "" {
		v.Meta = append(v.Meta, [2]string{"command", res.Command})
	}
	keys := make([]string, 0, len(res.Versions))
	for k := range res.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Versions = append(v.Versions, [2]string{k, res.Versions[k]})
	}
	return v, nil
}

// foldText writes ", on each of 5 folds" or nothing.
func foldText(res *Results) string {
	if res.Folds > 1 {
		return fmt.Sprintf(", on each of %d folds", res.Folds)
	}
	return ""
}

// matrix builds the pairwise matrix of res.
func matrix(res *Results) matrixView {
	var m matrixView
	for _, e := range res.Ranking {
		m.Names = append(m.Names, chip{e.Loss, hexColor(lossColor(res.lossIndex(e.Loss)))})
	}
	if len(m.Names) < 2 {
		return matrixView{}
	}
	for a, e := range res.Ranking[:len(res.Ranking)-1] {
		row := matrixRow{Name: m.Names[a]}
		for b, f := range res.Ranking {
			if b == 0 {
				continue
			}
			if b <= a {
				row.Cells = append(row.Cells, matrixCell{Empty: true})
				continue
			}
			p, _ := findPair(res.Pairwise, e.Loss, f.Loss)
			row.Cells = append(row.Cells, matrixCell{Diff: f3(p.MeanDiff), CI: "[" + f3(p.Low) + ", " + f3(p.High) + "]", P: pText(p), Sep: p.Separated()})
		}
		m.Rows = append(m.Rows, row)
	}
	m.Names = m.Names[1:]
	return m
}

// dataText names the data set and where it comes from.
func dataText(d DataInfo) string {
	if d.Format == "synthetic" {
		return fmt.Sprintf("%s: the built-in synthetic set (%s), generated in code, %d×%d", d.Name, d.Dir, d.Height, d.Width)
	}
	return fmt.Sprintf("%s: %s folder %s, slices in %d×%d frames", d.Name, d.Format, d.Dir, d.Height, d.Width)
}

// classesText lists the classes with their share of the validation pixels.
func classesText(res *Results) string {
	var parts []string
	for k, name := range res.Data.Labels {
		if k < len(res.Data.Frequency) {
			parts = append(parts, fmt.Sprintf("%s %.1f %%", name, 100*res.Data.Frequency[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// hdText writes an HD95 statistic with its interval, "missing" when no
// case defines it, and the number of cases where it is undefined (one
// mask empty).
func hdText(s Stat) string {
	if math.IsNaN(float64(s.Mean)) {
		return "missing"
	}
	t := fmt.Sprintf("%.2f [%.2f, %.2f]", float64(s.Mean), float64(s.Low), float64(s.High))
	if s.Undefined > 0 {
		t += fmt.Sprintf(" (%d missing)", s.Undefined)
	}
	return t
}

// grid renders the sample rows: image, truth, and each finished run.
func (v *reportView) grid(res *Results, set *dataset.Set, preds [][][]int32) error {
	v.GridCols = []chip{{"image", ""}, {"ground truth", ""}}
	var runs []int         // loss indices shown
	shown := map[int]int{} // loss index: run ID of its first seed on the first fold
	for i, r := range res.Runs {
		if r.Done() && len(r.Jobs) > 0 && r.Jobs[0].ID < len(preds) && preds[r.Jobs[0].ID] != nil {
			runs = append(runs, i)
			shown[i] = r.Jobs[0].ID
			v.GridCols = append(v.GridCols, chip{r.Loss, hexColor(lossColor(i))})
		}
	}
	for _, s := range pickSamples(set, res, 3, 3) {
		ex := set.Val[s.Example]
		ex.Image = ex.Image[:set.H*set.W] // the first channel of a multi-channel image
		row := gridRow{Label: s.Case, Hard: s.Hard, Note: fmt.Sprintf("mean Dice %.2f", s.MeanDice)}
		if len(volumes(set)) > 0 && len(set.Val) > len(volumes(set)) {
			row.Label += fmt.Sprintf(", slice %d", s.Slice)
		}
		imgs := [][]byte{}
		p, err := encodePNG(greyImage(ex.Image, set.H, set.W))
		if err != nil {
			return err
		}
		imgs = append(imgs, p)
		if p, err = encodePNG(overlayImage(ex.Image, ex.Label, nil, set.H, set.W)); err != nil {
			return err
		}
		imgs = append(imgs, p)
		row.Cells = append(row.Cells, picture{"", dataURL(imgs[0])}, picture{"", dataURL(imgs[1])})
		for _, i := range runs {
			p, err := encodePNG(overlayImage(ex.Image, preds[shown[i]][s.Example], ex.Label, set.H, set.W))
			if err != nil {
				return err
			}
			row.Cells = append(row.Cells, picture{fmt.Sprintf("Dice %s", fmt3(s.Dice[i])), dataURL(p)})
		}
		v.Grid = append(v.Grid, row)
	}
	return nil
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"brk": breakable}).Parse(reportHTML))

// breakable escapes a loss name for HTML and lets it wrap only after its
// separators (_ : , =), never inside a word.
func breakable(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if strings.ContainsRune("_:,=", r) {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}
