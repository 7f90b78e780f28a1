package maskio

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// MSDDataset is the part of a Medical Segmentation Decathlon dataset.json
// that segloss reads: the labels and the training cases.
type MSDDataset struct {
	Name     string            `json:"name"`
	Labels   map[string]any    `json:"labels"`
	Modality map[string]string `json:"modality"`
	Training []struct {
		Image string `json:"image"`
		Label string `json:"label"`
	} `json:"training"`
}

// ReadMSDDataset reads a dataset.json and checks its labels (see LabelNames).
func ReadMSDDataset(path string) (*MSDDataset, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, wrapErr(path, err)
	}
	var m MSDDataset
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fileErr(path, "not a valid dataset.json: %v", err)
	}
	if _, err := m.LabelNames(); err != nil {
		return nil, fileErr(path, "%v", err)
	}
	return &m, nil
}

// LabelNames returns the class names by label value (0..K-1). The
// "labels" object maps value to name ({"1": "Anterior"}) or, in newer
// files, name to value ({"Anterior": 1}); the values must be 0..K-1.
func (m *MSDDataset) LabelNames() ([]string, error) {
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
