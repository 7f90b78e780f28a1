package cli

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/train"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// writeMask writes a grey PNG mask of the given values.
func writeMask(t *testing.T, path string, h, w int, data []float64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := maskio.Write(path, &maskio.Image{Shape: []int{h, w}, Data: data}); err != nil {
		t.Fatal(err)
	}
}

// square returns an h×w mask with value v in the square [y0, y0+n)×[x0, x0+n).
func square(h, w, y0, x0, n int, v float64) []float64 {
	d := make([]float64, h*w)
	for y := y0; y < y0+n; y++ {
		for x := x0; x < x0+n; x++ {
			d[y*w+x] = v
		}
	}
	return d
}

// TestEvalMaskValues0255 is the finding "eval of 0/1 predictions against
// 0/255 truth reports Dice 0 with exit 0": now refused, naming both label
// sets and the flag; with the flag, or 0/255 on both sides, scored right.
func TestEvalMaskValues0255(t *testing.T) {
	dir := t.TempDir()
	truth, pred01, pred255 := filepath.Join(dir, "truth"), filepath.Join(dir, "pred01"), filepath.Join(dir, "pred255")
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("c%d.png", i)
		writeMask(t, filepath.Join(truth, name), 8, 8, square(8, 8, 2, 2, 4, 255))
		writeMask(t, filepath.Join(pred01, name), 8, 8, square(8, 8, 2, 2, 4, 1))
		writeMask(t, filepath.Join(pred255, name), 8, 8, square(8, 8, 2, 2, 4, 255))
	}
	_, errs, code := runCLI(t, "eval", "--pred", pred01, "--truth", truth, "--metrics", "dice")
	if code != 1 || !strings.Contains(errs, "{0, 255}") || !strings.Contains(errs, "{0, 1}") || !strings.Contains(errs, "--mask-values 255=1") {
		t.Errorf("0/1 against 0/255: exit %d, stderr %q; want exit 1 naming both sets and --mask-values 255=1", code, errs)
	}
	js := filepath.Join(t.TempDir(), "dataset.json")
	os.WriteFile(js, []byte(`{"labels": {"0": "background", "1": "lesion"}}`), 0o644)
	_, errs, code = runCLI(t, "eval", "--pred", pred255, "--truth", truth, "--metrics", "dice", "--dataset", js, "--mask-values", "raw")
	if code != 1 || !strings.Contains(errs, "hold the labels {0, 255}, but "+js+" declares 0..1") {
		t.Errorf("labels outside dataset.json: exit %d, %q", code, errs)
	}
	out, errs, code := runCLI(t, "eval", "--pred", pred01, "--truth", truth, "--metrics", "dice", "--mask-values", "255=1")
	if code != 0 || !strings.Contains(out, "label 1  dice    1.0000") {
		t.Errorf("with --mask-values 255=1: exit %d, %s\n%s", code, errs, out)
	}
	out, errs, code = runCLI(t, "eval", "--pred", pred255, "--truth", truth, "--metrics", "dice")
	if code != 0 || !strings.Contains(out, "label 1  dice    1.0000") || strings.Count(errs, "read as {0, 1}") != 1 {
		t.Errorf("0/255 against 0/255: exit %d, want Dice 1 and one line about the values:\n%s\n%s", code, errs, out)
	}
}

