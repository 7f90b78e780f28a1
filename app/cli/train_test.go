package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/train"
	"github.com/segloss/segloss/maskio"
)

// writeSyntheticPNG writes the synthetic set of n images as a PNG data
// folder (images/ grey 0..255, masks/ class indices) and returns it.
func writeSyntheticPNG(t *testing.T, n int) string {
	t.Helper()
	s, err := dataset.Load("synthetic:"+string(rune('0'+n)), dataset.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, ex := range append(append([]dataset.Example{}, s.Train...), s.Val...) {
		img := &maskio.Image{Shape: []int{s.H, s.W}, Data: make([]float64, s.H*s.W)}
		mask := &maskio.Image{Shape: []int{s.H, s.W}, Data: make([]float64, s.H*s.W)}
		for i, v := range ex.Image {
			img.Data[i] = float64(min(255, max(0, int(128+40*v))))
			mask.Data[i] = float64(ex.Label[i])
		}
		for sub, im := range map[string]*maskio.Image{"images": img, "masks": mask} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := maskio.Write(filepath.Join(dir, sub, ex.Case+".png"), im); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// backendsUnderTest are the training backends compiled in: gomlx, and
// native when the engine is there.
func backendsUnderTest() []string {
	return train.EngineNames()
}

// TestTrainPredictEvalPNG runs train, predict and eval end to end on a PNG
// folder with every backend: the masks predict writes are PNGs of the
// input's size that eval scores directly.
func TestTrainPredictEvalPNG(t *testing.T) {
	data := writeSyntheticPNG(t, 6)
	for _, backend := range backendsUnderTest() {
		run := filepath.Join(t.TempDir(), "run")
		out, errs, code := runCLI(t, "train", "--data", data, "--loss", "dice", "--out", run, "--steps", "2",
			"--batch", "2", "--width", "4", "--depth", "2", "--val-every", "1", "--backend", backend)
		if code != 0 {
			t.Fatalf("%s: train: exit %d: %s", backend, code, errs)
		}
		if !strings.Contains(out, "val Dice") || !strings.Contains(errs, "step 2") {
			t.Errorf("%s: train output lacks the validation Dice:\n%s\n%s", backend, out, errs)
		}
		m, err := train.LoadModel(run)
		if err != nil || m.Backend != backend || m.Dims != 2 {
			t.Fatalf("%s: model %+v, %v", backend, m, err)
		}
		pred := filepath.Join(t.TempDir(), "pred")
		if _, errs, code = runCLI(t, "predict", "--model", run, "--images", filepath.Join(data, "images"), "--cases", "val", "--out", pred); code != 0 {
			t.Fatalf("%s: predict: exit %d: %s", backend, code, errs)
		}
		files, _ := filepath.Glob(filepath.Join(pred, "*.png"))
		if len(files) != 1 { // synthetic:6 validates on one case
			t.Fatalf("%s: predict wrote %v, want the one validation case", backend, files)
		}
		got, err := maskio.Read(files[0])
		if err != nil {
			t.Fatal(err)
		}
		src, _ := maskio.Read(filepath.Join(data, "images", filepath.Base(files[0])))
		if !reflect.DeepEqual(got.Shape, src.Shape) {
			t.Errorf("%s: predicted mask shape %v, image %v", backend, got.Shape, src.Shape)
		}
		for _, v := range got.Data {
			if v != 0 && v != 1 && v != 2 {
				t.Fatalf("%s: predicted label %v outside 0..2", backend, v)
			}
		}
		if _, errs, code = runCLI(t, "eval", "--pred", pred, "--truth", filepath.Join(data, "masks")); code != 0 {
			t.Fatalf("%s: eval of the predictions: exit %d: %s", backend, code, errs)
		}
	}
}

// TestPredictNIfTIKeepsGeometry trains one step on four hippocampus
// volumes (2-D with each backend, and 3-D with the native one), predicts
// a held-out volume whole and checks that it keeps the source's shape,
// spacing and orientation, and that eval scores it.
func TestPredictNIfTIKeepsGeometry(t *testing.T) {
	data := filepath.Join("..", "..", "..", "shared", "data", "hippocampus")
	if _, err := os.Stat(data); err != nil {
		t.Skip("hippocampus data not present:", err)
	}
	type variant struct{ backend, dims string }
	var variants []variant
	for _, b := range backendsUnderTest() {
		variants = append(variants, variant{b, "2"})
		if b == "native" {
			variants = append(variants, variant{b, "3"})
		}
	}
	for _, v := range variants {
		run := filepath.Join(t.TempDir(), "run")
		if _, errs, code := runCLI(t, "train", "--data", data, "--loss", "jaccard:mode=multiclass,from_logits=true", "--out", run,
			"--steps", "1", "--batch", "2", "--width", "4", "--depth", "2", "--max-cases", "4", "--val-slices", "4",
			"--backend", v.backend, "--dims", v.dims); code != 0 {
			t.Fatalf("%+v: train: exit %d: %s", v, code, errs)
		}
		pred := filepath.Join(t.TempDir(), "pred")
		if _, errs, code := runCLI(t, "predict", "--model", run, "--images", filepath.Join(data, "imagesTr"), "--cases", "val", "--out", pred); code != 0 {
			t.Fatalf("%+v: predict: exit %d: %s", v, code, errs)
		}
		files, _ := filepath.Glob(filepath.Join(pred, "*.nii.gz"))
		if len(files) != 1 {
			t.Fatalf("%+v: predict wrote %v, want one volume", v, files)
		}
		other := map[string]string{"2": "3", "3": "2"}[v.dims]
		if _, errs, code := runCLI(t, "predict", "--model", run, "--images", filepath.Join(data, "imagesTr"), "--cases", "val", "--out", pred, "--dims", other); code != 2 || !strings.Contains(errs, "-D model") {
			t.Errorf("%+v: predict --dims %s: exit %d, %s; want a usage error", v, other, code, errs)
		}
		got, err := maskio.Read(files[0])
		if err != nil {
			t.Fatal(err)
		}
		src, err := maskio.Read(filepath.Join(data, "imagesTr", filepath.Base(files[0])))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Shape, src.Shape) || !reflect.DeepEqual(got.Spacing, src.Spacing) {
			t.Errorf("%+v: prediction shape %v spacing %v, source %v %v", v, got.Shape, got.Spacing, src.Shape, src.Spacing)
		}
		// NIfTI-1 bytes 252..344: qform_code, sform_code, quaternion, offsets, srow_x/y/z.
		if got.Header == nil || src.Header == nil || string(got.Header.Raw[252:344]) != string(src.Header.Raw[252:344]) || got.Header.Pixdim[0] != src.Header.Pixdim[0] {
			t.Errorf("%+v: orientation (qform, sform, qfac) not kept", v)
		}
		out, errs, code := runCLI(t, "eval", "--pred", pred, "--truth", filepath.Join(data, "labelsTr"))
		if code != 0 || !strings.Contains(out, "hd95") {
			t.Errorf("%+v: eval: exit %d: %s%s", v, code, out, errs)
		}
	}
}

func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--loss", "dice", "--out", dir, "--steps", "1"}, 2, "--data is required"},
		{[]string{"train", "--data", "synthetic", "--loss", "dice", "--out", dir}, 2, "give --budget"},
		{[]string{"train", "--data", "synthetic", "--loss", "dcie", "--out", dir, "--steps", "1"}, 2, "unknown loss"},
		{[]string{"train", "--data", filepath.Join(dir, "missing"), "--loss", "dice", "--out", dir, "--steps", "1"}, 1, filepath.Join(dir, "missing")},
		{[]string{"train", "--data", "synthetic", "--loss", "dice", "--out", dir, "--steps", "1", "--size", "64"}, 2, "want HxW"},
		{[]string{"predict", "--model", dir, "--images", dir, "--out", dir}, 1, "no image files"},
		{[]string{"predict", "--model", dir, "--images", filepath.Join(dir, "x.png"), "--out", dir}, 1, "x.png"},
	} {
		_, errs, code := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errs, c.code, c.want)
		}
	}
}
