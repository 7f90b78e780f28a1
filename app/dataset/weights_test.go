package dataset

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss/maskio"
)

// writeWeights writes a w×w weight map for every case of a writePNGSet
// folder into dir/weights: value(case, pixel) as .npy, or as PNG scaled
// by PNGWeightScale.
func writeWeights(t *testing.T, dir string, n, w int, ext string, value func(c, i int) float64) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "weights"), 0o755)
	for c := 0; c < n; c++ {
		im := &maskio.Image{Shape: []int{w, w}, Data: make([]float64, w*w)}
		for i := range im.Data {
			im.Data[i] = value(c, i)
			if ext == ".png" {
				im.Data[i] = math.Round(im.Data[i] * PNGWeightScale)
			}
		}
		if err := maskio.Write(filepath.Join(dir, "weights", "case"+string(rune('a'+c))+ext), im); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWeightsPNGFolder reads weights/ beside masks/ (.npy and PNG), fits
// them to the frame with weight 1 around, and announces them.
func TestWeightsPNGFolder(t *testing.T) {
	for _, ext := range []string{".npy", ".png"} {
		dir := t.TempDir()
		writePNGSet(t, dir, 3, 12)
		writeWeights(t, dir, 3, 12, ext, func(c, i int) float64 { return float64(c) + float64(i)/100 })
		var notes []string
		s, err := Load(dir, Options{Seed: 1, Multiple: 8, Weights: "auto", Note: func(l string) { notes = append(notes, l) }})
		if err != nil {
			t.Fatal(err)
		}
		if s.Weights != filepath.Join(dir, "weights") || len(notes) != 1 || !strings.Contains(notes[0], "weight maps in "+s.Weights) {
			t.Fatalf("%s: Weights %q, notes %q", ext, s.Weights, notes)
		}
		for _, ex := range append(append([]Example{}, s.Train...), s.Val...) {
			c := int(ex.Case[4] - 'a')
			src := make([]float32, 144)
			for i := range src {
				src[i] = float32(float64(c) + float64(i)/100)
			}
			want := Fit(src, 12, 12, 16, 16, 1)
			for i := range want {
				if math.Abs(float64(ex.Weight[i]-want[i])) > 1e-6 {
					t.Fatalf("%s %s: weight %d = %v, want %v", ext, ex.Case, i, ex.Weight[i], want[i])
				}
			}
		}
		none, err := Load(dir, Options{Seed: 1, Multiple: 8, Weights: "none"})
		if err != nil || none.Weights != "" || none.Train[0].Weight != nil {
			t.Fatalf("--weights none: %v, %q", err, none.Weights)
		}
		byDir, err := Load(dir, Options{Seed: 1, Multiple: 8, Weights: filepath.Join(dir, "weights")})
		if err != nil || byDir.Train[0].Weight == nil {
			t.Fatalf("--weights DIR: %v", err)
		}
	}
	plain := t.TempDir()
	writePNGSet(t, plain, 3, 12)
	if s, err := Load(plain, Options{Seed: 1, Weights: "auto"}); err != nil || s.Weights != "" || s.Train[0].Weight != nil {
		t.Fatalf("auto without weights/: %v, %q", err, s.Weights)
	}
}

// TestWeightsMSD reads weightsTr/ beside labelsTr/ of a Decathlon folder.
func TestWeightsMSD(t *testing.T) {
	dir := t.TempDir()
	write := func(p string, shape []int, v float64) {
		im := &maskio.Image{Shape: shape, Data: make([]float64, shape[0]*shape[1])}
		im.Data[0] = v
		if err := maskio.Write(p, im); err != nil {
			t.Fatal(err)
		}
	}
	msdPair(t, dir, write, "a", 3)
	msdPair(t, dir, write, "b", 5)
	os.MkdirAll(filepath.Join(dir, "weightsTr"), 0o755)
	for _, n := range []string{"a", "b"} {
		im := &maskio.Image{Shape: []int{4, 4}, Data: make([]float64, 16)}
		for i := range im.Data {
			im.Data[i] = 0.5 + float64(i)
		}
		if err := maskio.Write(filepath.Join(dir, "weightsTr", n+".nii.gz"), im); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Load(dir, Options{Seed: 1, Weights: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Weights != filepath.Join(dir, "weightsTr") || s.Train[0].Weight[5] != 5.5 {
		t.Fatalf("Weights %q, weight %v", s.Weights, s.Train[0].Weight)
	}
}

// TestWeightsBad checks that a bad weight map is an error naming its file.
func TestWeightsBad(t *testing.T) {
	cases := []struct {
		name  string
		write func(dir string)
		want  string
	}{
		{"shape", func(dir string) {
			maskio.Write(filepath.Join(dir, "weights", "caseb.npy"), &maskio.Image{Shape: []int{4, 3}, Data: make([]float64, 12)})
		}, "caseb.npy: weight map of shape [4 3], but its mask has shape [8 8]"},
		{"negative", func(dir string) {
			im := &maskio.Image{Shape: []int{8, 8}, Data: make([]float64, 64)}
			im.Data[9] = -1
			maskio.Write(filepath.Join(dir, "weights", "caseb.npy"), im)
		}, "caseb.npy: weight -1 at voxel 9"},
		{"nan", func(dir string) {
			im := &maskio.Image{Shape: []int{8, 8}, Data: make([]float64, 64)}
			im.Data[3] = math.NaN()
			maskio.Write(filepath.Join(dir, "weights", "caseb.npy"), im)
		}, "caseb.npy: weight NaN at voxel 3"},
		{"missing", func(dir string) { os.Remove(filepath.Join(dir, "weights", "caseb.npy")) }, "caseb.png: no weight map for it in"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		writePNGSet(t, dir, 3, 8)
		writeWeights(t, dir, 3, 8, ".npy", func(int, int) float64 { return 1 })
		c.write(dir)
		_, err := Load(dir, Options{Seed: 1, Weights: "auto"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Load("synthetic:4", Options{Weights: "/nowhere"}); err == nil {
		t.Error("--weights DIR with the synthetic set: no error")
	}
	dir := t.TempDir()
	writePNGSet(t, dir, 3, 8)
	if _, err := Load(dir, Options{Weights: filepath.Join(dir, "nowhere")}); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("missing --weights folder: %v", err)
	}
}

// TestSamplerCarriesWeights checks that a patch's weights come from the
// same voxels as its image and labels, through flips, rotations and
// padding (weight 1 there).
func TestSamplerCarriesWeights(t *testing.T) {
	v := testVolume(2, 3, 3, 4)
	v.Weight = make([]float32, len(v.Image))
	for i := range v.Image {
		v.Image[i] = float32(i + 2)
		v.Weight[i] = float32(i + 2)
		v.Label[i] = int32(i % 3)
	}
	for _, s := range []Sampler{{Patch: [3]int{2, 3, 3}, Dims: 3, Augment: true}, {Patch: [3]int{3, 4, 4}, Dims: 3, Augment: true}} {
		n := s.Size()
		for seed := uint64(0); seed < 40; seed++ {
			x, y, w := make([]float32, n), make([]int32, n), make([]float32, n)
			s.Patch1(rand.New(rand.NewPCG(seed, 1)), &v, false, x, y, w)
			x2, y2 := make([]float32, n), make([]int32, n)
			s.Patch1(rand.New(rand.NewPCG(seed, 1)), &v, false, x2, y2, nil)
			for o := range x {
				want := x[o]
				if want == 0 {
					want = 1 // padding
				}
				if w[o] != want || x2[o] != x[o] || y2[o] != y[o] {
					t.Fatalf("patch %v seed %d voxel %d: weight %v, image %v (without weights %v, %v/%v)", s.Patch, seed, o, w[o], x[o], x2[o], y[o], y2[o])
				}
			}
		}
	}
	// Batch: weights of every patch, and none asked for.
	s := Sampler{Patch: [3]int{1, 3, 3}, Dims: 2, Augment: true}
	x, y, w := make([]float32, 27), make([]int32, 27), make([]float32, 27)
	s.Batch(rand.New(rand.NewPCG(3, 4)), []Volume{v}, 3, x, y, w)
	for o := range x {
		if w[o] != x[o] {
			t.Fatalf("batch voxel %d: weight %v, image %v", o, w[o], x[o])
		}
	}
}

// TestBorderWeights checks the U-Net border weights against hand-computed
// cases in 2-D and 3-D.
func TestBorderWeights(t *testing.T) {
	sigma, w0 := 2.0, 10.0
	g := func(d float64) float64 { return w0 * math.Exp(-d*d/(2*sigma*sigma)) }
	// 3×3, objects at (0,0) and (2,2).
	l := []int32{1, 0, 0, 0, 0, 0, 0, 0, 1}
	got, err := BorderWeights(l, []int{3, 3}, BorderOptions{W0: w0, Sigma: sigma})
	if err != nil {
		t.Fatal(err)
	}
	r2, r5 := math.Sqrt2, math.Sqrt(5)
	want := []float64{1, 1 + g(1+r5), 1 + g(2+2), 1 + g(1+r5), 1 + g(r2+r2), 1 + g(1+r5), 1 + g(2+2), 1 + g(1+r5), 1}
	near(t, "3×3", got, want)
	// 1×7 with class balance: two objects, every gap pixel has d1+d2 = 6.
	l = []int32{1, 0, 0, 0, 0, 0, 1}
	got, err = BorderWeights(l, []int{1, 7}, BorderOptions{W0: w0, Sigma: sigma, ClassBalance: true})
	if err != nil {
		t.Fatal(err)
	}
	bg, fg := 7.0/(2*5), 7.0/(2*2)
	near(t, "1×7", got, []float64{fg, bg + g(6), bg + g(6), bg + g(6), bg + g(6), bg + g(6), fg})
	// Touching objects of different labels are two objects; one object
	// alone has no border term.
	got, _ = BorderWeights([]int32{1, 2, 0}, []int{1, 3}, BorderOptions{W0: w0, Sigma: sigma})
	near(t, "1,2,0", got, []float64{1, 1, 1 + g(1+2)})
	got, _ = BorderWeights([]int32{1, 1, 0}, []int{1, 3}, BorderOptions{W0: w0, Sigma: sigma})
	near(t, "1,1,0", got, []float64{1, 1, 1})
	// 3-D 2×2×3: objects at (0,0,0) and (1,1,2); voxel (0,1,1): d1 = √2 (to
	// the first), d2 = √(1+0+1) = √2.
	l3 := make([]int32, 12)
	l3[0], l3[11] = 1, 1
	got, err = BorderWeights(l3, []int{2, 2, 3}, BorderOptions{W0: w0, Sigma: sigma})
	if err != nil {
		t.Fatal(err)
	}
	if i := (0*2+1)*3 + 1; math.Abs(got[i]-(1+g(2*r2))) > 1e-12 {
		t.Errorf("3-D voxel %d: %v, want %v", i, got[i], 1+g(2*r2))
	}
	if _, err := BorderWeights([]int32{-1, 0}, []int{1, 2}, BorderOptions{W0: 1, Sigma: 1}); err == nil {
		t.Error("negative label: no error")
	}
	if _, err := BorderWeights([]int32{1, 0}, []int{1, 2}, BorderOptions{W0: 1}); err == nil {
		t.Error("sigma 0: no error")
	}
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("%s: pixel %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}
