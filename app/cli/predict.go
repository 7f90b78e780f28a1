package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/train"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// predictOptions are the flags of segloss predict.
type predictOptions struct {
	Model     string
	Images    string
	Out       string
	Batch     int
	Cases     string // all, train or val: the cases of the model's split.json
	Backend   string
	Dims      int // 0: the model's; else checked against it
	MaxVoxels int // ceiling on the voxels of one input file
}

func newPredictCmd(s *Streams) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict --model DIR --images PATH --out DIR",
		Short: "Write the masks a model trained by segloss train predicts",
		Long: `Label images with a model trained by segloss train.

--model is the output folder of segloss train (either backend: model.json
records it), or a run folder of segloss compare (--out/runs/NAME). --images
is one image file or a folder of them (.png, .jpg, .nii, .nii.gz, .npy); they
must have the model's input channels (grey 1, RGB 3, a 4-D NIfTI one per
modality). Each image is normalized as in training (per channel) and predicted
whole with a sliding window of the training patch (overlap 1/2, Gaussian
weighting as nnU-Net; a 2-D model goes slice by slice, volumes along their
first axis), and written to --out under the same file name, in the same format
and geometry: NIfTI keeps the source header's spacing and orientation, PNG
stays PNG (a JPEG image gives a PNG mask). Labels are written in the values
the training masks were stored in (a model trained on 0/255 masks writes
0/255). --out must not be the images' folder or a folder of the model's data
set. --cases val predicts only the validation cases of the run's
split.json (--cases train, the training ones). segloss eval scores --out against the ground-truth folder directly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPredict(s, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "output folder of segloss train")
	f.StringVar(&o.Images, "images", "", "image file or folder of images")
	f.StringVar(&o.Out, "out", "", "folder for the predicted masks")
	f.IntVar(&o.Batch, "batch", 16, "windows per forward pass")
	f.StringVar(&o.Cases, "cases", "all", "all, or only the train or val cases of the model's split.json")
	f.IntVar(&o.Dims, "dims", 0, "2 or 3: check that the model is 2-D or 3-D (default: the model's, which model.json records)")
	f.StringVar(&o.Backend, "backend", "", "GoMLX compute backend of a gomlx model: gomlx (pure Go) or gomlx:xla[:plugin] when built with -tags xla (the model's engine is the one that trained it)")
	addMaxVoxelsFlag(f, &o.MaxVoxels)
	return cmd
}

func runPredict(s *Streams, o *predictOptions) error {
	switch {
	case o.Model == "":
		return usageErr("predict: --model is required")
	case o.Images == "":
		return usageErr("predict: --images is required")
	case o.Out == "":
		return usageErr("predict: --out is required")
	case o.Batch < 1:
		return usageErr("predict: --batch %d: must be >= 1", o.Batch)
	}
	if strings.HasPrefix(o.Images, "synthetic") {
		if _, err := os.Stat(o.Images); err != nil {
			return usageErr("predict: --images %s: the built-in set is not a folder; write it with `segloss data %s --out DIR` and pass DIR/images", o.Images, o.Images)
		}
	}
	files, err := imageFiles(o.Images)
	if err != nil {
		return err
	}
	modelDir, err := resolveModelDir(o.Model)
	if err != nil {
		return err
	}
	if err := checkOutNotInput(o.Out, o.Images, modelDir); err != nil {
		return err
	}
	if files, err = filterCases(files, modelDir, o.Cases); err != nil {
		return err
	}
	p, err := train.OpenPredictor(modelDir, o.Backend)
	if err != nil {
		return fmt.Errorf("predict: --model %s: %w", o.Model, err)
	}
	rule, err := maskio.ParseMaskValues(p.Model.MaskValues)
	if err != nil {
		return fmt.Errorf("predict: %s: mask_values: %w", filepath.Join(modelDir, train.ModelFile), err)
	}
	if o.Dims != 0 && o.Dims != p.Model.Dims {
		return usageErr("predict: --dims %d: %s holds a %d-D model", o.Dims, o.Model, p.Model.Dims)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	for _, f := range files {
		out := filepath.Join(o.Out, filepath.Base(f))
		if maskio.InputFormat(f) == "jpeg" {
			out = filepath.Join(o.Out, maskio.InputCaseName(f)+".png")
		}
		if err := predictFile(p, rule, f, out, o.Batch, readOptions(o.MaxVoxels)); err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "%s -> %s\n", f, out)
	}
	return nil
}

// resolveModelDir returns the folder holding model.json: dir itself (the
// output of segloss train), dir/train (a run folder of segloss compare,
// OUT/runs/NAME/seedS), or the first seed's run of a loss folder
// (OUT/runs/NAME).
func resolveModelDir(dir string) (string, error) {
	cands := []string{dir, filepath.Join(dir, "train")}
	if seeds, _ := filepath.Glob(filepath.Join(dir, "seed*", "train")); len(seeds) > 0 {
		sort.Strings(seeds)
		cands = append(cands, seeds[0])
	}
	for _, d := range cands {
		if _, err := os.Stat(filepath.Join(d, train.ModelFile)); err == nil {
			return d, nil
		}
	}
	if _, err := os.Stat(dir); err != nil {
		return "", usageErr("predict: --model: %v", err)
	}
	return "", usageErr("predict: --model %s holds no %s: give the output folder of segloss train or a run folder of segloss compare (OUT/runs/NAME/seedS)", dir, train.ModelFile)
}

// checkOutNotInput refuses an --out folder that holds inputs: the folder
// of --images (or --images itself), the model's data folder or one of its
// image and label folders, since predictions would overwrite them.
func checkOutNotInput(out, images, modelDir string) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		return a
	}
	inputs := []string{images}
	if fi, err := os.Stat(images); err == nil && !fi.IsDir() {
		inputs = []string{filepath.Dir(images)}
	}
	if raw, err := os.ReadFile(filepath.Join(modelDir, "split.json")); err == nil {
		var set dataset.Set
		if json.Unmarshal(raw, &set) == nil && set.Dir != "" && set.Format != "synthetic" {
			for _, sub := range []string{"", "images", "masks", "imagesTr", "labelsTr", "imagesTs"} {
				inputs = append(inputs, filepath.Join(set.Dir, sub))
			}
		}
	}
	o := abs(out)
	for _, in := range inputs {
		if o == abs(in) {
			return usageErr("predict: --out %s is an input folder (%s): the predictions would overwrite images or labels; give another folder", out, in)
		}
	}
	return nil
}

// imageFiles returns path if it is a file, else the image files directly
// in the folder path, sorted; an empty folder is an error.
func imageFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	var out []string
	for _, e := range entries {
		if p := filepath.Join(path, e.Name()); !e.IsDir() && maskio.InputFormat(p) != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("predict: %s: no image files (.png, .jpg, .nii, .nii.gz, .npy)", path)
	}
	sort.Strings(out)
	return out, nil
}

// filterCases keeps the files whose case is in the train or val list of
// the model's split.json (cases "train" or "val"); "all" keeps every file.
func filterCases(files []string, modelDir, cases string) ([]string, error) {
	if cases == "all" {
		return files, nil
	}
	if cases != "train" && cases != "val" {
		return nil, usageErr("predict: --cases %q: want all, train or val", cases)
	}
	split, err := train.LoadSplit(modelDir)
	if err != nil {
		return nil, fmt.Errorf("predict: --cases %s: %w", cases, err)
	}
	keep := map[string]bool{}
	names := split.Train
	if cases == "val" {
		names = split.Val
	}
	for _, n := range names {
		keep[n] = true
	}
	var out []string
	for _, f := range files {
		if keep[maskio.InputCaseName(f)] {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("predict: none of the %s is a %s case of %s", plural(len(files), "image", "images"), cases, filepath.Join(modelDir, "split.json"))
	}
	return out, nil
}

// predictFile labels one image or volume and writes the mask to out, its
// labels stored as rule stores them.
func predictFile(p *train.Predictor, rule maskio.MaskValues, in, out string, batch int, rd maskio.ReadOptions) error {
	img, err := rd.ReadInput(in)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if len(img.Shape) != 2 && len(img.Shape) != 3 {
		return fmt.Errorf("predict: %s: shape %v: want a 2-D image or a 3-D volume (with channels: a 4-D NIfTI)", in, img.Shape)
	}
	m := p.Model
	if img.Channels != m.Channels() {
		mods := ""
		if len(m.Modalities) > 0 {
			mods = fmt.Sprintf(" (%s)", strings.Join(m.Modalities, ", "))
		}
		return fmt.Errorf("predict: %s has %d input channel(s); the model was trained on %d%s", in, img.Channels, m.Channels(), mods)
	}
	shape := [3]int{1, img.Shape[0], img.Shape[1]}
	if len(img.Shape) == 3 {
		shape = [3]int{img.Shape[0], img.Shape[1], img.Shape[2]}
	}
	// Each channel normalized over the whole image, channels first.
	c := max(img.Channels, 1)
	x := make([]float32, 0, c*img.Len())
	for k := 0; k < c; k++ {
		x = append(x, dataset.Normalize(img.Channel(k))...)
	}
	p.SetBatch(batch)
	labels, err := p.PredictVolume(x, shape)
	if err != nil {
		return fmt.Errorf("predict: %s: %w", in, err)
	}
	data := make([]float64, len(labels))
	for i, v := range labels {
		data[i] = rule.Stored(v)
	}
	mask := &maskio.Image{Shape: img.Shape, Spacing: img.Spacing, Data: data, Kind: img.Kind, Header: img.Header}
	if err := maskio.Write(out, mask); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return nil
}
