package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

func TestBenchTinyShapes(t *testing.T) {
	var out, errb bytes.Buffer
	s := &Streams{Out: &out, Err: &errb}
	code := Main([]string{"bench", "--shape", "2,1,8,8", "--repeats", "2", "--warmup", "0", "--rounds", "1", "--format", "json",
		"--loss", "bce_logits", "--loss", "dice:from_logits=true", "--loss", "lovasz_hinge"}, s)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 rows, got %d:\n%s", len(lines), out.String())
	}
	for _, line := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON %q: %v", line, err)
		}
		for _, k := range []string{"loss", "workload", "shape", "median_ms", "min_ms", "melem_per_s", "go", "kernels"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %s lacks %q", line, k)
			}
		}
		if r["workload"] != "custom" || r["median_ms"].(float64) <= 0 {
			t.Errorf("row %s", line)
		}
	}
}

// TestBenchBinaryTableWithMapCache runs the binary table of a tiny shape,
// second family included, with cached distance maps.
func TestBenchBinaryTableWithMapCache(t *testing.T) {
	var out, errb bytes.Buffer
	s := &Streams{Out: &out, Err: &errb}
	code := Main([]string{"bench", "--shape", "2,1,6,5", "--repeats", "1", "--warmup", "0", "--rounds", "1", "--map-cache", "8"}, s)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"boundary:from_logits=true", "hausdorff_dt:from_logits=true", "cldice:from_logits=true", "dice_focal", "dice:from_logits=true+boundary:from_logits=true"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchMulticlassTableAndFloat64(t *testing.T) {
	var out, errb bytes.Buffer
	s := &Streams{Out: &out, Err: &errb}
	code := Main([]string{"bench", "--shape", "2,3,4,5", "--labels", "--repeats", "1", "--warmup", "0", "--rounds", "2", "--dtype", "float64", "--threads", "1"}, s)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"median ms", "cross_entropy", "lovasz_softmax", "generalized_dice", "[2,3,4,5]", "topk_ce", "generalized_wasserstein_dice"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchKernels forces each kernel set and checks that the header
// names it with the build.
func TestBenchKernels(t *testing.T) {
	for _, k := range segloss.KernelSets() {
		var out, errb bytes.Buffer
		code := Main([]string{"bench", "--shape", "1,1,16,16", "--repeats", "1", "--warmup", "0", "--rounds", "1",
			"--loss", "bce_logits", "--kernels", k}, &Streams{Out: &out, Err: &errb})
		if code != 0 {
			t.Fatalf("--kernels %s: exit %d: %s", k, code, errb.String())
		}
		head, _, _ := strings.Cut(out.String(), "\n")
		if !strings.Contains(head, "kernels="+k) || !strings.Contains(head, runtime.Version()) {
			t.Errorf("--kernels %s: header %q", k, head)
		}
		if runtime.GOARCH == "amd64" && !strings.Contains(head, "GOAMD64=") {
			t.Errorf("header %q lacks GOAMD64", head)
		}
	}
	if segloss.Kernels() != segloss.KernelSets()[len(segloss.KernelSets())-1] && os.Getenv("SEGLOSS_KERNELS") == "" {
		t.Errorf("bench left the kernels at %s", segloss.Kernels())
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--shape", "2,x"},
		{"bench", "--workload", "nope"},
		{"bench", "--loss", "nope"},
		{"bench", "--format", "xml"},
		{"bench", "--repeats", "0"},
		{"bench", "--shape", "1,1,8", "--kernels", "sse9"},
		{"bench", "--map-cache", "-1"},
	} {
		var out, errb bytes.Buffer
		if code := Main(args, &Streams{Out: &out, Err: &errb}); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}

func TestParseTorch(t *testing.T) {
	in := `# bench_torch.py  torch 1.13
## memory bandwidth (GB/s)
numpy copy 256 MiB (1 thr): r+w                              12.00   11.00

## (a) binary logits [8,1,512,512], float target  (2,097,152 input elements)
loss                                                       median ms   min ms   Melem/s
ref:bce_logits                                                  9.10     8.90     230.4
torch:F.binary_cross_entropy_with_logits                        4.90     4.70     428.0
ref:focal_sigmoid(a=.25, g=2)                                  22.40    21.00      93.6
`
	best := map[string]float64{"ref:bce_logits": 8.5}
	parseTorch(strings.NewReader(in), best)
	if best["ref:bce_logits"] != 8.5 || best["torch:F.binary_cross_entropy_with_logits"] != 4.9 || best["ref:focal_sigmoid(a=.25, g=2)"] != 22.4 {
		t.Errorf("parsed %v", best)
	}
	if _, ok := best["numpy copy 256 MiB (1 thr): r+w"]; ok {
		t.Errorf("bandwidth line parsed as a row")
	}
}

// TestBenchLossWithOptions: a spec with several options is one row, as in
// compare --losses (it used to fail with unknown loss "beta=0.7").
func TestBenchLossWithOptions(t *testing.T) {
	var out, errb bytes.Buffer
	s := &Streams{Out: &out, Err: &errb}
	code := Main([]string{"bench", "--shape", "1,1,4,4", "--repeats", "1", "--warmup", "0", "--rounds", "1", "--format", "json",
		"--loss", "tversky:alpha=0.3,beta=0.7,from_logits=true", "--loss", "dice:mode=multilabel,classes=[0],from_logits=true"}, s)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if n := strings.Count(strings.TrimSpace(out.String()), "\n") + 1; n != 2 {
		t.Fatalf("want 2 rows, got %d:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "tversky:alpha=0.3,beta=0.7,from_logits=true") {
		t.Errorf("no tversky row:\n%s", out.String())
	}
}
