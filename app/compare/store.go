package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/maskio"
)

// RunRecord is one finished run as stored in runs/<slug>/run.json. Its
// presence marks the run done; pred.npy next to it holds the predicted
// labels of the validation examples, [examples, H, W] in set.Val order.
type RunRecord struct {
	ID          int         `json:"id"` // the run ID (Job.Index)
	Loss        string      `json:"loss"`
	Seed        uint64      `json:"seed"`
	Fold        int         `json:"fold"` // 0-based; 0 without cross-validation
	Fingerprint string      `json:"fingerprint"`
	Steps       int         `json:"steps"`
	Seconds     float64     `json:"seconds"`
	Finished    time.Time   `json:"finished"`
	Curve       []Point     `json:"curve"`
	Cases       []CaseScore `json:"cases"`
}

// nonDefault returns v, or the zero value when v is def.
func nonDefault[T comparable](v, def T) T {
	var zero T
	if v == def {
		return zero
	}
	return v
}

// fingerprint identifies everything the runs of a compare share except the
// loss: data (with its mask-value rule and channels), split, size, seed,
// budget and model. Stored runs with another
// fingerprint belong to another compare.
func fingerprint(set *dataset.Set, seed uint64, b Budget, model any) (string, error) {
	raw, err := json.Marshal(struct {
		Data    string        `json:"data"`
		Format  string        `json:"format"`
		Classes int           `json:"classes"`
		H       int           `json:"h"`
		W       int           `json:"w"`
		Split   dataset.Split `json:"split"`
		Seed    uint64        `json:"seed"`
		Budget  Budget        `json:"budget"`
		Model   any           `json:"model"`
		// Only when not the defaults, so that earlier fingerprints hold.
		MaskValues string `json:"mask_values,omitempty"`
		Channels   int    `json:"channels,omitempty"`
		Weights    string `json:"pixel_weights,omitempty"`
	}{set.Dir, set.Format, set.Classes, set.H, set.W, set.Split, seed, b, model, nonDefault(set.MaskValues, "raw"), nonDefault(set.Channels, 1), set.Weights})
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8]), nil
}

// jobDir is the folder of a run under out: runs/<loss>/seed<S>, with
// -fold<F>of<K> under cross-validation.
func jobDir(out string, j Job, folds int) string {
	name := fmt.Sprintf("seed%d", j.Seed)
	if folds > 1 {
		name += fmt.Sprintf("-fold%dof%d", j.Fold+1, folds)
	}
	return filepath.Join(runDir(out, j.Name), name)
}

// runDir is the folder of a loss's runs under out: the spec made safe for
// file names, plus a short hash so that distinct specs never share one.
func runDir(out, loss string) string {
	var b strings.Builder
	for _, r := range loss {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	h := fnv.New32a()
	io.WriteString(h, loss)
	name := b.String()
	if len(name) > 60 {
		name = name[:60]
	}
	return filepath.Join(out, "runs", fmt.Sprintf("%s-%08x", name, h.Sum32()))
}

// loadRun returns the run stored in dir and its predictions, or nil when
// there is none.
func loadRun(dir string, set *dataset.Set) (*RunRecord, [][]int32, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var r RunRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", filepath.Join(dir, "run.json"), err)
	}
	img, err := maskio.ReadNPY(filepath.Join(dir, "pred.npy"))
	if err != nil {
		return nil, nil, err
	}
	n := set.H * set.W
	if len(img.Data) != len(set.Val)*n {
		return nil, nil, fmt.Errorf("%s: %d values, want %d validation examples of %dx%d", filepath.Join(dir, "pred.npy"), len(img.Data), len(set.Val), set.H, set.W)
	}
	pred := make([][]int32, len(set.Val))
	for i := range pred {
		pred[i] = make([]int32, n)
		for j := range pred[i] {
			pred[i][j] = int32(img.Data[i*n+j])
		}
	}
	return &r, pred, nil
}

// saveRun stores a finished run: the predictions first, then run.json,
// each written atomically, so that a run is either complete or absent.
func saveRun(dir string, r *RunRecord, set *dataset.Set, pred [][]int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := make([]float64, 0, len(pred)*set.H*set.W)
	for _, p := range pred {
		for _, v := range p {
			data = append(data, float64(v))
		}
	}
	img := &maskio.Image{Shape: []int{len(pred), set.H, set.W}, Data: data}
	if err := maskio.WriteNPY(filepath.Join(dir, "pred.npy"), img); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "run.json"), r)
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return maskio.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(raw, '\n'))
		return err
	})
}
