package cli

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss/maskio"
)

// TestEvalHippocampusSelf scores every label map of the hippocampus split
// against itself: every overlap metric is 1 and every distance 0.
func TestEvalHippocampusSelf(t *testing.T) {
	labels := filepath.Join(hippocampusDir(t), "labelsTr")
	out := filepath.Join(t.TempDir(), "self.json")
	_, stderr, code := runCLI(t, "eval", "--pred", labels, "--truth", labels, "--metrics", "all", "--format", "json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := readReport(t, out)
	if len(r.Cases) != 202 || len(r.Classes) != 2 || r.Classes[0].Name != "Anterior" || r.Classes[1].Name != "Posterior" {
		t.Fatalf("%d cases, classes %v", len(r.Cases), r.Classes)
	}
	for _, s := range r.Summary {
		want := 1.0
		switch s["metric"].(string) {
		case "hd", "hd95", "assd", "dhd", "dhd95", "asd", "fnr", "fpr", "fdr", "for", "prevalence_threshold":
			want = 0
		}
		if s["mean"] != want || s["n"] != 202.0 {
			t.Errorf("%v", s)
		}
	}
}

// transform writes, for the first n label maps, a copy changed by f into a
// new folder and returns it with the originals and the copies.
func transform(t *testing.T, n int, f func(img *maskio.Image) *maskio.Image) (dir string, orig, changed []*maskio.Image, names []string) {
	src := filepath.Join(hippocampusDir(t), "labelsTr")
	files, _ := filepath.Glob(filepath.Join(src, "*.nii.gz"))
	dir = t.TempDir()
	for _, p := range files[:n] {
		img, err := maskio.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		c := f(img)
		if err := maskio.Write(filepath.Join(dir, filepath.Base(p)), c); err != nil {
			t.Fatal(err)
		}
		orig, changed, names = append(orig, img), append(changed, c), append(names, maskio.CaseName(p))
	}
	return dir, orig, changed, names
}

// shiftX moves every label one voxel along the last axis (x).
func shiftX(img *maskio.Image) *maskio.Image {
	c := *img
	c.Data = make([]float64, len(img.Data))
	w := img.Shape[len(img.Shape)-1]
	for i := range img.Data {
		if i%w != w-1 {
			c.Data[i+1] = img.Data[i]
		}
	}
	return &c
}

// erode sets to background every labelled voxel with a face neighbour of
// another label (or outside the volume).
func erode(img *maskio.Image) *maskio.Image {
	c := *img
	c.Data = append([]float64(nil), img.Data...)
	d, h, w := img.Shape[0], img.Shape[1], img.Shape[2]
	at := func(z, y, x int) float64 {
		if z < 0 || y < 0 || x < 0 || z >= d || y >= h || x >= w {
			return 0
		}
		return img.Data[(z*h+y)*w+x]
	}
	for z := 0; z < d; z++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := at(z, y, x)
				if v != 0 && (at(z-1, y, x) != v || at(z+1, y, x) != v || at(z, y-1, x) != v ||
					at(z, y+1, x) != v || at(z, y, x-1) != v || at(z, y, x+1) != v) {
					c.Data[(z*h+y)*w+x] = 0
				}
			}
		}
	}
	return &c
}

// directDice returns 2|A∩B| / (|A| + |B|) for label l.
func directDice(a, b *maskio.Image, l float64) float64 {
	var inter, na, nb float64
	for i := range a.Data {
		pa, pb := a.Data[i] == l, b.Data[i] == l
		if pa {
			na++
		}
		if pb {
			nb++
		}
		if pa && pb {
			inter++
		}
	}
	return 2 * inter / (na + nb)
}

// TestEvalHippocampusChanged scores shifted and eroded copies of label maps
// against the originals: Dice matches a direct count, a one-voxel shift
// along x moves no surface voxel further than the x spacing, and erosion
// gives finite, positive distances.
func TestEvalHippocampusChanged(t *testing.T) {
	const n = 12
	for _, tc := range []struct {
		name string
		f    func(*maskio.Image) *maskio.Image
	}{{"shift", shiftX}, {"erode", erode}} {
		dir, orig, changed, names := transform(t, n, tc.f)
		out := filepath.Join(t.TempDir(), "r.json")
		_, stderr, code := runCLI(t, "eval", "--pred", dir, "--truth", filepath.Join(hippocampusDir(t), "labelsTr"),
			"--metrics", "dice,hd,assd", "--format", "json", "--out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		if !strings.Contains(stderr, "unpaired") {
			t.Errorf("%s: unpaired truths not reported", tc.name)
		}
		r := readReport(t, out)
		if len(r.Unpaired) != 202-n {
			t.Errorf("%s: %d unpaired, want %d", tc.name, len(r.Unpaired), 202-n)
		}
		for i, name := range names {
			sx := orig[i].Spacing[2]
			for k, l := range []float64{1, 2} {
				dice, hd := r.value(t, name, k, "dice"), r.value(t, name, k, "hd")
				if want := directDice(changed[i], orig[i], l); math.Abs(dice-want) > 1e-12 {
					t.Errorf("%s %s label %v: dice %v, want %v", tc.name, name, l, dice, want)
				}
				if !(dice > 0 && dice < 1) || !(hd > 0) || math.IsInf(hd, 0) || (tc.name == "shift" && hd > sx+1e-9) {
					t.Errorf("%s %s label %v: dice %v hd %v (x spacing %v)", tc.name, name, l, dice, hd, sx)
				}
			}
		}
	}
}
