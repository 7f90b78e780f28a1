package train

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/segloss/segloss/maskio"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Point is one step of the training curve. The validation fields are set
// on the steps where validation ran (ValDice != nil).
type Point struct {
	Step     int       `json:"step"`
	Elapsed  float64   `json:"elapsed_s"` // training seconds since the start of the run
	Loss     float64   `json:"loss"`      // training loss of the step's batch
	ValDice  []float64 `json:"val_dice,omitempty"`
	ValIoU   []float64 `json:"val_iou,omitempty"`
	MeanDice float64   `json:"val_mean_dice,omitempty"`
}

// writeCurve writes the curve as curve.csv, curve.json and curve.png in
// dir, each atomically. names are the foreground class names.
func writeCurve(dir string, curve []Point, names []string) error {
	if err := maskio.WriteFileAtomic(filepath.Join(dir, "curve.json"), func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", " ")
		return e.Encode(curve)
	}); err != nil {
		return err
	}
	if err := maskio.WriteFileAtomic(filepath.Join(dir, "curve.csv"), func(w io.Writer) error {
		return curveCSV(w, curve, names)
	}); err != nil {
		return err
	}
	return plotCurve(filepath.Join(dir, "curve.png"), curve, names)
}

// curveCSV writes one row per step; validation columns are empty on steps
// without validation.
func curveCSV(w io.Writer, curve []Point, names []string) error {
	cw := csv.NewWriter(w)
	head := []string{"step", "elapsed_s", "loss", "val_mean_dice"}
	for _, n := range names {
		head = append(head, "val_dice_"+n)
	}
	for _, n := range names {
		head = append(head, "val_iou_"+n)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, p := range curve {
		row := []string{strconv.Itoa(p.Step), f(p.Elapsed), f(p.Loss), ""}
		if p.ValDice != nil {
			row[3] = f(p.MeanDice)
		}
		for i := range names {
			row = append(row, cell(p.ValDice, i, f))
		}
		for i := range names {
			row = append(row, cell(p.ValIoU, i, f))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func cell(v []float64, i int, f func(float64) string) string {
	if i < len(v) {
		return f(v[i])
	}
	return ""
}

// plotCurve draws the training curve into a PNG in two panels with their
// own axes: the training loss against the step above, the validation Dice
// per class (0..1) below.
func plotCurve(path string, curve []Point, names []string) error {
	top, bottom := plot.New(), plot.New()
	top.Title.Text = "Training curve"
	top.Y.Label.Text = "training loss"
	bottom.X.Label.Text = "step"
	bottom.Y.Label.Text = "validation Dice"
	bottom.Y.Min, bottom.Y.Max = 0, 1
	loss := make(plotter.XYs, len(curve))
	for i, c := range curve {
		loss[i] = plotter.XY{X: float64(c.Step), Y: c.Loss}
	}
	if err := addLine(top, "training loss", loss, 0); err != nil {
		return err
	}
	for k, n := range names {
		var xy plotter.XYs
		for _, c := range curve {
			if k < len(c.ValDice) {
				xy = append(xy, plotter.XY{X: float64(c.Step), Y: c.ValDice[k]})
			}
		}
		if len(xy) > 0 {
			if err := addLine(bottom, "val Dice "+n, xy, k+1); err != nil {
				return err
			}
		}
	}
	top.Legend.Top, bottom.Legend.Top = true, true
	if len(curve) > 0 { // the same step axis in both panels
		top.X.Min, top.X.Max = float64(curve[0].Step), float64(curve[len(curve)-1].Step)
		bottom.X.Min, bottom.X.Max = top.X.Min, top.X.Max
	}
	img := vgimg.New(8*vg.Inch, 7*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return maskio.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, i int) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	l.Color = plotColors[i%len(plotColors)]
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}
