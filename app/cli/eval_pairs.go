package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/segloss/segloss/maskio"
)

// evalPair is one prediction and its ground truth.
type evalPair struct {
	Name, Pred, Truth string
}

// pairFiles pairs pred and truth: two files make one pair; two folders are
// paired by case name over their mask files (other files are ignored), and
// the files without a partner are returned as unpaired.
func pairFiles(pred, truth string) (pairs []evalPair, unpaired []string, err error) {
	pi, err := os.Stat(pred)
	if err != nil {
		return nil, nil, fmt.Errorf("--pred: %w", err)
	}
	ti, err := os.Stat(truth)
	if err != nil {
		return nil, nil, fmt.Errorf("--truth: %w", err)
	}
	switch {
	case !pi.IsDir() && !ti.IsDir():
		return []evalPair{{maskio.CaseName(truth), pred, truth}}, nil, nil
	case pi.IsDir() != ti.IsDir():
		return nil, nil, fmt.Errorf("--pred %s and --truth %s must both be files or both be folders", pred, truth)
	}
	pm, err := maskFiles(pred)
	if err != nil {
		return nil, nil, err
	}
	tm, err := maskFiles(truth)
	if err != nil {
		return nil, nil, err
	}
	for name, t := range tm {
		if p, ok := pm[name]; ok {
			pairs = append(pairs, evalPair{name, p, t})
		} else {
			unpaired = append(unpaired, t)
		}
	}
	for name, p := range pm {
		if _, ok := tm[name]; !ok {
			unpaired = append(unpaired, p)
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Name < pairs[j].Name })
	sort.Strings(unpaired)
	return pairs, unpaired, nil
}

// maskFiles maps case name to path for the mask files directly in dir.
func maskFiles(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || maskio.Format(e.Name()) == "" {
			continue
		}
		name := maskio.CaseName(e.Name())
		path := filepath.Join(dir, e.Name())
		if prev, dup := out[name]; dup {
			return nil, fmt.Errorf("%s and %s have the same case name %q", prev, path, name)
		}
		out[name] = path
	}
	return out, nil
}

// findDataset returns the dataset.json that names the labels: path when
// given, else one in the truth folder (or the folder of the truth file) or
// its parent, as in the Medical Segmentation Decathlon layout; "" if none.
func findDataset(path, truth string) string {
	if path != "" {
		return path
	}
	dir := truth
	if fi, err := os.Stat(truth); err == nil && !fi.IsDir() {
		dir = filepath.Dir(truth)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		p := filepath.Join(d, "dataset.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// readDatasetLabels reads the label names of an MSD dataset.json by label value.
func readDatasetLabels(path string) (map[int32]string, error) {
	m, err := maskio.ReadMSDDataset(path)
	if err != nil {
		return nil, err
	}
	names, _ := m.LabelNames() // checked by the reader
	out := make(map[int32]string, len(names))
	for v, n := range names {
		out[int32(v)] = n
	}
	return out, nil
}
