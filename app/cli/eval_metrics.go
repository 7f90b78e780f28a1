package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/segloss/segloss/metric"
	"github.com/segloss/segloss/metric/surface"
)

// evalMetric is one metric of an eval run: an overlap metric computed from
// confusion counts, or a surface metric computed from surface distances.
type evalMetric struct {
	Name    string
	overlap int     // index into evalConfig.overlap, or -1 for a surface metric
	kind    string  // surface metrics: "hd", "hdp", "assd", "nsd", "dhd", "dhdp", "asd" or "biou"
	p       float64 // percentile of "hdp" and "dhdp", band width of "biou" (0: 2 % of the diagonal)
}

// surfaceNames are the surface metrics eval accepts besides hdP, dhdP and
// biouW.
var surfaceNames = []string{"hd", "hd95", "assd", "nsd", "dhd", "dhd95", "asd", "biou"}

// undefinedWhenEmpty reports whether the metric is undefined (not 0) when
// both masks are empty: the surface Dice and the boundary IoU.
func (m evalMetric) undefinedWhenEmpty() bool {
	return m.kind == "nsd" || m.kind == "biou" || m.kind == "cldice"
}

// allMetrics is what --metrics all selects.
var allMetrics = append(append([]string{}, metric.Names...), surfaceNames...)

// surfaceValue returns the surface metric m from the directed distances
// (prediction to truth, truth to prediction); boundary IoU is computed from
// the masks instead.
func (m evalMetric) surfaceValue(ab, ba []float64, tol float64) float64 {
	switch m.kind {
	case "hd":
		return surface.Hausdorff(ab, ba)
	case "hdp":
		return surface.HausdorffPercentile(ab, ba, m.p)
	case "assd":
		return surface.ASSD(ab, ba)
	case "dhd":
		return surface.DirectedPercentile(ab, ba, 100)
	case "dhdp":
		return surface.DirectedPercentile(ab, ba, m.p)
	case "asd":
		return surface.SurfaceDistance(ab, ba)
	}
	return surface.SurfaceDice(ab, ba, tol)
}

// parseEvalMetrics parses a comma-separated list of metric names ("all"
// for every metric) into eval metrics and the overlap metrics they use.
func parseEvalMetrics(list string) ([]evalMetric, []metric.Metric, error) {
	var out []evalMetric
	var overlap []metric.Metric
	seen := map[string]bool{}
	var names []string
	for _, n := range strings.Split(list, ",") {
		if strings.TrimSpace(n) == "all" {
			names = append(names, allMetrics...)
		} else {
			names = append(names, n)
		}
	}
	for _, raw := range names {
		name := strings.ToLower(strings.TrimSpace(raw))
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		m := evalMetric{Name: name, overlap: -1}
		switch {
		case name == "hd" || name == "assd" || name == "nsd" || name == "dhd" || name == "asd" || name == "biou" || name == "cldice":
			m.kind = name
		case strings.HasPrefix(name, "hd") || strings.HasPrefix(name, "dhd"):
			prefix := name[:strings.Index(name, "hd")+2]
			p, err := strconv.ParseFloat(name[len(prefix):], 64)
			if err != nil || !(p > 0 && p <= 100) {
				return nil, nil, fmt.Errorf("--metrics: %q: want %sP with a percentile P in (0, 100], e.g. %s95", raw, prefix, prefix)
			}
			m.kind, m.p = prefix+"p", p
		case strings.HasPrefix(name, "biou"):
			w, err := strconv.Atoi(name[4:])
			if err != nil || w < 1 {
				return nil, nil, fmt.Errorf("--metrics: %q: want biou or biouW with a band width W >= 1 voxels", raw)
			}
			m.kind, m.p = "biou", float64(w)
		default:
			om, err := metric.Parse(name)
			if err != nil {
				return nil, nil, fmt.Errorf("--metrics: %q is not a metric (want all, %s, %s, hdP, dhdP, biouW, cldice (2-D) or fbeta:beta=B)",
					raw, strings.Join(metric.Names, ", "), strings.Join(surfaceNames, ", "))
			}
			m.Name, m.overlap = om.Name, len(overlap)
			overlap = append(overlap, om)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("--metrics: no metric given")
	}
	return out, overlap, nil
}
