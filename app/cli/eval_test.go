package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/segloss/segloss/maskio"
)

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	Classes []reportClass
	Cases   []struct {
		Name   string
		Values []map[string]any
	}
	Summary  []map[string]any
	Failures []failureRow
	Unpaired []string
}

func readReport(t *testing.T, path string) jsonReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// value returns a metric of a case and class, decoding "NaN" and "+Inf".
func (r jsonReport) value(t *testing.T, name string, class int, m string) float64 {
	t.Helper()
	for _, c := range r.Cases {
		if c.Name != name {
			continue
		}
		switch v := c.Values[class][m].(type) {
		case float64:
			return v
		case string:
			return map[string]float64{"NaN": math.NaN(), "+Inf": math.Inf(1), "-Inf": math.Inf(-1)}[v]
		}
		t.Fatalf("case %s class %d: no %s", name, class, m)
	}
	t.Fatalf("no case %s", name)
	return 0
}

func same(a, b float64) bool {
	return a == b || math.Abs(a-b) < 1e-12 || (math.IsNaN(a) && math.IsNaN(b))
}

// TestEvalKnownValues checks eval on the synthetic sets against values
// derived by hand (see evalSets).
func TestEvalKnownValues(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		set, name string
		class     int
		metric    string
		want      float64
	}{
		{"png", "same", 0, "dice", 1},
		{"png", "same", 1, "hd", 0},
		{"png", "shifted", 0, "dice", 0.75},
		{"png", "shifted", 0, "iou", 0.6},
		{"png", "shifted", 0, "precision", 0.75},
		{"png", "shifted", 0, "hd", 2},
		{"png", "shifted", 1, "dice", 0},
		{"png", "shifted", 1, "hd", math.Inf(1)},
		{"png", "shifted", 1, "assd", math.Inf(1)},
		{"png", "shifted", 1, "nsd", 0},
		{"nifti", "ball_shift", 0, "hd", math.Sqrt(3)},
		{"nifti", "ball_same", 0, "dice", 1},
		{"nifti", "ball_same", 0, "hd95", 0},
	} {
		out := filepath.Join(dir, tc.set+".json")
		if _, err := os.Stat(out); err != nil {
			_, stderr, code := runCLI(t, "eval", "--pred", "testdata/eval/"+tc.set+"/pred", "--truth", "testdata/eval/"+tc.set+"/truth",
				"--metrics", "all,hd", "--format", "json", "--out", out, "--workers", "2")
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", tc.set, code, stderr)
			}
		}
		r := readReport(t, out)
		if got := r.value(t, tc.name, tc.class, tc.metric); !same(got, tc.want) {
			t.Errorf("%s/%s class %d %s = %v, want %v", tc.set, tc.name, tc.class, tc.metric, got, tc.want)
		}
	}
}

// TestEvalEmptyPolicy checks the three policies on a class absent from
// both masks (label 3 in the PNG set).
func TestEvalEmptyPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   string
	}{{"one", "1"}, {"nan", "NaN"}, {"skip", ""}} {
		out, stderr, code := runCLI(t, "eval", "--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth",
			"--labels", "3", "--metrics", "dice,hd", "--empty", tc.policy, "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv: %v, %d rows", err, len(rows))
		}
		if rows[1][5] != tc.want || rows[1][6] != "0" {
			t.Errorf("--empty %s: dice %q hd %q, want %q and 0", tc.policy, rows[1][5], rows[1][6], tc.want)
		}
	}
}

// TestEvalTable checks the table summary of the 2-D set.
func TestEvalTable(t *testing.T) {
	out, stderr, code := runCLI(t, "eval", "--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--metrics", "dice,hd")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2 cases, 0 failed", "label 1  dice    0.8750", "label 2  hd      +Inf    NaN     +Inf    1  0    1", "micro"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// copyDir copies the files of src into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	dst := t.TempDir()
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
	return dst
}

