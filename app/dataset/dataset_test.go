package dataset

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/segloss/segloss/maskio"
)

func TestSplitCases(t *testing.T) {
	cases := []string{"e", "a", "d", "c", "b", "f", "g", "h", "i", "j"}
	s1 := SplitCases(cases, 0.2, 7)
	s2 := SplitCases([]string{"j", "i", "h", "g", "f", "e", "d", "c", "b", "a"}, 0.2, 7)
	if !reflect.DeepEqual(s1, s2) {
		t.Fatalf("split depends on input order: %v vs %v", s1, s2)
	}
	if len(s1.Val) != 2 || len(s1.Train) != 8 {
		t.Fatalf("split %v: want 2 validation and 8 training cases", s1)
	}
	seen := map[string]bool{}
	for _, c := range append(append([]string{}, s1.Train...), s1.Val...) {
		if seen[c] {
			t.Fatalf("case %s in both parts", c)
		}
		seen[c] = true
	}
	if s3 := SplitCases(cases, 0.2, 8); reflect.DeepEqual(s3.Val, s1.Val) && reflect.DeepEqual(SplitCases(cases, 0.2, 9).Val, s1.Val) {
		t.Errorf("seeds 7, 8 and 9 give the same validation cases %v", s1.Val)
	}
	if s := SplitCases([]string{"a", "b"}, 0.01, 1); len(s.Val) != 1 || len(s.Train) != 1 {
		t.Errorf("two cases: %v, want one each", s)
	}
}

