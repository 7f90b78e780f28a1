package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

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
	MaxVoxels int // ceiling on the voxels of one input file
}

func newPredictCmd(s *Streams) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict --model DIR --images PATH --out DIR",
		Short: "Write the masks a model trained by segloss train predicts",
		Long: `Label images with a model trained by segloss train.

--model is the output folder of segloss train. --images is one image file or a
folder of them (.png, .nii, .nii.gz, .npy). Each image is normalized as in
training, predicted slice by slice (volumes along their first axis, centred in
the training frame) and written to --out under the same file name, in the same
format and geometry: NIfTI keeps the source header's spacing and orientation,
PNG stays PNG. --cases val predicts only the validation cases of the run's
split.json (--cases train, the training ones). segloss eval scores --out against the ground-truth folder directly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPredict(s, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "output folder of segloss train")
	f.StringVar(&o.Images, "images", "", "image file or folder of images")
	f.StringVar(&o.Out, "out", "", "folder for the predicted masks")
	f.IntVar(&o.Batch, "batch", 16, "slices per forward pass")
	f.StringVar(&o.Cases, "cases", "all", "all, or only the train or val cases of the model's split.json")
	f.StringVar(&o.Backend, "backend", "go", "GoMLX backend: go, or xla[:plugin] when built with -tags xla")
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
	files, err := imageFiles(o.Images)
	if err != nil {
		return err
	}
	if files, err = filterCases(files, o.Model, o.Cases); err != nil {
		return err
	}
	p, err := train.OpenPredictor(o.Model, o.Backend)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	for _, f := range files {
		out := filepath.Join(o.Out, filepath.Base(f))
		if err := predictFile(p, f, out, o.Batch, readOptions(o.MaxVoxels)); err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "%s -> %s\n", f, out)
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
		if p := filepath.Join(path, e.Name()); !e.IsDir() && maskio.Format(p) != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("predict: %s: no image files (.png, .nii, .nii.gz, .npy)", path)
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
		return nil, err
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
		if keep[maskio.CaseName(f)] {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("predict: none of the %d images is a %s case of %s", len(files), cases, filepath.Join(modelDir, "split.json"))
	}
	return out, nil
}

// predictFile labels one image or volume and writes the mask to out.
func predictFile(p *train.Predictor, in, out string, batch int, rd maskio.ReadOptions) error {
	img, err := rd.Read(in)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if len(img.Shape) != 2 && len(img.Shape) != 3 {
		return fmt.Errorf("predict: %s: shape %v: want a 2-D image or a 3-D volume", in, img.Shape)
	}
	m := p.Model
	slices, h, w := dataset.Slices(dataset.Normalize(img.Data), img.Shape)
	framed := make([][]float32, len(slices))
	for i, sl := range slices {
		framed[i] = dataset.Fit(sl, h, w, m.Height, m.Width, 0)
	}
	labels, err := p.Predict(framed, batch)
	if err != nil {
		return fmt.Errorf("predict: %s: %w", in, err)
	}
	data := make([]float64, 0, len(img.Data))
	for _, l := range labels {
		for _, v := range dataset.Unfit(l, h, w, m.Height, m.Width, 0) {
			data = append(data, float64(v))
		}
	}
	mask := &maskio.Image{Shape: img.Shape, Spacing: img.Spacing, Data: data, Kind: img.Kind, Header: img.Header}
	if err := maskio.Write(out, mask); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return nil
}
