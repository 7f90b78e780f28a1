package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchTrain times a tiny model with a fake PyTorch script (a shell
// script printing unet_torch.py's JSON line) and checks the row.
func TestBenchTrain(t *testing.T) {
	script := filepath.Join(t.TempDir(), "fake_torch.sh")
	if err := os.WriteFile(script, []byte(`echo "$@" >> "$0.args"; echo '{"impl": "torch", "torch": "9.9", "median_ms": 2.0, "min_ms": 1.5}'`+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "bench", "--train", "--backend", "gomlx", "--steps", "1", "--rounds", "3", "--warmup", "0",
		"--batch", "1", "--size", "8x8", "--width", "2", "--depth", "2", "--format", "json", "--torch", script, "--python", "/bin/sh")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var row trainBenchRow
	if err := json.Unmarshal([]byte(out), &row); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if row.MedianMS <= 0 || row.MinMS > row.MedianMS || row.TorchMS != 2 || row.TorchMinMS != 1.5 || row.Torch != "9.9" ||
		row.Backend != "gomlx" || row.Dims != 2 || len(row.Size) != 2 || row.Batch != 1 {
		t.Errorf("row %+v", row)
	}
	if want := 2 / row.MedianMS; row.Ratio <= 0 || (row.Ratio-want)/want > 0.01 || (want-row.Ratio)/want > 0.01 {
		t.Errorf("ratio %v, want torch/ours = %v", row.Ratio, want)
	}
	args, _ := os.ReadFile(script + ".args")
	if n := strings.Count(string(args), "\n"); n != 3 || !strings.Contains(string(args), "--dims 2 --size 8x8 --batch 1 --width 2 --depth 2") {
		t.Errorf("torch ran %d times with %q", n, args)
	}
	for _, c := range []struct{ args []string }{
		{[]string{"bench", "--train", "--dims", "4"}},
		{[]string{"bench", "--train", "--size", "8x8x8"}},
		{[]string{"bench", "--train", "--size", "9x9", "--backend", "gomlx"}},
		{[]string{"bench", "--train", "--backend", "tpu"}},
	} {
		if _, _, code := runCLI(t, c.args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
	}
}