// writeBinaryPNGSet writes the synthetic set of n images as a PNG folder
// whose masks are, with rgb, 0/255 (every foreground class is 255) and
// images RGBA; without, class indices and grey images.
func writeBinaryPNGSet(t *testing.T, n int, rgb bool) string {
	t.Helper()
	s, err := dataset.Load(fmt.Sprintf("synthetic:%d", n), dataset.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"images", "masks"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	for _, ex := range append(append([]dataset.Example{}, s.Train...), s.Val...) {
		mask := make([]float64, s.H*s.W)
		for i, l := range ex.Label {
			if l > 0 {
				mask[i] = 255
			}
		}
		if !rgb {
			mask = make([]float64, s.H*s.W)
			for i, l := range ex.Label {
				mask[i] = float64(l)
			}
		}
		writeMask(t, filepath.Join(dir, "masks", ex.Case+".png"), s.H, s.W, mask)
		img := image.NewNRGBA(image.Rect(0, 0, s.W, s.H))
		for i, v := range ex.Image {
			g := uint8(min(255, max(0, int(128+40*v))))
			c := color.NRGBA{g, g, g, 255}
			if rgb {
				c = color.NRGBA{g, 255 - g, uint8(i % 7 * 30), 200}
			}
			img.SetNRGBA(i%s.W, i/s.W, c)
		}
		var enc image.Image = img
		if !rgb {
			g := image.NewGray(img.Bounds())
			for i := range ex.Image {
				g.Pix[i] = img.Pix[4*i]
			}
			enc = g
		}
		f, err := os.Create(filepath.Join(dir, "images", ex.Case+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, enc); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

// TestRGBTrainPredictEval is the finding "RGB images are unsupported as
// model input": an RGBA PNG folder with 0/255 masks trains a 3-channel
// model (one line says how the masks were read), predict writes 0/255
// masks that eval scores against the masks, and a grey image is refused.
// It also checks the progress lines without a terminal, --budget, the
// --size rounding line and the two-panel curve.png.
func TestRGBTrainPredictEval(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	data := writeBinaryPNGSet(t, 6, true)
	run := filepath.Join(t.TempDir(), "run")
	_, errs, code := runCLI(t, "train", "--data", data, "--loss", "dice", "--out", run, "--budget", "3",
		"--batch", "2", "--width", "2", "--depth", "2", "--val-every", "0", "--size", "31x31")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	for _, want := range []string{"masks hold the values {0, 255}: read as {0, 1}", "3 channels", "--size 31x31 rounded up to 32x32",
		"step 2/3", "steps/s", "ETA"} {
		if !strings.Contains(errs, want) {
			t.Errorf("train stderr lacks %q:\n%s", want, errs)
		}
	}
	m, err := train.LoadModel(run)
	if err != nil {
		t.Fatal(err)
	}
	if m.Channels() != 3 || m.MaskValues != "255=1" || m.LabelNames[1] != "label 1" {
		t.Errorf("model: %d channels, mask values %q, names %v; want 3, 255=1, label 1", m.Channels(), m.MaskValues, m.LabelNames)
	}
	f, err := os.Open(filepath.Join(run, "curve.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Height*8 < cfg.Width*6 { // two stacked panels: 8×7 inches
		t.Errorf("curve.png %dx%d (%v): want the two-panel 8×7 layout", cfg.Width, cfg.Height, err)
	}
	pred := filepath.Join(t.TempDir(), "pred")
	if _, errs, code = runCLI(t, "predict", "--model", run, "--images", filepath.Join(data, "images"), "--cases", "val", "--out", pred); code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errs)
	}
	files, _ := filepath.Glob(filepath.Join(pred, "*.png"))
	if len(files) != 1 {
		t.Fatalf("predict wrote %v, want the one validation case", files)
	}
	got, err := maskio.Read(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got.Data {
		if v != 0 && v != 255 {
			t.Fatalf("predicted value %v: want the masks' own values 0/255", v)
		}
	}
	if _, errs, code = runCLI(t, "eval", "--pred", pred, "--truth", filepath.Join(data, "masks"), "--only-paired", "--metrics", "dice"); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "unpaired file") || !strings.Contains(errs, "5 files without a partner") {
		t.Errorf("--only-paired: want one line for the 5 unpaired files, got:\n%s", errs)
	}
	grey := writeBinaryPNGSet(t, 2, false)
	_, errs, code = runCLI(t, "predict", "--model", run, "--images", filepath.Join(grey, "images"), "--out", t.TempDir())
	if code != 1 || !strings.Contains(errs, "1 input channel(s); the model was trained on 3") {
		t.Errorf("grey images for an RGB model: exit %d, %s", code, errs)
	}
}

// TestCompareRunIsModel0255 is the README's real-format example: a 0/255
// PNG folder through compare, a compare run folder used as predict's
// model, then eval. It also checks "comparing 1 loss" and --parallel as
// an alias of --workers.
func TestCompareRunIsModel0255(t *testing.T) {
	data := writeBinaryPNGSet(t, 6, true)
	out := filepath.Join(t.TempDir(), "cmp")
	_, errs, code := runCLI(t, "compare", "--data", data, "--losses", "dice", "--budget", "2", "--out", out,
		"--width", "2", "--depth", "2", "--batch", "2", "--val-every", "1", "--size", "32x32", "--parallel", "1")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "comparing 1 loss,") || !strings.Contains(errs, "read as {0, 1}") || !strings.Contains(errs, "dice: step 1/2") || !strings.Contains(errs, "steps/s  ETA") {
		t.Errorf("compare stderr:\n%s", errs)
	}
	runs, _ := filepath.Glob(filepath.Join(out, "runs", "dice-*", "seed*")) // a run: loss folder, then seed
	if len(runs) != 1 {
		t.Fatalf("run folders %v", runs)
	}
	pred := filepath.Join(t.TempDir(), "pred")
	if _, errs, code = runCLI(t, "predict", "--model", runs[0], "--images", filepath.Join(data, "images"), "--cases", "val", "--out", pred); code != 0 {
		t.Fatalf("predict --model RUN: exit %d: %s", code, errs)
	}
	split := filepath.Join(runs[0], "train", "split.json")
	if _, errs, code = runCLI(t, "eval", "--pred", pred, "--truth", filepath.Join(data, "masks"), "--cases-from", split, "--metrics", "dice"); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "unpaired file") {
		t.Errorf("--cases-from: unpaired lines for training cases:\n%s", errs)
	}
}

// TestMSDFourChannels is the finding "multi-modal MSD volumes are
// unsupported": a Decathlon folder of 4-D NIfTI volumes with four
// modalities trains a 4-channel model recording the modality names;
// predict writes 3-D masks of the volumes' shape that eval scores, and
// refuses a volume with one channel.
func TestMSDFourChannels(t *testing.T) {
	dir := t.TempDir()
	const C, D, H, W = 4, 2, 16, 16
	var training []string
	for i := 0; i < 4; i++ {
		img := &maskio.Image{Shape: []int{C, D, H, W}, Data: make([]float64, C*D*H*W)}
		lab := &maskio.Image{Shape: []int{D, H, W}, Data: make([]float64, D*H*W)}
		for j := range lab.Data {
			y, x := j/W%H, j%W
			if y >= 4+i && y < 10+i && x >= 3 && x < 9 {
				lab.Data[j] = 1 + float64(j%2)
			}
			for c := 0; c < C; c++ {
				img.Data[c*D*H*W+j] = float64(c*100) + 10*lab.Data[j] + float64((j*7+c)%5)
			}
		}
		name := fmt.Sprintf("BRATS_%03d.nii.gz", i)
		if err := os.MkdirAll(filepath.Join(dir, "imagesTr"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, "labelsTr"), 0o755)
		if err := maskio.Write(filepath.Join(dir, "imagesTr", name), img); err != nil {
			t.Fatal(err)
		}
		if err := maskio.Write(filepath.Join(dir, "labelsTr", name), lab); err != nil {
			t.Fatal(err)
		}
		training = append(training, fmt.Sprintf(`{"image": "./imagesTr/%s", "label": "./labelsTr/%s"}`, name, name))
	}
	js := `{"name": "BraTSmini", "modality": {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"},
		"labels": {"0": "background", "1": "edema", "2": "tumour"}, "training": [` + strings.Join(training, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "dataset.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "run")
	_, errs, code := runCLI(t, "train", "--data", dir, "--loss", "dice:mode=multiclass", "--out", run, "--steps", "2",
		"--batch", "2", "--width", "2", "--depth", "2", "--val-every", "1")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "4 channels (FLAIR, T1w, t1gd, T2w)") {
		t.Errorf("train stderr lacks the channels:\n%s", errs)
	}
	m, err := train.LoadModel(run)
	if err != nil {
		t.Fatal(err)
	}
	if m.Channels() != 4 || strings.Join(m.Modalities, ",") != "FLAIR,T1w,t1gd,T2w" {
		t.Errorf("model: %d channels, modalities %v", m.Channels(), m.Modalities)
	}
	pred := filepath.Join(t.TempDir(), "pred")
	if _, errs, code = runCLI(t, "predict", "--model", run, "--images", filepath.Join(dir, "imagesTr"), "--out", pred); code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errs)
	}
	got, err := maskio.Read(filepath.Join(pred, "BRATS_000.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint([]int{D, H, W}) {
		t.Errorf("predicted shape %v, want %v", got.Shape, []int{D, H, W})
	}
	if _, errs, code = runCLI(t, "eval", "--pred", pred, "--truth", filepath.Join(dir, "labelsTr"), "--metrics", "dice"); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	one := filepath.Join(t.TempDir(), "one.nii.gz")
	maskio.Write(one, &maskio.Image{Shape: []int{D, H, W}, Data: make([]float64, D*H*W)})
	_, errs, code = runCLI(t, "predict", "--model", run, "--images", one, "--out", t.TempDir())
	if code != 1 || !strings.Contains(errs, "trained on 4 (FLAIR, T1w, t1gd, T2w)") {
		t.Errorf("1-channel volume for a 4-channel model: exit %d, %s", code, errs)
	}
}

