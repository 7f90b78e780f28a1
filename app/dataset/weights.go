package dataset

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/segloss/segloss/maskio"
)

// PNGWeightScale is the scale of weight maps stored as PNG: a stored grey
// value v (8-bit or 16-bit) is the weight v / PNGWeightScale, so a 16-bit
// PNG holds weights 0 to 655.35 in steps of 0.01. NIfTI and .npy weight
// maps hold the weights themselves (float or integer).
const PNGWeightScale = 100

// WeightsFolder returns the folder the weight maps of a data set at dir
// of the given format ("msd" or "png") are read from under the rule w
// (Options.Weights), and whether to read them: "" and "none" read none;
// "auto" reads dir/weightsTr (Decathlon: beside labelsTr) or dir/weights
// (PNG: beside masks) when it exists; any other value is the folder.
func WeightsFolder(w, dir, format string) (string, bool, error) {
	switch w {
	case "", "none":
		return "", false, nil
	case "auto":
		sub := "weights"
		if format == "msd" {
			sub = "weightsTr"
		}
		p := filepath.Join(dir, sub)
		fi, err := os.Stat(p)
		return p, err == nil && fi.IsDir(), nil
	}
	fi, err := os.Stat(w)
	if err != nil {
		return "", false, fmt.Errorf("dataset: --weights %s: %w", w, err)
	}
	if !fi.IsDir() {
		return "", false, fmt.Errorf("dataset: --weights %s: not a folder", w)
	}
	return w, true, nil
}

// addWeights reads the weight map of every case (paired with its mask by
// case name: hippocampus_001.nii.gz, img_3.png, img_3.npy) from the folder
// Options.Weights names and attaches its slices to the case. Each map
// must have the shape of its mask and hold finite weights >= 0.
func (s *Set) addWeights(cases []rawCase, pairs []rawPair, o Options) error {
	folder, ok, err := WeightsFolder(o.Weights, s.Dir, s.Format)
	if err != nil || !ok {
		return err
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		return fmt.Errorf("dataset: weights: %w", err)
	}
	files := map[string]string{}
	for _, e := range entries {
		p := filepath.Join(folder, e.Name())
		if !e.IsDir() && maskio.Format(p) != "" {
			files[maskio.CaseName(p)] = p
		}
	}
	for k, p := range pairs {
		key := maskio.CaseName(p.maskPath)
		path, found := files[key]
		if !found {
			return fmt.Errorf("dataset: %s: no weight map for it in %s (want %s.nii.gz, .nii, .npy or .png there)", p.maskPath, folder, key)
		}
		w, err := ReadWeightMap(path, p.mask, o.Read)
		if err != nil {
			return err
		}
		cases[k].weights, _, _ = Slices(w, p.mask.Shape)
	}
	s.Weights = folder
	if o.Note != nil {
		o.Note(fmt.Sprintf("pixel weights: using the weight maps in %s (%d cases)", folder, len(pairs)))
	}
	return nil
}

// ReadWeightMap reads the weight map at path (PNG, NIfTI or .npy; PNG
// values are divided by PNGWeightScale) and checks it against its mask:
// the same shape, and every weight finite, >= 0 and within float32.
func ReadWeightMap(path string, mask *maskio.Image, rd maskio.ReadOptions) ([]float32, error) {
	im, err := rd.Read(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: weights: %w", err)
	}
	if mask != nil && !im.SameShape(mask) {
		return nil, fmt.Errorf("dataset: %s: weight map of shape %v, but its mask has shape %v", path, im.Shape, mask.Shape)
	}
	scale := 1.0
	if im.Kind == "png" {
		scale = 1.0 / PNGWeightScale
	}
	out := make([]float32, len(im.Data))
	for i, v := range im.Data {
		v *= scale
		if math.IsNaN(v) || v < 0 || v > math.MaxFloat32 {
			return nil, fmt.Errorf("dataset: %s: weight %v at voxel %d: weights must be finite and >= 0", path, v, i)
		}
		out[i] = float32(v)
	}
	return out, nil
}
