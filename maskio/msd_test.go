package maskio

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadMSDDataset(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		json, want string
		names      []string
	}{
		{`{"labels": {"0": "background", "1": "Anterior", "2": "Posterior"}, "training": []}`, "", []string{"background", "Anterior", "Posterior"}},
		{`{"labels": {"background": 0, "tumour": 1}}`, "", []string{"background", "tumour"}},
		{`{"labels": {"0": "background"}}`, "need background and at least one more", nil},
		{`{"labels": {"0": "background", "3": "x"}}`, "values must be 0..1", nil},
		{`{"labels": `, "not a valid dataset.json", nil},
	} {
		path := filepath.Join(dir, "dataset.json")
		if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadMSDDataset(path)
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: error %v, want one naming the file and containing %q", tc.json, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if got, _ := m.LabelNames(); !reflect.DeepEqual(got, tc.names) {
			t.Errorf("%s: names %v, want %v", tc.json, got, tc.names)
		}
	}
}
