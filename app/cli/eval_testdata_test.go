package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/maskio"
)

var updateEval = flag.Bool("update", false, "regenerate testdata/eval")

// evalSet is one synthetic case of testdata/eval: a truth and a prediction.
type evalSet struct {
	dir, name   string
	truth, pred *maskio.Image
}

// square2D returns a [32, 32] map with label 1 in the 8x8 square whose
// top-left corner is (8, 8+dx) and, when disc, label 2 in a disc of radius
// 4 around (22, 22).
func square2D(dx int, disc bool) *maskio.Image {
	img := &maskio.Image{Shape: []int{32, 32}, Spacing: []float64{1, 1}, Data: make([]float64, 32*32)}
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			switch {
			case y >= 8 && y < 16 && x >= 8+dx && x < 16+dx:
				img.Data[y*32+x] = 1
			case disc && (y-22)*(y-22)+(x-22)*(x-22) <= 16:
				img.Data[y*32+x] = 2
			}
		}
	}
	return img
}

// ball3D returns a [12, 12, 12] map with label 1 in the ball of radius 3.5
// around (c, c, c), with the given spacing.
func ball3D(c float64, spacing []float64) *maskio.Image {
	img := &maskio.Image{Shape: []int{12, 12, 12}, Spacing: spacing, Data: make([]float64, 12*12*12)}
	for z := 0; z < 12; z++ {
		for y := 0; y < 12; y++ {
			for x := 0; x < 12; x++ {
				dz, dy, dx := float64(z)-c, float64(y)-c, float64(x)-c
				if dz*dz+dy*dy+dx*dx <= 3.5*3.5 {
					img.Data[(z*12+y)*12+x] = 1
				}
			}
		}
	}
	return img
}

// evalSets are the synthetic cases, with the values the tests expect
// derived by hand in eval_test.go.
func evalSets() []evalSet {
	iso, aniso := []float64{1, 1, 1}, []float64{2, 1, 0.5}
	return []evalSet{
		// 2-D: the same map; the 8x8 square shifted 2 pixels right (Dice
		// 48/64 = 0.75, Hausdorff 2) with the disc missing from the prediction.
		{"png", "same", square2D(0, true), square2D(0, true)},
		{"png", "shifted", square2D(0, true), square2D(2, false)},
		// 3-D: balls one voxel apart along each axis (Hausdorff √3 at
		// spacing 1), and the same ball with anisotropic spacing.
		{"nifti", "ball_shift", ball3D(5, iso), ball3D(6, iso)},
		{"nifti", "ball_same", ball3D(5, aniso), ball3D(5, aniso)},
	}
}

// TestGenerateEvalTestdata writes testdata/eval with -update and otherwise
// checks that the files still read back as generated.
func TestGenerateEvalTestdata(t *testing.T) {
	for _, s := range evalSets() {
		ext := map[string]string{"png": ".png", "nifti": ".nii.gz"}[s.dir]
		for sub, img := range map[string]*maskio.Image{"truth": s.truth, "pred": s.pred} {
			path := filepath.Join("testdata", "eval", s.dir, sub, s.name+ext)
			if *updateEval {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := maskio.Write(path, img); err != nil {
					t.Fatal(err)
				}
			}
			got, err := maskio.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got.Data {
				if v != img.Data[i] {
					t.Fatalf("%s: voxel %d is %v, want %v (regenerate with -update)", path, i, v, img.Data[i])
				}
			}
		}
	}
}
