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

// WriteOutputs writes results.json and report.html into out; preds holds
// each run's predictions on the validation examples (nil when unfinished).
// Both are rendered in memory and replace the old pair together, so that
// a failed write leaves the old results.json and report.html, never a new
// one beside an old one.
func WriteOutputs(out string, res *Results, set *dataset.Set, preds [][][]int32) error {
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	v, err := newReportView(res, set, preds)
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
	Bars     []picture
	GridCols []chip
	Grid     []gridRow
	Meta     [][2]string
	Versions [][2]string
}

type chip struct{ Name, Color string }

type picture struct {
	Title string
	Src   template.URL
}

type rowView struct {
	Rank, Loss, Color, Status string
	Dice                      []cell
	HD95                      []string
	Mean, IoU, Prec, Rec      string
	Steps, Time               string
	Done                      bool
}

type cell struct {
	Text string
	Best bool
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
	v := &reportView{R: res}
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
			row.Rank = fmt.Sprint(r.Rank)
			for k := range res.Classes {
				row.Dice = append(row.Dice, cell{meanSDText(r.Stat("dice", k)), res.Best[k] == r.Loss})
				h := r.Stat("hd95", k)
				row.HD95 = append(row.HD95, hdText(h))
			}
			row.Mean = fmt3(float64(r.MeanDice))
			n := len(res.Classes)
			row.IoU, row.Prec, row.Rec = fmtMean(r, "iou", n), fmtMean(r, "precision", n), fmtMean(r, "recall", n)
			row.Steps, row.Time = fmt.Sprint(r.Steps), fmtSeconds(r.Seconds)
		}
		v.Rows = append(v.Rows, row)
	}
	if res.Finished > 0 {
		png, err := curvePlot(res)
		if err != nil {
			return nil, err
		}
		v.Curve = dataURL(png)
		for m := range Metrics {
			png, err := barPlot(res, m)
			if err != nil {
				return nil, err
			}
			v.Bars = append(v.Bars, picture{metricTitle(Metrics[m]), dataURL(png)})
		}
		if err := v.grid(res, set, preds); err != nil {
			return nil, err
		}
	}
	v.Meta = [][2]string{
		{"data", dataText(res.Data)},
		{"classes", classesText(res)},
		{"split", fmt.Sprintf("%d training cases (%d slices), %d held-out cases (%d slices), split seed %d", len(res.Split.Train), res.Data.TrainExamples, len(res.Split.Val), res.Data.ValExamples, res.Split.Seed)},
		{"budget", fmt.Sprintf("%s per loss, seed %d, %d run(s) at a time", res.Budget, res.Seed, res.Parallel)},
		{"model", fmt.Sprintf("%+v", res.Model)},
		{"finished", fmt.Sprintf("%d of %d runs; this call took %s", res.Finished, len(res.Runs), fmtSeconds(res.WallSeconds))},
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

// hdText writes an HD95 statistic, with the cases where it is infinite
// (one mask empty) noted.
func hdText(s Stat) string {
	if math.IsNaN(float64(s.Mean)) {
		return "-"
	}
	return fmt.Sprintf("%.2f ± %.2f", float64(s.Mean), float64(s.SD))
}

// grid renders the sample rows: image, truth, and each finished run.
func (v *reportView) grid(res *Results, set *dataset.Set, preds [][][]int32) error {
	v.GridCols = []chip{{"image", ""}, {"ground truth", ""}}
	var runs []int
	for i, r := range res.Runs {
		if r.Done() && i < len(preds) && preds[i] != nil {
			runs = append(runs, i)
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
			p, err := encodePNG(overlayImage(ex.Image, preds[i][s.Example], ex.Label, set.H, set.W))
			if err != nil {
				return err
			}
			row.Cells = append(row.Cells, picture{fmt.Sprintf("Dice %s", fmt3(s.Dice[i])), dataURL(p)})
		}
		v.Grid = append(v.Grid, row)
	}
	return nil
}

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))
