package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss/app/compare"
	"github.com/segloss/segloss/maskio"
)

// TestWeightsCommand makes border weight maps for a hand-computed PNG
// mask and a NIfTI volume, then trains on the PNG folder with them
// (--weights auto announces them) and with --deep-supervision.
func TestWeightsCommand(t *testing.T) {
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels")
	os.MkdirAll(labels, 0o755)
	// 1×7: objects at both ends; every gap pixel has d1 + d2 = 6.
	if err := maskio.Write(filepath.Join(labels, "a.png"), &maskio.Image{Shape: []int{1, 7}, Data: []float64{1, 0, 0, 0, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	vol := &maskio.Image{Shape: []int{2, 2, 3}, Spacing: []float64{2, 1, 1}, Data: make([]float64, 12)}
	vol.Data[0], vol.Data[11] = 1, 1
	if err := maskio.Write(filepath.Join(labels, "b.nii.gz"), vol); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "w")
	stdout, errs, code := runCLI(t, "weights", "--labels", labels, "--out", out, "--w0", "10", "--sigma", "2", "--class-balance")
	if code != 0 || !strings.Contains(stdout, "wrote 2 weight maps") {
		t.Fatalf("weights: exit %d: %s %s", code, stdout, errs)
	}
	a, err := maskio.Read(filepath.Join(out, "a.npy"))
	if err != nil {
		t.Fatal(err)
	}
	g := 10 * math.Exp(-36.0/8)
	want := []float64{7.0 / 4, 0.7 + g, 0.7 + g, 0.7 + g, 0.7 + g, 0.7 + g, 7.0 / 4}
	for i := range want {
		if math.Abs(a.Data[i]-want[i]) > 1e-6 {
			t.Errorf("a: pixel %d = %v, want %v", i, a.Data[i], want[i])
		}
	}
	b, err := maskio.Read(filepath.Join(out, "b.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Spacing[0] != 2 || len(b.Data) != 12 {
		t.Errorf("b: spacing %v, %d voxels", b.Spacing, len(b.Data))
	}
	// voxel (0,1,1): d1 = d2 = √2 (distances in voxels); class balance 12/(2·10).
	if v, w := b.Data[4], 0.6+10*math.Exp(-8.0/8); math.Abs(v-w) > 1e-5 {
		t.Errorf("b: voxel 4 = %v, want %v", v, w)
	}
	if _, errs, code := runCLI(t, "weights", "--labels", labels, "--out", out, "--sigma", "0"); code != 2 {
		t.Errorf("--sigma 0: exit %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "weights", "--labels", labels); code != 2 {
		t.Errorf("no --out: exit %d %s", code, errs)
	}

	data := writeSyntheticPNG(t, 6)
	if _, errs, code := runCLI(t, "weights", "--labels", filepath.Join(data, "masks"), "--out", filepath.Join(data, "weights")); code != 0 {
		t.Fatalf("weights of the PNG set: exit %d %s", code, errs)
	}
	run := filepath.Join(t.TempDir(), "run")
	_, errs, code = runCLI(t, "train", "--data", data, "--loss", "dice", "--out", run, "--steps", "2", "--batch", "2", "--width", "4",
		"--depth", "3", "--deep-supervision", "--backend", "native")
	if code != 0 || !strings.Contains(errs, "pixel weights: using the weight maps in "+filepath.Join(data, "weights")) {
		t.Fatalf("train with weights: exit %d: %s", code, errs)
	}
	raw, _ := os.ReadFile(filepath.Join(run, "model.json"))
	var m map[string]any
	json.Unmarshal(raw, &m)
	if m["deep_supervision"] != true || m["pixel_weights"] != filepath.Join(data, "weights") {
		t.Errorf("model.json: deep_supervision %v, pixel_weights %v", m["deep_supervision"], m["pixel_weights"])
	}
	run2 := filepath.Join(t.TempDir(), "run")
	_, errs, code = runCLI(t, "train", "--data", data, "--loss", "dice", "--out", run2, "--steps", "1", "--batch", "2", "--width", "4",
		"--depth", "2", "--weights", "none", "--backend", "native")
	if code != 0 || strings.Contains(errs, "pixel weights") {
		t.Fatalf("train --weights none: exit %d: %s", code, errs)
	}
	if _, errs, code := runCLI(t, "train", "--data", data, "--loss", "lovasz_softmax", "--out", filepath.Join(t.TempDir(), "r"), "--steps", "1",
		"--width", "4", "--backend", "native"); code == 0 || !strings.Contains(errs, "does not take pixel weights") || !strings.Contains(errs, "--weights none") {
		t.Errorf("a loss that refuses weights: exit %d: %s", code, errs)
	}
	if _, errs, code := runCLI(t, "train", "--data", data, "--loss", "dice", "--out", filepath.Join(t.TempDir(), "r"), "--steps", "1",
		"--width", "4", "--weights", "none", "--deep-supervision", "--backend", "gomlx"); code == 0 || !strings.Contains(errs, "native") {
		t.Errorf("gomlx --deep-supervision: exit %d: %s", code, errs)
	}
}

// TestCompareDeepSupervisionFlag checks that compare hands
// --deep-supervision to its trainer, which describes it.
func TestCompareDeepSupervisionFlag(t *testing.T) {
	tr := newCompareTrainer(&compareOptions{modelOptions: modelOptions{DeepSuper: true, Depth: 3}}).(*compare.UNetTrainer)
	if !tr.DeepSupervision || !strings.Contains(tr.Text(), "deep supervision") {
		t.Errorf("trainer %+v: %s", tr, tr.Text())
	}
}
