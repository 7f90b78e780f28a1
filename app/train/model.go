package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/unet"
)

// ModelFile is the name of the model description in a run's output folder.
const ModelFile = "model.json"

const modelFormat = "segloss-model/1"

// Model describes a trained model: what predict needs besides the weights.
type Model struct {
	Format string      `json:"format"`
	Loss   string      `json:"loss"`
	Head   Head        `json:"head"`
	UNet   unet.Config `json:"unet"`
	// Backend is the engine that trained it: "native" or "gomlx" ("" in
	// files written before the native engine: gomlx).
	Backend string `json:"backend,omitempty"`
	// Dims is 2 (slice by slice) or 3 (whole volumes); 0 in older files: 2.
	Dims int `json:"dims,omitempty"`
	// Patch is the training patch [D, H, W] (D = 1 for 2-D), the window of
	// the sliding-window prediction; zero in older files: [1, Height, Width].
	Patch      [3]int   `json:"patch"`
	Height     int      `json:"height"` // the data set's frame: slices were centred in Height×Width frames
	Width      int      `json:"width"`
	LabelNames []string `json:"label_names"`
	DataFormat string   `json:"data_format"`
	// Modalities names the input channels (UNet.InChannels of them) when
	// the data set named them (a Decathlon set's modalities).
	Modalities []string `json:"modalities,omitempty"`
	// MaskValues is the mask-value rule the training masks were read with
	// (maskio.MaskValues): predict writes labels back in those values.
	MaskValues string `json:"mask_values,omitempty"`
	// DeepSupervision: the model was trained with deep supervision (native
	// backend): the loss also scored the outputs of the decoder levels.
	// Prediction uses only the full-resolution output.
	DeepSupervision bool `json:"deep_supervision,omitempty"`
	// Weights is the folder of the pixel weight maps the loss was weighted
	// with ("" when none).
	Weights string `json:"pixel_weights,omitempty"`
}

// Channels returns the number of input channels.
func (m Model) Channels() int { return max(m.UNet.InChannels, 1) }

// fill sets the defaults of files written before the native engine.
func (m *Model) fill() {
	if m.Backend == "" {
		m.Backend = "gomlx"
	}
	if m.Dims == 0 {
		m.Dims = 2
	}
	if m.Patch == [3]int{} {
		m.Patch = [3]int{1, m.Height, m.Width}
	}
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
	m.fill()
	if err := m.UNet.Validate(); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if m.Dims != 2 && m.Dims != 3 {
		return nil, fmt.Errorf("train: %s: dims %d: want 2 or 3", path, m.Dims)
	}
	for _, p := range m.Patch {
		if p < 1 || p > 1<<12 {
			return nil, fmt.Errorf("train: %s: patch %v: sizes must be between 1 and 4096", path, m.Patch)
		}
	}
	return &m, nil
}

// Predictor labels images and volumes with a model.
type Predictor struct {
	Model   Model
	forward forwardFunc
	batch   int // windows per forward pass
}

// OpenPredictor loads the model and the weights of the checkpoint of a
// run folder. The model's engine is the one that trained it; backend
// chooses the GoMLX compute backend of a gomlx model ("gomlx:xla:cuda",
// "xla"; anything else is the pure-Go one).
func OpenPredictor(dir, backend string) (*Predictor, error) {
	m, err := LoadModel(dir)
	if err != nil {
		return nil, err
	}
	c, err := loadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		return nil, err
	}
	if c.Backend != m.Backend {
		return nil, fmt.Errorf("train: %s: the checkpoint is of backend %s, model.json says %s", dir, c.Backend, m.Backend)
	}
	kind, ok := engines[m.Backend]
	if !ok {
		return nil, fmt.Errorf("train: %s: a %s model, and that backend is not compiled in", dir, m.Backend)
	}
	compute := "go"
	if k, cs, err := parseBackend(backend); err == nil && k == "gomlx" {
		compute = cs
	}
	f, err := kind.open(*m, c, compute)
	if err != nil {
		return nil, err
	}
	return &Predictor{Model: *m, forward: f, batch: 4}, nil
}

// SetBatch sets the number of windows per forward pass (default 4).
func (p *Predictor) SetBatch(n int) {
	if n > 0 {
		p.batch = n
	}
}

// PredictVolume labels one normalized volume [C, D, H, W], channels
// first (a 2-D image is [C, 1, H, W]) of any size with sliding windows of the model's patch and
// returns its D*H*W labels.
func (p *Predictor) PredictVolume(img []float32, shape [3]int) ([]int32, error) {
	m := p.Model
	logits, err := slide(p.forward, img, shape, m.Patch, m.Dims, m.Channels(), m.Head.Channels(), p.batch)
	if err != nil {
		return nil, err
	}
	return m.Head.Decode(logits, 1, shape[0]*shape[1], shape[2]), nil
}

// Predict labels 2-D images (each Channels×Height×Width, normalized, as a set's
// examples), returning one label map per image. A 2-D model predicts
// them together, batch windows per forward pass; a 3-D model predicts
// each as a volume of one slice.
func (p *Predictor) Predict(images [][]float32, batch int) ([][]int32, error) {
	h, w, c := p.Model.Height, p.Model.Width, p.Model.Channels()
	hw := h * w
	for i, im := range images {
		if len(im) != c*hw {
			return nil, fmt.Errorf("train: predict: image %d has %d values, want %d×%d×%d", i, len(im), c, h, w)
		}
	}
	p.SetBatch(batch)
	out := make([][]int32, 0, len(images))
	if p.Model.Dims == 3 {
		for _, im := range images {
			l, err := p.PredictVolume(im, [3]int{1, h, w})
			if err != nil {
				return nil, fmt.Errorf("train: predict: %w", err)
			}
			out = append(out, l)
		}
		return out, nil
	}
	// The images as one volume [C, N, H, W], channels first.
	n := len(images)
	stack := make([]float32, c*n*hw)
	for i, im := range images {
		for ch := 0; ch < c; ch++ {
			copy(stack[(ch*n+i)*hw:(ch*n+i+1)*hw], im[ch*hw:(ch+1)*hw])
		}
	}
	labels, err := p.PredictVolume(stack, [3]int{n, h, w})
	if err != nil {
		return nil, fmt.Errorf("train: predict: %w", err)
	}
	for i := range images {
		out = append(out, labels[i*hw:(i+1)*hw])
	}
	return out, nil
}

// PredictExamples labels examples of one Height×Width frame (a set's
// validation examples), returning one label map per example in their
// order. A 3-D model predicts each case as a whole volume, its slices
// stacked; a 2-D model predicts slice by slice.
func (p *Predictor) PredictExamples(examples []dataset.Example, batch int) ([][]int32, error) {
	if p.Model.Dims == 2 {
		images := make([][]float32, len(examples))
		for i, ex := range examples {
			images[i] = ex.Image
		}
		return p.Predict(images, batch)
	}
	p.SetBatch(batch)
	h, w := p.Model.Height, p.Model.Width
	out := make([][]int32, len(examples))
	for _, v := range dataset.Volumes(examples, h, w) {
		labels, err := p.PredictVolume(v.Image, v.Shape)
		if err != nil {
			return nil, fmt.Errorf("train: predict %s: %w", v.Case, err)
		}
		for k, i := range v.Index {
			out[i] = labels[k*h*w : (k+1)*h*w]
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
