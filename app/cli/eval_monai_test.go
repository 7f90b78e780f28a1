package cli

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/maskio"
)

// TestEvalMONAIOptions checks the MONAI conventions and new metrics of
// eval on one 5×6 pair: label 1 is one pixel at (0, 0) in the prediction
// and at (3, 4) in the truth (Euclidean 5, taxicab 7, chessboard 4 apart);
// label 2 is predicted at (4, 5) but absent from the truth; label 3 is
// absent from both.
func TestEvalMONAIOptions(t *testing.T) {
	dir := t.TempDir()
	pred, truth := make([]float64, 30), make([]float64, 30)
	pred[0], truth[3*6+4], pred[29] = 1, 1, 2
	p, q := filepath.Join(dir, "p.png"), filepath.Join(dir, "t.png")
	maskio.Write(p, &maskio.Image{Shape: []int{5, 6}, Data: pred})
	maskio.Write(q, &maskio.Image{Shape: []int{5, 6}, Data: truth})
	run := func(args ...string) jsonReport {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.json")
		args = append([]string{"eval", "--pred", p, "--truth", q, "--labels", "1,2,3", "--format", "json", "--out", out}, args...)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return readReport(t, out)
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		args   []string
		metric string
		want   [3]float64 // labels 1, 2, 3
	}{
		{[]string{"--metrics", "hd,dhd95,asd"}, "hd", [3]float64{5, inf, 0}},
		{[]string{"--metrics", "hd", "--distance", "taxicab"}, "hd", [3]float64{7, inf, 0}},
		{[]string{"--metrics", "hd95", "--distance", "chessboard"}, "hd95", [3]float64{4, inf, 0}},
		{[]string{"--metrics", "dhd95"}, "dhd95", [3]float64{5, inf, 0}},
		{[]string{"--metrics", "asd,assd", "--empty", "den-nan"}, "asd", [3]float64{5, inf, nan}},
		{[]string{"--metrics", "hd", "--empty", "truth-nan"}, "hd", [3]float64{5, inf, nan}},
		{[]string{"--metrics", "dice"}, "dice", [3]float64{0, 0, nan}},
		{[]string{"--metrics", "dice", "--empty", "truth-nan"}, "dice", [3]float64{0, nan, nan}},
		{[]string{"--metrics", "recall", "--empty", "den-nan"}, "recall", [3]float64{0, nan, nan}},
		{[]string{"--metrics", "recall"}, "recall", [3]float64{0, 0, nan}},
		{[]string{"--metrics", "biou1"}, "biou1", [3]float64{0, 0, nan}},
		{[]string{"--metrics", "fpr,npv"}, "fpr", [3]float64{1.0 / 29, 1.0 / 30, 0}},
		{[]string{"--metrics", "cldice"}, "cldice", [3]float64{0, 0, nan}},
		{[]string{"--metrics", "nsd", "--subvoxels", "--tolerance", "3"}, "nsd", [3]float64{0, 0, nan}},
		{[]string{"--metrics", "nsd", "--subvoxels", "--tolerance", "4"}, "nsd", [3]float64{0.25, 0, nan}}, // corners 3.6, 4.2, 4.5, 5 apart
		{[]string{"--metrics", "nsd", "--subvoxels", "--tolerance", "5"}, "nsd", [3]float64{1, 0, nan}},
	} {
		r := run(c.args...)
		for k, want := range c.want {
			if got := r.value(t, r.Cases[0].Name, k, c.metric); !same(got, want) {
				t.Errorf("%v: label %d %s = %v, want %v", c.args, k+1, c.metric, got, want)
			}
		}
	}
	if _, _, code := runCLI(t, "eval", "--pred", p, "--truth", q, "--distance", "manhattan"); code != 2 {
		t.Errorf("--distance manhattan: exit %d, want 2", code)
	}
}
