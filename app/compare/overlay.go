package compare

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"sort"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/stats"
)

// Sample is one row of the report's grid: a validation slice shown as the
// image, its ground truth and each finished run's prediction.
type Sample struct {
	Case     string
	Slice    int
	Example  int       // index in set.Val
	Hard     bool      // among the hardest cases
	MeanDice float64   // case's mean foreground Dice, averaged over the runs
	Dice     []float64 // per run (NaN for unfinished runs)
}

// pickSamples chooses up to hard hardest and typical other validation
// cases (lowest, and spread over the range of, the mean foreground Dice
// over the finished runs) and, in each, the slice with the most
// foreground.
func pickSamples(set *dataset.Set, res *Results, hard, typical int) []Sample {
	vols := volumes(set)
	var cands []Sample
	for ci, v := range vols {
		best, area := -1, 0
		for _, i := range v.Index {
			a := 0
			for _, l := range set.Val[i].Label {
				if l > 0 {
					a++
				}
			}
			if a > area {
				best, area = i, a
			}
		}
		if best < 0 {
			continue
		}
		s := Sample{Case: v.Case, Slice: set.Val[best].Slice, Example: best, Dice: make([]float64, len(res.Runs))}
		for r := range res.Runs {
			s.Dice[r] = math.NaN()
			run := &res.Runs[r]
			if !run.Done() || len(run.Jobs) == 0 || ci >= len(run.Jobs[0].Cases) {
				continue
			}
			d := stats.Mean(floats(run.Jobs[0].Cases[ci].Values[0])) // the run shown: the first seed of the first fold
			s.Dice[r] = d
		}
		s.MeanDice = stats.Mean(s.Dice)
		cands = append(cands, s)
	}
	sort.SliceStable(cands, func(a, b int) bool { return better(-cands[a].MeanDice, -cands[b].MeanDice) })
	var out []Sample
	for i := 0; i < len(cands) && i < hard; i++ {
		cands[i].Hard = true
		out = append(out, cands[i])
	}
	rest := cands[len(out):]
	for j := 0; j < typical && j < len(rest); j++ {
		// Spread over the remaining cases, from the median up.
		idx := len(rest)/2 + j*(len(rest)-len(rest)/2)/max(typical, 1)
		if idx >= len(rest) {
			break
		}
		out = append(out, rest[idx])
	}
	return out
}

// greyImage renders an intensity image, scaled between its 1st and 99th
// percentiles.
func greyImage(img []float32, h, w int) *image.RGBA {
	sorted := append([]float32(nil), img...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	lo, hi := sorted[len(sorted)/100], sorted[len(sorted)-1-len(sorted)/100]
	if hi <= lo {
		hi = lo + 1
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, v := range img {
		g := uint8(math.Round(255 * math.Max(0, math.Min(1, float64((v-lo)/(hi-lo))))))
		out.Set(i%w, i/w, color.RGBA{g, g, g, 255})
	}
	return out
}

// overlayImage renders labels as coloured, half-transparent fills over
// the grey image and, when outline is non-nil, that mask's class
// boundaries in white on top.
func overlayImage(img []float32, labels, outline []int32, h, w int) *image.RGBA {
	out := greyImage(img, h, w)
	for i, l := range labels {
		if l <= 0 {
			continue
		}
		c := classColor(int(l))
		g := out.RGBAAt(i%w, i/w)
		mix := func(a, b uint8) uint8 { return uint8((int(a)*45 + int(b)*55) / 100) }
		out.SetRGBA(i%w, i/w, color.RGBA{mix(g.R, c.R), mix(g.G, c.G), mix(g.B, c.B), 255})
	}
	if outline != nil {
		for i, l := range outline {
			if l > 0 && boundary(outline, i, h, w) {
				out.SetRGBA(i%w, i/w, color.RGBA{255, 255, 255, 255})
			}
		}
	}
	return out
}

// boundary reports whether pixel i of a label map has a 4-neighbour of
// another label (or lies on the border).
func boundary(l []int32, i, h, w int) bool {
	y, x := i/w, i%w
	if y == 0 || x == 0 || y == h-1 || x == w-1 {
		return true
	}
	return l[i-1] != l[i] || l[i+1] != l[i] || l[i-w] != l[i] || l[i+w] != l[i]
}

// encodePNG encodes an image as PNG.
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
