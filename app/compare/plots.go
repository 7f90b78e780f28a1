package compare

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// plotDPI is the resolution of the embedded plots: sharp on high-density
// screens, scaled down by the page.
const plotDPI = 144

// renderPNG draws p as a w×h PNG.
func renderPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return buf.Bytes(), nil
}

// curvePlot draws the validation Dice (mean over foreground classes)
// against the training step, one line per finished run.
func curvePlot(res *Results) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Validation Dice during training (mean over foreground classes)"
	p.X.Label.Text = "training step"
	p.Y.Label.Text = "validation Dice"
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	for i, r := range res.Runs {
		if !r.Done() || len(r.Curve) == 0 {
			continue
		}
		var xys plotter.XYs
		for _, pt := range r.Curve {
			d := meanNums(pt.Dice)
			if !math.IsNaN(d) {
				xys = append(xys, plotter.XY{X: float64(pt.Step), Y: d})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = lossColor(i), vg.Points(1.6)
		p.Add(l)
		if len(xys) == 1 {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			s.Color = lossColor(i)
			p.Add(s)
		}
	}
	return renderPNG(p, 8*vg.Inch, 3*vg.Inch)
}

// meanNums returns the mean of the finite values of v (NaN if none).
func meanNums(v []Num) float64 {
	var s float64
	n := 0
	for _, x := range v {
		if f := float64(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
			s += f
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// barPlot draws metric m of every finished run as grouped bars, one group
// per foreground class, with the standard deviation over cases as error
// bars.
func barPlot(res *Results, m int) ([]byte, error) {
	p := plot.New()
	name := Metrics[m]
	p.Title.Text = metricTitle(name)
	if name != "hd95" {
		p.Y.Min, p.Y.Max = 0, 1
	} else {
		p.Y.Min = 0
		p.Y.Label.Text = "voxels (lower is better)"
	}
	p.Add(plotter.NewGrid())
	var done []int
	for i := range res.Runs {
		if res.Runs[i].Done() {
			done = append(done, i)
		}
	}
	n := max(len(done), 1)
	width := vg.Points(math.Min(16, 150/float64(n)))
	for j, i := range done {
		r := res.Runs[i]
		vals := make(plotter.Values, len(res.Classes))
		var errs plotter.YErrors
		var xys plotter.XYs
		for k := range res.Classes {
			st := r.Summary[m][k]
			v, sd := float64(st.Mean), float64(st.SD)
			if math.IsNaN(v) {
				v = 0
			}
			if math.IsNaN(sd) {
				sd = 0
			}
			vals[k] = v
			xys = append(xys, plotter.XY{X: float64(k), Y: v})
			lo, hi := math.Min(sd, v), sd // whiskers stay within the metric's range
			if name != "hd95" {
				hi = math.Min(sd, 1-v)
			}
			errs = append(errs, struct{ Low, High float64 }{lo, hi})
		}
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		off := width * vg.Length(float64(j)-float64(n-1)/2)
		b.Color, b.LineStyle.Width, b.Offset = lossColor(i), 0, off
		p.Add(b)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Width, eb.CapWidth = vg.Points(0.8), width*0.5
		eb.XYs = xys
		p.Add(offsetErrors{eb, off})
	}
	p.NominalX(res.Classes...)
	return renderPNG(p, 3.6*vg.Inch, 2.6*vg.Inch)
}

// offsetErrors draws error bars shifted sideways, onto their bar.
type offsetErrors struct {
	*plotter.YErrorBars
	off vg.Length
}

// Plot draws the error bars shifted by off.
func (o offsetErrors) Plot(c draw.Canvas, p *plot.Plot) {
	c.Rectangle.Min.X += o.off
	c.Rectangle.Max.X += o.off
	o.YErrorBars.Plot(c, p)
}

// metricTitle is the heading of a metric's plot.
func metricTitle(name string) string {
	switch name {
	case "dice":
		return "Dice"
	case "iou":
		return "IoU"
	case "precision":
		return "Precision"
	case "recall":
		return "Recall"
	case "hd95":
		return "HD95"
	}
	return name
}
