package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss/app/dataset"
)

// TestNativeLearns2D trains the native engine (the default backend) on
// the synthetic set: the validation Dice of the common class must rise
// well above chance (about 0.08 for predicting every pixel).
func TestNativeLearns2D(t *testing.T) {
	data, err := dataset.Load("synthetic:24", dataset.Options{Seed: 1, Size: [2]int{32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: data, Loss: mustParse(t, "dice_bce:mode=multiclass"), Steps: 60, BatchSize: 8, Depth: 2, Width: 4,
		LR: 0.01, Seed: 3, ValEvery: 30, Norm: true, Out: t.TempDir()}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("native: %d steps in %.1fs: val Dice %v", res.Steps, res.Elapsed, res.ValDice)
	if res.Model.Backend != "native" || res.Model.Dims != 2 || res.Model.Patch != [3]int{1, 32, 32} {
		t.Errorf("model %+v", res.Model)
	}
	if res.ValDice[0] < 0.3 {
		t.Errorf("validation Dice of the common class %.3f after 60 steps, want >= 0.3", res.ValDice[0])
	}
}

// TestNativeResumeBitIdentical: a native run stopped after 4 steps and
// resumed to 7 gives exactly the losses and the weights of the
// uninterrupted 7-step run.
func TestNativeResumeBitIdentical(t *testing.T) {
	data := syntheticSet(t, "synthetic:8")
	base := Config{Data: data, Loss: mustParse(t, "dice"), Width: 4, Depth: 2, BatchSize: 2, Seed: 5, ValEvery: 2, Norm: true, Augment: true, Patch: [3]int{1, 32, 32}}
	full := base
	full.Steps, full.Out = 7, t.TempDir()
	want, err := Run(context.Background(), full, nil)
	if err != nil {
		t.Fatal(err)
	}
	part := base
	part.Steps, part.Out = 4, t.TempDir()
	if _, err := Run(context.Background(), part, nil); err != nil {
		t.Fatal(err)
	}
	part.Steps, part.Resume = 7, true
	got, err := Run(context.Background(), part, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Curve {
		if w, g := want.Curve[i].Loss, got.Curve[i].Loss; w != g {
			t.Errorf("step %d: loss %v resumed, %v uninterrupted", i+1, g, w)
		}
	}
	a, err := loadCheckpoint(filepath.Join(full.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadCheckpoint(filepath.Join(part.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if a.Backend != "native" || !bytes.Equal(a.Native, b.Native) || len(a.Native) == 0 {
		t.Errorf("checkpoints differ: backend %q, %d and %d bytes", a.Backend, len(a.Native), len(b.Native))
	}
	bad := base
	bad.Backend, bad.Steps, bad.Out, bad.Resume = "gomlx", 8, part.Out, true
	if _, err := Run(context.Background(), bad, nil); err == nil {
		t.Error("resuming a native run with the gomlx backend was accepted")
	}
}

// blobVolumes returns a set of n 3-D cases (d×h×w) with one bright
// ellipsoid each (class 1) on noise.
func blobVolumes(n, d, h, w int) *dataset.Set {
	s := &dataset.Set{Name: "blobs3d", Format: "msd", Classes: 2, LabelNames: []string{"background", "blob"}, H: h, W: w}
	for c := 0; c < n; c++ {
		r := rand.New(rand.NewPCG(uint64(c), 7))
		cz, cy, cx := 2+r.Float64()*float64(d-4), 3+r.Float64()*float64(h-6), 3+r.Float64()*float64(w-6)
		rad := 3 + r.Float64()*2
		name := "case" + string(rune('a'+c))
		for z := 0; z < d; z++ {
			ex := dataset.Example{Case: name, Slice: z, Image: make([]float32, h*w), Label: make([]int32, h*w)}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					dz, dy, dx := float64(z)-cz, float64(y)-cy, float64(x)-cx
					v := float32(r.NormFloat64() * 0.5)
					if dz*dz+dy*dy+dx*dx <= rad*rad {
						ex.Label[y*w+x] = 1
						v += 2
					}
					ex.Image[y*w+x] = v
				}
			}
			if c < n/4 {
				s.Val = append(s.Val, ex)
			} else {
				s.Train = append(s.Train, ex)
			}
		}
	}
	return s
}

// TestNativeLearns3D trains a 3-D model on random patches of small
// volumes and validates on whole volumes by sliding window.
func TestNativeLearns3D(t *testing.T) {
	data := blobVolumes(8, 12, 16, 16)
	cfg := Config{Data: data, Loss: mustParse(t, "dice_bce:mode=multiclass"), Steps: 60, BatchSize: 2, Depth: 2, Width: 4,
		LR: 0.02, Seed: 1, Dims: 3, Patch: [3]int{8, 12, 12}, Norm: true, Augment: true}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("native 3-D: %d steps in %.1fs: val Dice %v", res.Steps, res.Elapsed, res.ValDice)
	if res.Model.Dims != 3 || res.Model.Patch != [3]int{8, 12, 12} {
		t.Errorf("model %+v", res.Model)
	}
	if res.ValDice[0] < 0.5 {
		t.Errorf("validation Dice %.3f after 40 steps, want >= 0.5", res.ValDice[0])
	}
}

// TestNativeEveryLossRuns: every kind of head works through the host
// loss, Lovász included, and gives a finite loss.
func TestNativeEveryLossRuns(t *testing.T) {
	data := syntheticSet(t, "synthetic:6")
	for _, spec := range []string{"lovasz_softmax", "lovasz_hinge", "focal_keras", "tversky:alpha=0.3,beta=0.7", "cross_entropy"} {
		res, err := Run(context.Background(), Config{Data: data, Loss: mustParse(t, spec), Width: 4, Depth: 2, BatchSize: 2, Steps: 2}, nil)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if l := res.Curve[0].Loss; math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("%s: loss %v", spec, l)
		}
	}
}