func TestSynthetic(t *testing.T) {
	s, err := Load("synthetic:20", Options{Seed: 1, Multiple: 4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 3 || s.H != 64 || s.W != 64 || len(s.Train) != 16 || len(s.Val) != 4 {
		t.Fatalf("synthetic set: %d classes, %d×%d, %d/%d", s.Classes, s.H, s.W, len(s.Train), len(s.Val))
	}
	var n [3]int
	for _, ex := range append(s.Train, s.Val...) {
		for _, l := range ex.Label {
			n[l]++
		}
	}
	total := float64(n[0] + n[1] + n[2])
	f1, f2 := float64(n[1])/total, float64(n[2])/total
	if f1 < 0.01 || f1 > 0.08 || f2 <= 0 || f2 >= f1/2 {
		t.Errorf("foreground fractions %.4f (class 1), %.4f (class 2): want a few %% and a rarer class 2", f1, f2)
	}
	again, _ := Load("synthetic:20", Options{Seed: 1, Multiple: 4})
	if !reflect.DeepEqual(again.Train[3].Image, s.Train[3].Image) {
		t.Error("synthetic images are not deterministic")
	}
}

func TestFitUnfit(t *testing.T) {
	src := []int32{1, 2, 3, 4, 5, 6} // 2×3
	f := Fit(src, 2, 3, 4, 4, -1)
	want := []int32{-1, -1, -1, -1, 1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1, -1}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("Fit = %v, want %v", f, want)
	}
	if back := Unfit(f, 2, 3, 4, 4, -1); !reflect.DeepEqual(back, src) {
		t.Fatalf("Unfit = %v, want %v", back, src)
	}
	if c := Fit(src, 2, 3, 2, 1, 0); !reflect.DeepEqual(c, []int32{2, 5}) {
		t.Fatalf("cropping Fit = %v, want [2 5]", c)
	}
}

// writePNGSet writes n w×w PNG images with masks holding a square of class 1.
func writePNGSet(t *testing.T, dir string, n, w int) {
	t.Helper()
	for _, sub := range []string{"images", "masks"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		img := &maskio.Image{Shape: []int{w, w}, Data: make([]float64, w*w)}
		mask := &maskio.Image{Shape: []int{w, w}, Data: make([]float64, w*w)}
		for y := 2; y < 6; y++ {
			for x := 2 + i%3; x < 6+i%3; x++ {
				img.Data[y*w+x], mask.Data[y*w+x] = 200, 1
			}
		}
		name := "case" + string(rune('a'+i)) + ".png"
		if err := maskio.Write(filepath.Join(dir, "images", name), img); err != nil {
			t.Fatal(err)
		}
		if err := maskio.Write(filepath.Join(dir, "masks", name), mask); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPNGDir(t *testing.T) {
	dir := t.TempDir()
	writePNGSet(t, dir, 5, 12)
	s, err := Load(dir, Options{Seed: 1, Multiple: 8})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 2 || s.H != 16 || s.W != 16 || len(s.Train)+len(s.Val) != 5 || len(s.Val) != 1 {
		t.Fatalf("PNG set: %d classes, %d×%d, %d/%d", s.Classes, s.H, s.W, len(s.Train), len(s.Val))
	}
}

// TestBadInput checks that each kind of bad input is refused with an
// error naming the file or folder.
func TestBadInput(t *testing.T) {
	write := func(path string, shape []int, v float64) {
		t.Helper()
		img := &maskio.Image{Shape: shape, Data: make([]float64, shape[0]*shape[1])}
		img.Data[0] = v
		if err := maskio.Write(path, img); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		setup func(dir string) string // returns the data path
		want  string                  // in the error
	}{
		{"missing folder", func(dir string) string { return filepath.Join(dir, "nope") }, "nope"},
		{"empty folder", func(dir string) string { return dir }, dir0},
		{"empty images folder", func(dir string) string {
			writePNGSet(t, dir, 2, 8)
			os.RemoveAll(filepath.Join(dir, "images"))
			os.Mkdir(filepath.Join(dir, "images"), 0o755)
			return dir
		}, "images: no PNG files"},
		{"image without mask", func(dir string) string {
			writePNGSet(t, dir, 3, 8)
			write(filepath.Join(dir, "images", "extra.png"), []int{8, 8}, 1)
			return dir
		}, "extra.png: no mask"},
		{"shape mismatch", func(dir string) string {
			writePNGSet(t, dir, 3, 8)
			write(filepath.Join(dir, "masks", "casea.png"), []int{8, 9}, 0)
			return dir
		}, "casea.png: shape [8 9] differs"},
		{"corrupt file", func(dir string) string {
			writePNGSet(t, dir, 3, 8)
			os.WriteFile(filepath.Join(dir, "images", "caseb.png"), []byte("not a png"), 0o644)
			return dir
		}, "caseb.png"},
		{"label outside declared classes", func(dir string) string {
			os.MkdirAll(filepath.Join(dir, "imagesTr"), 0o755)
			os.MkdirAll(filepath.Join(dir, "labelsTr"), 0o755)
			for _, c := range []string{"a", "b"} {
				write(filepath.Join(dir, "imagesTr", c+".nii.gz"), []int{4, 4}, 3)
				write(filepath.Join(dir, "labelsTr", c+".nii.gz"), []int{4, 4}, map[string]float64{"a": 1, "b": 2}[c])
			}
			os.WriteFile(filepath.Join(dir, "dataset.json"), []byte(`{"name":"t","labels":{"0":"bg","1":"fg"},
				"training":[{"image":"./imagesTr/a.nii.gz","label":"./labelsTr/a.nii.gz"},{"image":"./imagesTr/b.nii.gz","label":"./labelsTr/b.nii.gz"}]}`), 0o644)
			return dir
		}, "b.nii.gz: label 2 at voxel 0 is outside the 2 declared classes"},
		{"NaN voxel", func(dir string) string { // issue 15, finding 9
			msdPair(t, dir, write, "a", 3)
			msdPair(t, dir, write, "b", math.NaN())
			return dir
		}, "b.nii.gz: value NaN at voxel 0"},
		{"dataset.json path outside the folder", func(dir string) string { // issue 15, finding 11
			data := filepath.Join(dir, "data")
			msdPair(t, data, write, "a", 3)
			os.MkdirAll(filepath.Join(dir, "outside"), 0o755)
			write(filepath.Join(dir, "outside", "x.nii.gz"), []int{4, 4}, 1)
			os.WriteFile(filepath.Join(data, "dataset.json"), []byte(`{"name":"t","labels":{"0":"bg","1":"fg"},
				"training":[{"image":"./imagesTr/a.nii.gz","label":"./labelsTr/a.nii.gz"},{"image":"../outside/x.nii.gz","label":"./labelsTr/a.nii.gz"}]}`), 0o644)
			return data
		}, `path "../outside/x.nii.gz" is outside the data set's folder`},
		{"three mask values", func(dir string) string {
			writePNGSet(t, dir, 3, 8)
			img := &maskio.Image{Shape: []int{8, 8}, Data: make([]float64, 64)}
			img.Data[3], img.Data[4] = 128, 255
			maskio.Write(filepath.Join(dir, "masks", "caseb.png"), img)
			return dir
		}, "--mask-values 0,128,255"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := c.setup(dir)
			want := c.want
			if want == dir0 {
				want = dir
			}
			_, err := Load(path, Options{Seed: 1})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want one containing %q", err, want)
			}
		})
	}
}

// dir0 stands for the test's own folder in TestBadInput.
const dir0 = "<dir>"

func TestHippocampus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "hippocampus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("hippocampus data not present:", err)
	}
	s, err := Load(dir, Options{Seed: 1, Multiple: 4, MaxCases: 5})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 3 || s.LabelNames[1] != "Anterior" || s.H%4 != 0 || s.W%4 != 0 || len(s.Split.Val) != 1 {
		t.Fatalf("hippocampus: %d classes %v, %d×%d, split %v", s.Classes, s.LabelNames, s.H, s.W, s.Split)
	}
	for _, ex := range s.Val {
		if ex.Case != s.Split.Val[0] {
			t.Fatalf("validation slice from case %s, not the validation case %s", ex.Case, s.Split.Val[0])
		}
	}
}