// TestEvalBadFiles checks that a bad file stops the run with a message
// naming it, leaving --out unwritten, and that --keep-going reports the
// good pairs and lists the failures with a non-zero exit code.
func TestEvalBadFiles(t *testing.T) {
	pred, truth := copyDir(t, "testdata/eval/png/pred"), copyDir(t, "testdata/eval/png/truth")
	b, _ := os.ReadFile(filepath.Join(truth, "same.png"))
	os.WriteFile(filepath.Join(pred, "broken.png"), b[:len(b)/2], 0o644)
	os.WriteFile(filepath.Join(truth, "broken.png"), b, 0o644)
	small := &maskio.Image{Shape: []int{4, 4}, Data: make([]float64, 16)}
	maskio.Write(filepath.Join(pred, "small.png"), small)
	maskio.Write(filepath.Join(truth, "small.png"), square2D(0, false))
	maskio.Write(filepath.Join(pred, "lonely.png"), small)
	out := filepath.Join(t.TempDir(), "report.json")

	_, stderr, code := runCLI(t, "eval", "--pred", pred, "--truth", truth, "--out", out, "--format", "json", "--workers", "1")
	if code != 1 || !strings.Contains(stderr, filepath.Join(pred, "broken.png")) || !strings.Contains(stderr, "--keep-going") {
		t.Errorf("without --keep-going: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written by a failed run", out)
	}

	stdout, stderr, code := runCLI(t, "eval", "--pred", pred, "--truth", truth, "--out", out, "--format", "json", "--keep-going")
	if code != 1 {
		t.Errorf("--keep-going: exit %d, want 1", code)
	}
	for _, want := range []string{"2 of 4 pairs failed", "broken.png: truncated", "small.png: shape [4 4] differs", "unpaired file", "lonely.png"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "2 cases, 2 failed, 1 unpaired") {
		t.Errorf("summary: %s", stdout)
	}
	r := readReport(t, out)
	if len(r.Cases) != 2 || len(r.Failures) != 2 || len(r.Unpaired) != 1 {
		t.Errorf("report: %d cases, %d failures, %d unpaired", len(r.Cases), len(r.Failures), len(r.Unpaired))
	}
}

// TestEvalProbabilities checks that grey PNG probability maps are
// thresholded: 0.5 of 255 is 127.5, so level 128 is foreground and 127 not.
func TestEvalProbabilities(t *testing.T) {
	dir := t.TempDir()
	truth := &maskio.Image{Shape: []int{1, 4}, Data: []float64{0, 1, 1, 0}}
	pred := &maskio.Image{Shape: []int{1, 4}, Data: []float64{127, 128, 255, 0}}
	maskio.Write(filepath.Join(dir, "t.png"), truth)
	maskio.Write(filepath.Join(dir, "p.png"), pred)
	out, stderr, code := runCLI(t, "eval", "--pred", filepath.Join(dir, "p.png"), "--truth", filepath.Join(dir, "t.png"),
		"--prob", "--metrics", "dice", "--format", "csv")
	if code != 0 || !strings.Contains(out, ",1,label 1,1\n") {
		t.Errorf("exit %d, out %q, err %q", code, out, stderr)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--truth", "x"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--metrics", "nope"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--metrics", "hd200"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--format", "xml"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--empty", "zero"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth", "--spacing", "1,-1"},
		{"--pred", "testdata/eval/png/pred", "--truth", "testdata/eval/png/truth/same.png"},
		{"--pred", "missing", "--truth", "testdata/eval/png/truth"},
	} {
		if _, stderr, code := runCLI(t, append([]string{"eval"}, args...)...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// hippocampusDir returns ../shared/data/hippocampus relative to the
// repository root, found from this test file, or skips the test.
func hippocampusDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data", "hippocampus")
	if _, err := os.Stat(filepath.Join(dir, "labelsTr")); err != nil {
		t.Skipf("hippocampus data set not present: %v", err)
	}
	return dir
}

// TestEvalProgressAndNames runs eval on a terminal with enough files for
// the progress bar, with label names from a dataset.json in the newer
// name-to-value form.
func TestEvalProgressAndNames(t *testing.T) {
	pred, truth := t.TempDir(), t.TempDir()
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("case_%02d.png", i)
		maskio.Write(filepath.Join(pred, name), square2D(i%3, true))
		maskio.Write(filepath.Join(truth, name), square2D(0, true))
	}
	os.WriteFile(filepath.Join(truth, "dataset.json"), []byte(`{"labels": {"background": 0, "square": 1, "disc": 2}}`), 0o644)
	var out, errb bytes.Buffer
	code := Main([]string{"eval", "--pred", pred, "--truth", truth, "--metrics", "dice"},
		&Streams{In: strings.NewReader(""), Out: &out, Err: &errb, IsTerm: true})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "square  dice") || !strings.Contains(out.String(), "disc    dice") {
		t.Errorf("label names missing:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "eval") {
		t.Errorf("no progress bar on the terminal: %q", errb.String())
	}
}

// TestEvalAllFail checks that a run where every pair fails lists them and
// writes no report.
func TestEvalAllFail(t *testing.T) {
	pred, truth := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(pred, "a.npy"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(truth, "a.npy"), []byte("junk"), 0o644)
	out := filepath.Join(t.TempDir(), "r.csv")
	_, stderr, code := runCLI(t, "eval", "--pred", pred, "--truth", truth, "--keep-going", "--out", out)
	if code != 1 || !strings.Contains(stderr, "1 of 1 pairs failed") || !strings.Contains(stderr, "a.npy: truncated") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("report written")
	}
}
