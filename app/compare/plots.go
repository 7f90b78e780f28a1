package compare

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/segloss/segloss/app/stats"
)

// plotDPI is the resolution of the embedded plots: sharp on high-density
// screens, scaled down by the page.
const plotDPI = 144

// sans is the plots' font: Liberation Sans, the metric twin of the page's
// sans-serif system font.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot whose texts use the page's kind of font, large
// enough to stay readable when the page scales the picture down.
func newPlot() *plot.Plot {
	p := plot.New()
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Typeface, f.Variant = sans.Typeface, sans.Variant
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = vg.Points(12), vg.Points(12)
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(11), vg.Points(11)
	return p
}

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

// stepTicks marks the training steps with round numbers, written in full.
type stepTicks struct{}

// Ticks returns about five round ticks between min and max.
func (stepTicks) Ticks(min, max float64) []plot.Tick {
	span := max - min
	if span <= 0 {
		return []plot.Tick{{Value: min, Label: fmt.Sprintf("%.0f", min)}}
	}
	step := math.Pow(10, math.Floor(math.Log10(span/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= 6 {
			step *= m
			break
		}
	}
	step = math.Max(1, step)
	var out []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+1e-9; v += step {
		out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
	}
	return out
}

// curvePlot draws the validation Dice (mean over foreground classes)
// against the training step, one line per finished loss (averaged over its
// runs). The page's heading names it: no title.
func curvePlot(res *Results, narrow bool) ([]byte, error) {
	p := newPlot()
	if !narrow { // shown at up to 780 px: the page's text size
		p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(9.5), vg.Points(9.5)
		p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = vg.Points(10), vg.Points(10)
	}
	p.X.Label.Text = "training step"
	p.Y.Label.Text = "validation Dice"
	p.Y.Min, p.Y.Max = 0, 1
	p.X.Tick.Marker = stepTicks{}
	p.Add(plotter.NewGrid())
	for i, r := range res.Runs {
		if !r.Done() || len(r.Curve) == 0 {
			continue
		}
		var xys plotter.XYs
		for _, pt := range r.Curve {
			d := stats.Mean(floats(pt.Dice))
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
		l.Color, l.Width = lossColor(i), vg.Points(1.8)
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
	if narrow { // for phones: shown at about 360 px
		return renderPNG(p, 3.6*vg.Inch, 2.6*vg.Inch)
	}
	return renderPNG(p, 6.5*vg.Inch, 2.4*vg.Inch)
}

// forestPlot draws one panel of the forest plot: each ranked loss's mean
// with its bootstrap 95 % interval, best at the top, on a 0..1 axis.
func forestPlot(res *Results, title string, rk []RankEntry) ([]byte, error) {
	p := newPlot()
	p.Title.Text = title
	p.X.Label.Text = "Dice, mean and 95 % CI"
	p.X.Min, p.X.Max = 0, 1
	p.Add(plotter.NewGrid())
	names := make([]string, len(rk))
	for a, e := range rk {
		y := float64(len(rk) - 1 - a)
		names[len(rk)-1-a] = e.Loss
		if math.IsNaN(float64(e.Mean)) {
			continue
		}
		c := lossColor(res.lossIndex(e.Loss))
		pt := plotter.XYs{{X: float64(e.Mean), Y: y}}
		eb, err := plotter.NewXErrorBars(struct {
			plotter.XYs
			plotter.XErrors
		}{pt, plotter.XErrors{{Low: float64(e.Mean - e.Low), High: float64(e.High - e.Mean)}}})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Width, eb.LineStyle.Color, eb.CapWidth = vg.Points(2), c, vg.Points(7)
		p.Add(eb)
		s, err := plotter.NewScatter(pt)
		if err != nil {
			return nil, err
		}
		s.Color, s.Radius = c, vg.Points(4)
		if e.Group == 1 {
			s.Shape = draw.CircleGlyph{}
		} else {
			s.Shape = draw.RingGlyph{}
		}
		p.Add(s)
	}
	p.NominalY(names...)
	p.Y.Tick.Label.Font.Size = vg.Points(11)
	h := 0.9 + 0.32*float64(len(rk))
	return renderPNG(p, 4.2*vg.Inch, vg.Length(h)*vg.Inch)
}

// metricPlot draws metric m of every finished loss as points with their
// bootstrap 95 % interval, one group per foreground class. A value that is
// undefined (an HD95 where a mask is empty) is not drawn, never drawn as 0.
func metricPlot(res *Results, m int) ([]byte, error) {
	p := newPlot()
	name := Metrics[m]
	p.Title.Text = metricTitle(name)
	if name != "hd95" {
		p.Y.Min, p.Y.Max = 0, 1
	} else {
		p.Y.Min = 0
		p.Y.Label.Text = res.Units + " (lower is better)"
	}
	p.Add(plotter.NewGrid())
	var done []int
	for i := range res.Runs {
		if res.Runs[i].Done() {
			done = append(done, i)
		}
	}
	n := max(len(done), 1)
	width := 0.8 / float64(n)
	missing := 0
	for j, i := range done {
		r := res.Runs[i]
		var xys plotter.XYs
		var errs plotter.YErrors
		for k := range res.Classes {
			st := r.Summary[m][k]
			v, lo, hi := float64(st.Mean), float64(st.Low), float64(st.High)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				missing++
				continue
			}
			if math.IsNaN(lo) || math.IsNaN(hi) {
				lo, hi = v, v
			}
			xys = append(xys, plotter.XY{X: float64(k) + width*(float64(j)-float64(n-1)/2), Y: v})
			errs = append(errs, struct{ Low, High float64 }{v - lo, hi - v})
		}
		if len(xys) == 0 {
			continue
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Width, eb.LineStyle.Color, eb.CapWidth = vg.Points(1.4), lossColor(i), vg.Points(4)
		p.Add(eb)
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		s.Color, s.Shape, s.Radius = lossColor(i), draw.CircleGlyph{}, vg.Points(3)
		p.Add(s)
	}
	p.NominalX(res.Classes...)
	p.X.Min, p.X.Max = -0.5, float64(len(res.Classes))-0.5
	if missing > 0 {
		p.X.Label.Text = fmt.Sprintf("%d value(s) missing: undefined, not drawn", missing)
		p.X.Label.TextStyle.Color = color.Gray{Y: 90}
	}
	return renderPNG(p, 3.6*vg.Inch, 2.6*vg.Inch)
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

// lossIndex returns the position of loss in the loss list (its colour).
func (res *Results) lossIndex(loss string) int {
	for i := range res.Runs {
		if res.Runs[i].Loss == loss {
			return i
		}
	}
	return 0
}
