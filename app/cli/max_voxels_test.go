package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss/maskio"
)

// TestMaxVoxels checks that --max-voxels refuses a file above the ceiling
// in eval, naming the file, and that the default accepts it.
func TestMaxVoxels(t *testing.T) {
	dir := t.TempDir()
	p, q := filepath.Join(dir, "p.nii.gz"), filepath.Join(dir, "t.nii.gz")
	img := &maskio.Image{Shape: []int{4, 5, 6}, Data: make([]float64, 120)}
	img.Data[7] = 1
	for _, f := range []string{p, q} {
		if err := maskio.Write(f, img); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := runCLI(t, "eval", "--pred", p, "--truth", q, "--metrics", "dice"); code != 0 {
		t.Fatalf("default ceiling: exit %d: %s", code, stderr)
	}
	_, stderr, code := runCLI(t, "eval", "--pred", p, "--truth", q, "--metrics", "dice", "--max-voxels", "119")
	if code != 1 || !strings.Contains(stderr, q) || !strings.Contains(stderr, "ceiling of 119 (raise it with --max-voxels)") {
		t.Errorf("--max-voxels 119: exit %d, stderr %q", code, stderr)
	}
	for _, cmd := range []string{"train", "predict", "compare"} {
		c, _, err := NewRootCmd(&Streams{}).Find([]string{cmd})
		if err != nil || c.Flags().Lookup("max-voxels") == nil {
			t.Errorf("%s has no --max-voxels flag", cmd)
		}
	}
}

// TestShapeFlagsOverflow checks that shapes given on the command line whose
// element count overflows are usage errors, not panics.
func TestShapeFlagsOverflow(t *testing.T) {
	if _, stderr, code := runCLI(t, "bench", "--shape", "2,1,4611686018427387904,2"); code != 2 || !strings.Contains(stderr, "--shape") {
		t.Errorf("bench --shape overflow: exit %d, %s", code, stderr)
	}
	if _, err := parseSize("4611686018427387904x4"); err == nil {
		t.Error("parseSize accepted an overflowing size")
	}
}
