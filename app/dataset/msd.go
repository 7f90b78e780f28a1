package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/segloss/segloss/maskio"
)

// MSD is the part of a Decathlon dataset.json that training reads.
type MSD struct {
	Name     string            `json:"name"`
	Labels   map[string]any    `json:"labels"`
	Modality map[string]string `json:"modality"`
	Training []struct {
		Image string `json:"image"`
		Label string `json:"label"`
	} `json:"training"`
}

// ReadMSD reads and checks the dataset.json of a Decathlon folder.
func ReadMSD(path string) (*MSD, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var m MSD
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("dataset: %s: not a valid dataset.json: %v", path, err)
	}
	if len(m.Training) == 0 {
		return nil, fmt.Errorf("dataset: %s: no training cases listed", path)
	}
	if _, err := m.LabelNames(); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return &m, nil
}

// LabelNames returns the class names by label value (0..K-1). The
// "labels" object maps value to name ({"1": "Anterior"}) or, in newer
// files, name to value ({"Anterior": 1}); the values must be 0..K-1.
func (m *MSD) LabelNames() ([]string, error) {
	byValue := map[int]string{}
	for k, v := range m.Labels {
		if n, err := strconv.Atoi(k); err == nil {
			s, _ := v.(string)
			byValue[n] = s
		} else if f, ok := v.(float64); ok && f == float64(int(f)) {
			byValue[int(f)] = k
		} else {
			return nil, fmt.Errorf("labels entry %q: %v is neither a value nor a name", k, v)
		}
	}
	if len(byValue) < 2 {
		return nil, fmt.Errorf("labels: %d class(es) declared, need background and at least one more", len(byValue))
	}
	out := make([]string, len(byValue))
	for v, n := range byValue {
		if v < 0 || v >= len(out) {
			return nil, fmt.Errorf("labels: values must be 0..%d, got %d", len(out)-1, v)
		}
		out[v] = n
	}
	return out, nil
}

// readMSD reads every training case of the Decathlon folder dir.
func readMSD(dir string, maxCases int) (*Set, []rawCase, error) {
	m, err := ReadMSD(filepath.Join(dir, "dataset.json"))
	if err != nil {
		return nil, nil, err
	}
	if len(m.Modality) > 1 {
		return nil, nil, fmt.Errorf("dataset: %s: %d modalities; only single-channel images are supported", filepath.Join(dir, "dataset.json"), len(m.Modality))
	}
	names, _ := m.LabelNames()
	s := &Set{Name: m.Name, Format: "msd", Dir: dir, Classes: len(names), LabelNames: names}
	entries := m.Training
	sort.Slice(entries, func(i, j int) bool { return entries[i].Image < entries[j].Image })
	if maxCases > 0 && len(entries) > maxCases {
		entries = entries[:maxCases]
	}
	var cases []rawCase
	for _, e := range entries {
		c, err := readPair(filepath.Join(dir, e.Image), filepath.Join(dir, e.Label), s.Classes)
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, c)
	}
	return s, cases, nil
}

// readPair reads an image and its mask, checks them against each other
// and the declared classes, and returns the case slice by slice.
func readPair(imagePath, maskPath string, classes int) (rawCase, error) {
	if !exists(maskPath) {
		return rawCase{}, fmt.Errorf("dataset: %s: no mask (expected %s)", imagePath, maskPath)
	}
	img, err := maskio.Read(imagePath)
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %w", err)
	}
	mask, err := maskio.Read(maskPath)
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %w", err)
	}
	if len(img.Shape) < 2 || len(img.Shape) > 3 {
		return rawCase{}, fmt.Errorf("dataset: %s: shape %v: want a 2-D image or a 3-D volume", imagePath, img.Shape)
	}
	if !img.SameShape(mask) {
		return rawCase{}, fmt.Errorf("dataset: %s: shape %v differs from its image %s, shape %v", maskPath, mask.Shape, imagePath, img.Shape)
	}
	labels, err := mask.Labels()
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %s: %w", maskPath, err)
	}
	for i, v := range labels {
		if v < 0 || int(v) >= classes {
			return rawCase{}, fmt.Errorf("dataset: %s: label %d at voxel %d is outside the %d declared classes (0..%d)", maskPath, v, i, classes, classes-1)
		}
	}
	c := rawCase{name: maskio.CaseName(imagePath)}
	c.images, c.h, c.w = Slices(Normalize(img.Data), img.Shape)
	c.labels, _, _ = Slices(labels, img.Shape)
	return c, nil
}
