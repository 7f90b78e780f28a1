package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
)

// withWeights returns a copy of data whose examples carry pixel weight
// maps drawn from [0.25, 2.25).
func withWeights(data *dataset.Set) *dataset.Set {
	s := *data
	rng := rand.New(rand.NewPCG(7, 7))
	add := func(ex []dataset.Example) []dataset.Example {
		out := append([]dataset.Example(nil), ex...)
		for i := range out {
			out[i].Weight = make([]float32, len(out[i].Label))
			for j := range out[i].Weight {
				out[i].Weight[j] = float32(0.25 + 2*rng.Float64())
			}
		}
		return out
	}
	s.Train, s.Val, s.Weights = add(data.Train), add(data.Val), "test-weights"
	return &s
}

// TestDeepSupervisionStepLoss checks that a deep-supervised native step
// minimizes segloss.EvalDeepSupervision of the decoder levels' outputs
// (with the batch's pixel weights): the step's loss equals it, and so do
// the gradients of a loss that reads logits.
func TestDeepSupervisionStepLoss(t *testing.T) {
	data := withWeights(syntheticSet(t, "synthetic:6"))
	for _, spec := range []string{"dice", "cross_entropy", "dice:from_logits=true"} {
		cfg, err := Config{Data: data, Loss: mustParse(t, spec), Width: 4, Depth: 4, BatchSize: 2, Steps: 1, Seed: 2, DeepSupervision: true}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		batch := func() (*session, []int) {
			s, err := newSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			n, ps, c := cfg.BatchSize, s.sampler.Size(), s.model.Channels()
			s.x, s.y, s.w = make([]float32, n*c*ps), make([]int32, n*ps), make([]float32, n*ps)
			s.sampler.Batch(rand.New(rand.NewPCG(1, 1)), s.vols, n, s.x, s.y, s.w)
			return s, []int{n, c, s.model.Patch[1], s.model.Patch[2]}
		}
		a, shape := batch()
		got, err := a.eng.step(a.x, a.y, a.w, shape)
		if err != nil {
			t.Fatal(err)
		}
		// The same step, its levels recorded.
		b, _ := batch()
		e := b.eng.(*nativeEngine)
		var outs []segloss.Batch[float32]
		var grads [][]float32
		e.y, e.w = b.y, b.w
		shapes, _ := e.net.DeepShapes(shape)
		e.levels = segloss.DeepSupervisionWeights(len(shapes))
		if len(shapes) != 3 {
			t.Fatalf("depth 4: %d levels", len(shapes))
		}
		rec, err := e.trainer.StepDeep(b.x, shape, func(level int, logits, grad []float32, sh []int) (float64, error) {
			v, err := e.deepLossGrad(level, logits, grad, sh)
			in := append([]float32(nil), logits...)
			if e.loss.head.Probabilities {
				if e.loss.head.Multiclass {
					softmax(in, logits, sh[0], sh[1], len(in)/(sh[0]*sh[1]))
				} else {
					for i, z := range logits {
						in[i] = float32(1 / (1 + math.Exp(-float64(z))))
					}
				}
			}
			outs = append(outs, segloss.Batch[float32]{Shape: append([]int(nil), sh...), Input: in})
			grads = append(grads, append([]float32(nil), grad...))
			return v, err
		})
		if err != nil {
			t.Fatal(err)
		}
		target := e.loss.head.CoreBatchShape(nil, b.y, outs[0].Shape)
		target.Weights = b.w
		wantGrads := make([][]float32, len(outs))
		for i := range outs {
			wantGrads[i] = make([]float32, len(outs[i].Input))
		}
		want, err := segloss.EvalDeepSupervision(e.loss.core, wantGrads, outs, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: step loss %v, EvalDeepSupervision %v over %d levels", spec, got, want, len(outs))
		if got != rec || math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("%s: step loss %v (recorded %v), EvalDeepSupervision %v", spec, got, rec, want)
		}
		if !e.loss.head.Probabilities {
			for l := range grads {
				for i, g := range grads[l] {
					if math.Abs(float64(g-wantGrads[l][i])) > 1e-6 {
						t.Fatalf("%s: level %d gradient %d = %v, want %v", spec, l, i, g, wantGrads[l][i])
					}
				}
			}
		}
	}
}

// TestDeepSupervisionAndWeightsRun trains with deep supervision and pixel
// weights: the weights change the loss, model.json records both, a
// resumed run is bit-identical, and the gomlx backend refuses them.
func TestDeepSupervisionAndWeightsRun(t *testing.T) {
	plain := syntheticSet(t, "synthetic:8")
	data := withWeights(plain)
	base := Config{Data: data, Loss: mustParse(t, "dice_bce"), Width: 4, Depth: 3, BatchSize: 2, Seed: 5, ValEvery: 2, Norm: true,
		Augment: true, Patch: [3]int{1, 32, 32}, DeepSupervision: true}
	full := base
	full.Steps, full.Out = 5, t.TempDir()
	want, err := Run(context.Background(), full, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(full.Out)
	if err != nil || !m.DeepSupervision || m.Weights != "test-weights" {
		t.Fatalf("model.json: %+v, %v", m, err)
	}
	unweighted := full
	unweighted.Data, unweighted.Steps, unweighted.Out = plain, 1, ""
	u, err := Run(context.Background(), unweighted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.Curve[0].Loss == want.Curve[0].Loss {
		t.Errorf("the weights did not change the loss: %v", u.Curve[0].Loss)
	}
	part := base
	part.Steps, part.Out = 3, t.TempDir()
	if _, err := Run(context.Background(), part, nil); err != nil {
		t.Fatal(err)
	}
	part.Steps, part.Resume = 5, true
	got, err := Run(context.Background(), part, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Curve {
		if want.Curve[i].Loss != got.Curve[i].Loss {
			t.Errorf("step %d: loss %v resumed, %v uninterrupted", i+1, got.Curve[i].Loss, want.Curve[i].Loss)
		}
	}
	a, _ := loadCheckpoint(filepath.Join(full.Out, CheckpointFile))
	b, _ := loadCheckpoint(filepath.Join(part.Out, CheckpointFile))
	if a == nil || b == nil || !bytes.Equal(a.Native, b.Native) {
		t.Error("resumed checkpoint differs")
	}
	noDS := base
	noDS.DeepSupervision, noDS.Steps, noDS.Out, noDS.Resume = false, 6, part.Out, true
	if _, err := Run(context.Background(), noDS, nil); err == nil || !strings.Contains(err.Error(), "deep supervision") {
		t.Errorf("resume without --deep-supervision: %v", err)
	}
	if _, err := OpenPredictor(full.Out, ""); err != nil {
		t.Errorf("predictor of a deep-supervised model: %v", err)
	}
	for _, c := range []Config{{Data: plain, DeepSupervision: true}, {Data: data}} {
		c.Loss, c.Steps, c.Depth, c.Width, c.Backend = mustParse(t, "dice"), 1, 3, 4, "gomlx"
		if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "native") {
			t.Errorf("gomlx with deep supervision %v, weights %q: %v", c.DeepSupervision, c.Data.Weights, err)
		}
	}
	shallow := base
	shallow.Depth, shallow.Steps = 2, 1
	if _, err := Run(context.Background(), shallow, nil); err == nil {
		t.Error("deep supervision at depth 2: no error")
	}
}
