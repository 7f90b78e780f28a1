package train

import (
	"encoding/gob"
	"fmt"
	"io"
	"os"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/segloss/segloss/maskio"
)

// CheckpointFile is the name of the checkpoint in a run's output folder.
const CheckpointFile = "checkpoint.gob"

// checkpoint is the state of a run after a step: the engine's state and
// the curve. A gomlx checkpoint holds every variable of the store (model
// weights, optimizer moments, global step); a native one the trainer as
// nn.Trainer.WriteTo writes it (model, optimizer, step).
type checkpoint struct {
	Format  string
	Backend string // "gomlx" or "native"; "" (older checkpoints) is gomlx
	Step    int
	Elapsed float64 // seconds of training before this checkpoint, over all sessions
	Curve   []Point
	Vars    []savedVar
	Native  []byte
}

type savedVar struct {
	Path  string
	DType string
	Dims  []int
	F32   []float32
	F64   []float64
	I64   []int64
	I32   []int32
}

const checkpointFormat = "segloss-checkpoint/1"

// saveCheckpoint writes the engine's state and the progress to path
// atomically: a temporary file renamed over path, so an interrupted run
// keeps the last good checkpoint.
func saveCheckpoint(path string, e engine, backend string, step int, elapsed float64, curve []Point) error {
	c := checkpoint{Format: checkpointFormat, Backend: backend, Step: step, Elapsed: elapsed, Curve: curve}
	if err := e.save(&c); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return maskio.WriteFileAtomic(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(&c) })
}

// saveStore records every variable of store in c.
func (c *checkpoint) saveStore(store *model.Store) error {
	for v := range store.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		sv := savedVar{Path: v.Path(), DType: v.DType().String(), Dims: t.Shape().Dimensions}
		switch v.DType() {
		case dtypes.Float32:
			sv.F32, err = tensors.CopyFlatData[float32](t)
		case dtypes.Float64:
			sv.F64, err = tensors.CopyFlatData[float64](t)
		case dtypes.Int64:
			sv.I64, err = tensors.CopyFlatData[int64](t)
		case dtypes.Int32:
			sv.I32, err = tensors.CopyFlatData[int32](t)
		default:
			err = fmt.Errorf("dtype %s not supported", v.DType())
		}
		if err != nil {
			return fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		c.Vars = append(c.Vars, sv)
	}
	return nil
}

// loadCheckpoint reads a checkpoint written by saveCheckpoint.
func loadCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	var c checkpoint
	if err := gob.NewDecoder(f).Decode(&c); err != nil {
		return nil, fmt.Errorf("train: %s: not a readable checkpoint: %v", path, err)
	}
	if c.Format != checkpointFormat {
		return nil, fmt.Errorf("train: %s: format %q, want %q", path, c.Format, checkpointFormat)
	}
	if c.Backend == "" {
		c.Backend = "gomlx"
	}
	return &c, nil
}

// restore sets the variables of store from the checkpoint, creating the
// ones that do not exist yet.
func (c *checkpoint) restore(store *model.Store) error {
	for _, sv := range c.Vars {
		var t *tensors.Tensor
		switch {
		case sv.F32 != nil:
			t = tensors.FromFlatDataAndDimensions(sv.F32, sv.Dims...)
		case sv.F64 != nil:
			t = tensors.FromFlatDataAndDimensions(sv.F64, sv.Dims...)
		case sv.I64 != nil:
			t = tensors.FromFlatDataAndDimensions(sv.I64, sv.Dims...)
		case sv.I32 != nil:
			t = tensors.FromFlatDataAndDimensions(sv.I32, sv.Dims...)
		default:
			return fmt.Errorf("train: checkpoint variable %s has no data", sv.Path)
		}
		if v := store.GetVariable(sv.Path); v != nil {
			if err := v.SetValue(t); err != nil {
				return fmt.Errorf("train: restoring %s: %w", sv.Path, err)
			}
			continue
		}
		if _, err := store.CreateVariable(sv.Path, t); err != nil {
			return fmt.Errorf("train: restoring %s: %w", sv.Path, err)
		}
	}
	return nil
}
