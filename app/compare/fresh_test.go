package compare

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/app/dataset"
)

// TestRemoveRunsKeepsOtherFiles is issue 15's finding 8: --fresh deleted
// everything in --out/runs, a user's unrelated file included.
func TestRemoveRunsKeepsOtherFiles(t *testing.T) {
	out := t.TempDir()
	ours := runDir(out, "tversky:alpha=0.3,beta=0.7")
	os.MkdirAll(filepath.Join(ours, "train"), 0o755)
	os.WriteFile(filepath.Join(ours, "run.json"), []byte("{}"), 0o644)
	user := filepath.Join(out, "runs", "notes.txt")
	userDir := filepath.Join(out, "runs", "my-experiments")
	os.MkdirAll(userDir, 0o755)
	os.WriteFile(user, []byte("mine"), 0o644)
	if err := removeRuns(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ours); !os.IsNotExist(err) {
		t.Errorf("the run folder %s is still there", ours)
	}
	for _, p := range []string{user, userDir} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if err := removeRuns(t.TempDir()); err != nil {
		t.Errorf("no runs folder: %v", err)
	}
}

// TestWritePairAllOrNothing is issue 15's finding 12: a failed write of
// report.html left a new results.json beside the old report.
func TestWritePairAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "results.json"), filepath.Join(dir, "report.html")
	os.WriteFile(a, []byte("old"), 0o644)
	os.Mkdir(b, 0o755) // renaming onto a folder fails, as a full disk would fail the write
	os.WriteFile(filepath.Join(b, "x"), nil, 0o644)
	if err := writePair(a, []byte("new"), b, []byte("<html>")); err == nil {
		t.Fatal("no error")
	}
	if got, _ := os.ReadFile(a); string(got) != "old" {
		t.Errorf("results.json = %q after the report failed, want the old one", got)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	os.RemoveAll(b)
	if err := writePair(a, []byte("new"), b, []byte("<html>")); err != nil {
		t.Fatal(err)
	}
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	if string(ga) != "new" || string(gb) != "<html>" {
		t.Errorf("pair %q %q", ga, gb)
	}
}

// TestFingerprintMaskValues: runs stored with one mask-value rule or
// channel count are not resumed under another.
func TestFingerprintMaskValues(t *testing.T) {
	set := syntheticSet(t, 6)
	base, err := fingerprint(set, 1, Budget{Steps: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mapped := *set
	mapped.MaskValues = "255=1"
	rgb := *set
	rgb.Channels = 3
	for _, s := range []*dataset.Set{&mapped, &rgb} {
		fp, _ := fingerprint(s, 1, Budget{Steps: 2}, nil)
		if fp == base {
			t.Errorf("mask values %q, %d channels: same fingerprint as the default", s.MaskValues, s.Channels)
		}
	}
}