// TestFolds holds out every case exactly once, trains on the others, and
// gives the same folds for the same seed.
func TestFolds(t *testing.T) {
	s, err := Load("synthetic:11", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	folds, err := s.Folds(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}
	for f, fs := range folds {
		if fs.Split.Fold != f+1 || fs.Split.Folds != 3 || len(fs.Val)+len(fs.Train) != len(s.Val)+len(s.Train) {
			t.Errorf("fold %d: split %+v, %d+%d examples", f, fs.Split, len(fs.Train), len(fs.Val))
		}
		for _, ex := range fs.Val {
			held[ex.Case]++
		}
		for _, ex := range fs.Train {
			for _, v := range fs.Split.Val {
				if ex.Case == v {
					t.Errorf("fold %d trains on its held-out case %s", f, v)
				}
			}
		}
	}
	if len(held) != 11 {
		t.Errorf("%d cases held out, want 11", len(held))
	}
	for c, n := range held {
		if n != 1 {
			t.Errorf("case %s held out %d times", c, n)
		}
	}
	again, _ := s.Folds(3, 7)
	for f := range folds {
		if fmt.Sprint(folds[f].Split.Val) != fmt.Sprint(again[f].Split.Val) {
			t.Errorf("fold %d differs between two calls", f)
		}
	}
	if _, err := s.Folds(12, 7); err == nil {
		t.Error("12 folds of 11 cases: no error")
	}
}

// msdPair writes imagesTr/NAME.nii.gz (first voxel v) and a 0/1 label, and
// a dataset.json listing a and b.
func msdPair(t *testing.T, dir string, write func(string, []int, float64), name string, v float64) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "imagesTr"), 0o755)
	os.MkdirAll(filepath.Join(dir, "labelsTr"), 0o755)
	write(filepath.Join(dir, "imagesTr", name+".nii.gz"), []int{4, 4}, v)
	write(filepath.Join(dir, "labelsTr", name+".nii.gz"), []int{4, 4}, 1)
	os.WriteFile(filepath.Join(dir, "dataset.json"), []byte(`{"name":"t","labels":{"0":"bg","1":"fg"},
		"training":[{"image":"./imagesTr/a.nii.gz","label":"./labelsTr/a.nii.gz"},{"image":"./imagesTr/b.nii.gz","label":"./labelsTr/b.nii.gz"}]}`), 0o644)
}

// TestMaskValuesPNG is the finding "0/255 masks are refused for
// training": they load as 0/1 with one note; --mask-values maps others.
func TestMaskValuesPNG(t *testing.T) {
	dir := t.TempDir()
	writePNGSet(t, dir, 3, 8)
	for _, name := range []string{"casea", "caseb", "casec"} {
		img := &maskio.Image{Shape: []int{8, 8}, Data: make([]float64, 64)}
		img.Data[5], img.Data[9] = 255, 255
		maskio.Write(filepath.Join(dir, "masks", name+".png"), img)
	}
	var notes []string
	s, err := Load(dir, Options{Seed: 1, Note: func(n string) { notes = append(notes, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 2 || s.MaskValues != "255=1" || len(notes) != 1 || s.Train[0].Label[5] != 1 {
		t.Errorf("0/255: %d classes, rule %s, notes %v", s.Classes, s.MaskValues, notes)
	}
	rule, _ := maskio.ParseMaskValues("0,255")
	s, err = Load(dir, Options{Seed: 1, MaskValues: rule})
	if err != nil || s.Classes != 2 || s.MaskValues != "0,255" {
		t.Errorf("--mask-values 0,255: %v", err)
	}
	raw, _ := maskio.ParseMaskValues("raw")
	if _, err := Load(dir, Options{Seed: 1, MaskValues: raw}); err == nil || !strings.Contains(err.Error(), "label 255") {
		t.Errorf("raw 0/255: error %v", err)
	}
}

// TestAllowOutside checks that --allow-outside lets dataset.json name
// files outside the folder.
func TestAllowOutside(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	write := func(path string, shape []int, v float64) {
		img := &maskio.Image{Shape: shape, Data: make([]float64, shape[0]*shape[1])}
		img.Data[0] = v
		maskio.Write(path, img)
	}
	msdPair(t, data, write, "a", 3)
	os.MkdirAll(filepath.Join(dir, "outside"), 0o755)
	write(filepath.Join(dir, "outside", "b.nii.gz"), []int{4, 4}, 2)
	os.WriteFile(filepath.Join(data, "dataset.json"), []byte(`{"name":"t","labels":{"0":"bg","1":"fg"},
		"training":[{"image":"./imagesTr/a.nii.gz","label":"./labelsTr/a.nii.gz"},{"image":"../outside/b.nii.gz","label":"./labelsTr/a.nii.gz"}]}`), 0o644)
	if _, err := Load(data, Options{Seed: 1}); err == nil {
		t.Fatalf("outside path accepted without AllowOutside")
	}
	if _, err := Load(data, Options{Seed: 1, AllowOutside: true}); err != nil {
		t.Fatalf("AllowOutside: %v", err)
	}
}