// TestDataSynthetic is the finding "a model trained on the built-in set
// has nothing to predict on": segloss data writes it as a PNG folder that
// loads as the same three classes.
func TestDataSynthetic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "syn")
	stdout, errs, code := runCLI(t, "data", "synthetic:4", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "wrote 4 images and their masks") {
		t.Errorf("stdout %q", stdout)
	}
	s, err := dataset.Load(out, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 3 || len(s.Train)+len(s.Val) != 4 || s.H != dataset.SyntheticSize {
		t.Errorf("loaded %d classes, %d examples, %d×%d", s.Classes, len(s.Train)+len(s.Val), s.H, s.W)
	}
	if _, _, code := runCLI(t, "data", "nonsense", "--out", out); code != 2 {
		t.Errorf("data nonsense: exit %d, want 2", code)
	}
}

// TestPredictRefusesInputFolders is issue 15's finding 8: --out equal to
// --images or to the data set's label folder overwrote them.
func TestPredictRefusesInputFolders(t *testing.T) {
	data := writeSyntheticPNG(t, 4)
	run := filepath.Join(t.TempDir(), "run")
	if _, errs, code := runCLI(t, "train", "--data", data, "--loss", "dice", "--out", run, "--steps", "1",
		"--batch", "2", "--width", "2", "--depth", "2"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	images, masks := filepath.Join(data, "images"), filepath.Join(data, "masks")
	before, _ := os.ReadFile(filepath.Join(masks, "synthetic_000.png"))
	for _, out := range []string{images, masks, images + "/"} {
		_, errs, code := runCLI(t, "predict", "--model", run, "--images", images, "--out", out)
		if code != 2 || !strings.Contains(errs, "is an input folder") {
			t.Errorf("--out %s: exit %d, %s", out, code, errs)
		}
	}
	after, _ := os.ReadFile(filepath.Join(masks, "synthetic_000.png"))
	if string(before) != string(after) {
		t.Errorf("a mask was overwritten")
	}
}

// TestErrorsNameTheCommand is the finding "predict --model RUN fails with
// segloss: train: open …/model.json": errors name the command once.
func TestErrorsNameTheCommand(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.png"), []byte("not a png"), 0o644)
	_, errs, code := runCLI(t, "predict", "--model", dir, "--images", filepath.Join(dir, "x.png"), "--out", filepath.Join(dir, "o"))
	if code != 2 || !strings.HasPrefix(errs, "segloss predict: --model") || strings.Contains(errs, "train:") || strings.Count(errs, "segloss") != 3 {
		t.Errorf("exit %d, stderr %q; want one 'segloss predict:' prefix naming --model", code, errs)
	}
	_, errs, _ = runCLI(t, "train", "--data", filepath.Join(dir, "missing"), "--loss", "dice", "--out", dir, "--budget", "1")
	if !strings.Contains(errs, "\nsegloss train: ") || strings.Contains(errs, "dataset:") {
		t.Errorf("train error %q: want 'segloss train: ' once, no package prefixes", errs)
	}
	_, errs, code = runCLI(t, "train", "--data", "synthetic", "--loss", "dcie", "--out", dir, "--budget", "1")
	if code != 2 || strings.Count(errs, "segloss") != 1 || !strings.HasPrefix(errs, "segloss train: unknown loss") {
		t.Errorf("unknown loss: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "predict", "--model", dir, "--images", "synthetic", "--out", filepath.Join(dir, "o"))
	if code != 2 || !strings.Contains(errs, "segloss data synthetic --out DIR") {
		t.Errorf("predict --images synthetic: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "eval", "--pred", dir, "--truth", dir, "--nope")
	if code != 2 || !strings.HasPrefix(errs, "segloss eval: unknown flag") {
		t.Errorf("unknown flag: exit %d, %q", code, errs)
	}
}

// TestEvalUnpairedLines is the finding "eval after predict --cases val
// prints one unpaired line per training case": a few lines and a count.
func TestEvalUnpairedLines(t *testing.T) {
	dir := t.TempDir()
	truth, pred := filepath.Join(dir, "t"), filepath.Join(dir, "p")
	for i := 0; i < 10; i++ {
		writeMask(t, filepath.Join(truth, fmt.Sprintf("c%d.png", i)), 4, 4, square(4, 4, 1, 1, 2, 1))
	}
	writeMask(t, filepath.Join(pred, "c0.png"), 4, 4, square(4, 4, 1, 1, 2, 1))
	_, errs, code := runCLI(t, "eval", "--pred", pred, "--truth", truth, "--metrics", "dice")
	if code != 0 || strings.Count(errs, "unpaired file (no partner") != 3 || !strings.Contains(errs, "and 6 more unpaired files") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
	split := filepath.Join(dir, "split.json")
	raw, _ := json.Marshal(dataset.Set{Split: dataset.Split{Val: []string{"c0", "c1"}, Train: []string{"c2"}}})
	os.WriteFile(split, raw, 0o644)
	_, errs, code = runCLI(t, "eval", "--pred", pred, "--truth", truth, "--metrics", "dice", "--cases-from", split)
	if code != 0 || !strings.Contains(errs, "1 file without a partner") {
		t.Errorf("--cases-from: exit %d, stderr:\n%s", code, errs)
	}
}

// TestPlural is the finding "comparing 1 losses": counts of one are singular.
func TestPlural(t *testing.T) {
	if plural(1, "loss", "losses") != "1 loss" || plural(3, "loss", "losses") != "3 losses" || plural(0, "case", "cases") != "0 cases" {
		t.Errorf("plural")
	}
	out, errs, code := runCLI(t, "eval", "--pred", "testdata/eval/png/pred/same.png", "--truth", "testdata/eval/png/truth/same.png", "--metrics", "dice", "--workers", "1")
	if code != 0 || !strings.Contains(out, "1 case, 0 failed") || !strings.Contains(out, "on 1 worker (") {
		t.Errorf("exit %d %s\n%s", code, errs, out)
	}
}

// TestProgressLines checks eval's progress without a terminal: a line
// with the count, the rate and the ETA every progressEvery.
func TestProgressLines(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 10 * time.Millisecond
	var errb strings.Builder
	var done atomic.Int64
	done.Store(3)
	stop := progressLines(&Streams{Err: &syncWriter{w: &errb}}, "eval", 10, &done)
	time.Sleep(60 * time.Millisecond)
	stop()
	if !strings.Contains(errb.String(), "segloss eval: 3/10 done") || !strings.Contains(errb.String(), "ETA") {
		t.Errorf("progress lines %q", errb.String())
	}
}

// syncWriter serializes writes (the progress goroutine writes while the
// test waits).
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestOneVocabulary is the finding "flags and defaults differ between
// commands": one parallelism flag, one budget flag, the defaults'
// difference said in both help texts, one mask-value flag.
func TestOneVocabulary(t *testing.T) {
	root := NewRootCmd(&Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &strings.Builder{}})
	find := func(name string) *cobra.Command {
		for _, c := range root.Commands() {
			if c.Name() == name {
				return c
			}
		}
		t.Fatalf("no command %s", name)
		return nil
	}
	for _, name := range []string{"eval", "compare", "bench"} {
		if find(name).Flags().Lookup("workers") == nil {
			t.Errorf("%s has no --workers", name)
		}
	}
	for _, name := range []string{"train", "compare"} {
		c := find(name)
		if c.Flags().Lookup("budget") == nil || c.Flags().Lookup("mask-values") == nil {
			t.Errorf("%s lacks --budget or --mask-values", name)
		}
		if !strings.Contains(c.Long, "width 8, batch 8, Adam 0.003") || !strings.Contains(c.Long, "width 4, batch 4") {
			t.Errorf("%s --help does not state both commands' model defaults", name)
		}
	}
	if find("eval").Flags().Lookup("mask-values").Usage != find("train").Flags().Lookup("mask-values").Usage {
		t.Errorf("--mask-values differs between eval and train")
	}
}
