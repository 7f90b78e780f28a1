package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/unet"
)

// ModelFile is the name of the model description in a run's output folder.
const ModelFile = "model.json"

const modelFormat = "segloss-model/1"

// Model describes a trained model: what predict needs besides the weights.
type Model struct {
	Format     string      `json:"format"`
	Loss       string      `json:"loss"`
	Head       Head        `json:"head"`
	UNet       unet.Config `json:"unet"`
	Height     int         `json:"height"` // slices are centred in Height×Width frames
	Width      int         `json:"width"`
	LabelNames []string    `json:"label_names"`
	DataFormat string      `json:"data_format"`
	// Modalities names the input channels (UNet.InChannels of them) when
	// the data set named them (a Decathlon set's modalities).
	Modalities []string `json:"modalities,omitempty"`
	// MaskValues is the mask-value rule the training masks were read with
	// (maskio.MaskValues): predict writes labels back in those values.
	MaskValues string `json:"mask_values,omitempty"`
}

// Channels returns the number of input channels.
func (m Model) Channels() int { return m.UNet.InChannels }

// unetScope is where the model's variables live in the store.
const unetScope = "/unet"

// logits builds the U-Net's output for x [N, C, H, W].
func (m Model) logits(scope *model.Scope, x *Node) *Node {
	return unet.Build(scope.Store().Scope(unetScope), m.UNet, x)
}

// LoadModel reads the model.json of a run folder.
func LoadModel(dir string) (*Model, error) {
	path := filepath.Join(dir, ModelFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("train: %s: %v", path, err)
	}
	if m.Format != modelFormat {
		return nil, fmt.Errorf("train: %s: format %q, want %q", path, m.Format, modelFormat)
	}
	if err := m.UNet.Validate(); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return &m, nil
}

// Predictor labels slices with a model.
type Predictor struct {
	Model Model
	exec  *model.ExecOneOutput
}

func newPredictor(backend compute.Backend, store *model.Store, m Model) (*Predictor, error) {
	exec, err := model.NewExec1(backend, store, func(scope *model.Scope, x *Node) *Node { return m.logits(scope, x) })
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &Predictor{Model: m, exec: exec}, nil
}

// OpenPredictor loads the model and the weights of the checkpoint of a
// run folder onto the named backend ("" for the pure-Go one).
func OpenPredictor(dir, backendName string) (*Predictor, error) {
	m, err := LoadModel(dir)
	if err != nil {
		return nil, err
	}
	c, err := loadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := c.restore(store); err != nil {
		return nil, err
	}
	backend, err := NewBackend(backendName)
	if err != nil {
		return nil, err
	}
	return newPredictor(backend, store, *m)
}

// Predict labels images (each Channels×Height×Width, normalized) in batches of
// batch, returning one label map per image. The last batch is padded to
// the full size so that one compiled graph serves all.
func (p *Predictor) Predict(images [][]float32, batch int) ([][]int32, error) {
	h, w, c := p.Model.Height, p.Model.Width, p.Model.Channels()
	hw := h * w
	out := make([][]int32, 0, len(images))
	for lo := 0; lo < len(images); lo += batch {
		hi := min(lo+batch, len(images))
		x := make([]float32, batch*c*hw)
		for i := lo; i < hi; i++ {
			if len(images[i]) != c*hw {
				return nil, fmt.Errorf("train: predict: image %d has %d values, want %d×%d×%d", i, len(images[i]), c, h, w)
			}
			copy(x[(i-lo)*c*hw:], images[i])
		}
		t, err := p.exec.Call(tensors.FromFlatDataAndDimensions(x, batch, c, h, w))
		if err != nil {
			return nil, fmt.Errorf("train: predict: %w", err)
		}
		logits, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("train: predict: %w", err)
		}
		labels := p.Model.Head.Decode(logits, batch, h, w)
		for i := lo; i < hi; i++ {
			out = append(out, labels[(i-lo)*hw:(i-lo+1)*hw])
		}
	}
	return out, nil
}

// LoadSplit reads the case split recorded in a run folder's split.json.
func LoadSplit(dir string) (*dataset.Split, error) {
	path := filepath.Join(dir, "split.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var s dataset.Set
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("train: %s: %v", path, err)
	}
	return &s.Split, nil
}
