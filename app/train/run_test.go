package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/dataset"
)

func syntheticSet(t testing.TB, spec string) *dataset.Set {
	t.Helper()
	s, err := dataset.Load(spec, dataset.Options{Seed: 1, Multiple: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunLearns trains briefly on the synthetic set and checks that the
// validation Dice of the common class rises well above chance (about 0.08
// for predicting every pixel), and that the run folder holds every artefact.
func TestRunLearns(t *testing.T) {
	out := t.TempDir()
	data, err := dataset.Load("synthetic:24", dataset.Options{Seed: 1, Size: [2]int{32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: data, Loss: mustParse(t, "dice_bce:mode=multiclass"), Steps: 40, BatchSize: 8, Depth: 2,
		LR: 0.01, Seed: 3, ValEvery: 20, Out: out, Norm: true, Backend: "gomlx"}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steps %d in %.1fs: val Dice %v IoU %v", res.Steps, res.Elapsed, res.ValDice, res.ValIoU)
	if res.Steps != 40 || len(res.ValDice) != 2 || len(res.Curve) != 40 {
		t.Fatalf("steps %d, dice %v, curve %d", res.Steps, res.ValDice, len(res.Curve))
	}
	if res.ValDice[0] < 0.3 {
		t.Errorf("validation Dice of the common class %.3f after 40 steps, want >= 0.3", res.ValDice[0])
	}
	if d, i := res.ValDice[0], res.ValIoU[0]; math.Abs(i-d/(2-d)) > 1e-9 {
		t.Errorf("IoU %v does not match Dice %v (IoU = D/(2-D))", i, d)
	}
	for _, f := range []string{CheckpointFile, ModelFile, "split.json", "curve.csv", "curve.json", "curve.png", "result.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "curve.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 41 || !strings.HasPrefix(string(csv), "step,elapsed_s,loss,val_mean_dice,val_dice_blob,val_dice_rare,") {
		t.Errorf("curve.csv: %d lines, header %q", lines, strings.SplitN(string(csv), "\n", 2)[0])
	}
}

// TestResume checks that a run stopped after 4 steps and resumed to 6
// follows the uninterrupted 6-step run: the checkpoint restores weights,
// optimizer state and step, and batches depend only on seed and step.
func TestResume(t *testing.T) {
	data := syntheticSet(t, "synthetic:6")
	base := Config{Data: data, Loss: mustParse(t, "dice"), Width: 4, Depth: 2, BatchSize: 2, Seed: 5, ValEvery: 2, Backend: "gomlx"}
	full := base
	full.Steps, full.Out = 6, t.TempDir()
	want, err := Run(context.Background(), full, nil)
	if err != nil {
		t.Fatal(err)
	}
	part := base
	part.Steps, part.Out = 4, t.TempDir()
	if _, err := Run(context.Background(), part, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), part, nil); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Fatalf("second run into the same folder: %v, want a refusal", err)
	}
	part.Steps, part.Resume = 6, true
	got, err := Run(context.Background(), part, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != 6 || len(got.Curve) != 6 {
		t.Fatalf("resumed run: %d steps, curve of %d", got.Steps, len(got.Curve))
	}
	for i := range want.Curve {
		if w, g := want.Curve[i].Loss, got.Curve[i].Loss; math.Abs(w-g) > 1e-4*math.Max(1, math.Abs(w)) {
			t.Errorf("step %d: loss %v resumed, %v uninterrupted", i+1, g, w)
		}
	}
	bad := base
	bad.Loss, bad.Steps, bad.Out, bad.Resume = mustParse(t, "jaccard"), 8, part.Out, true
	if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), "resume with the same loss") {
		t.Errorf("resume with another loss: %v, want a refusal", err)
	}
}

// TestLossFor checks how a spec maps onto the output channels.
func TestLossFor(t *testing.T) {
	for _, c := range []struct {
		spec       string
		classes    int
		channels   int
		multiclass bool
		probs      bool
		name       string
	}{
		{"dice", 3, 2, false, true, "dice:mode=multilabel"},
		{"dice", 2, 1, false, true, "dice"},
		{"bce", 3, 2, false, true, "bce"},
		{"dice_bce:mode=multiclass", 3, 3, true, false, "dice_bce:mode=multiclass"},
		{"focal_keras", 3, 2, false, true, "focal_keras"},
		{"lovasz_hinge", 2, 1, false, false, "lovasz_hinge"},
		{"cross_entropy", 4, 4, true, false, "cross_entropy"},
		{"dice+topk_ce:k=20", 3, 3, true, false, "dice:mode=multiclass,from_logits=true+topk_ce:k=20"},
		{"dice+0.5*boundary", 3, 2, false, false, "dice:mode=multilabel,from_logits=true+0.5*boundary:mode=multilabel,from_logits=true"},
		{"dice_focal", 2, 1, false, false, "dice_focal"},
		{"cldice", 3, 2, false, true, "cldice:mode=multilabel"},
	} {
		l, h, err := LossFor(mustParse(t, c.spec), c.classes)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if h.Channels() != c.channels || h.Multiclass != c.multiclass || h.Probabilities != c.probs || l.String() != c.name {
			t.Errorf("%s with %d classes: %d channels, multiclass %v, probabilities %v, loss %s", c.spec, c.classes, h.Channels(), h.Multiclass, h.Probabilities, l)
		}
	}
	if _, _, err := LossFor(nil, 3); err == nil {
		t.Error("no loss accepted")
	}
}

func TestHeadDecode(t *testing.T) {
	// Sigmoid head, 2 foreground channels, 3 pixels: logits per channel.
	h := Head{Classes: 3}
	got := h.Decode([]float32{-1, 2, 3, -2, 1, 4}, 1, 1, 3)
	if want := []int32{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("sigmoid decode %v, want %v", got, want)
	}
	m := Head{Classes: 3, Multiclass: true}
	got = m.Decode([]float32{5, 0, 0, 0, 5, 1, 0, 0, 2}, 1, 1, 3)
	if want := []int32{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("softmax decode %v, want %v", got, want)
	}
}

// TestHostLossMatchesGraph checks that the host route (loss and gradient
// by the core between a forward and a backward pass) trains exactly like
// the graph loss: same loss at every step.
func TestHostLossMatchesGraph(t *testing.T) {
	data := syntheticSet(t, "synthetic:6")
	for _, spec := range []string{"dice", "dice_bce:mode=multiclass", "dice_focal", "dice+0.5*focal_sigmoid"} {
		cfg := Config{Data: data, Loss: mustParse(t, spec), Width: 4, Depth: 2, BatchSize: 2, Seed: 2, Steps: 3, Norm: true, Backend: "gomlx"}
		graph, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.HostLoss = true
		host, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range graph.Curve {
			if g, h := graph.Curve[i].Loss, host.Curve[i].Loss; math.Abs(g-h) > 1e-4*math.Max(1, math.Abs(g)) {
				t.Errorf("%s step %d: loss %v in the graph, %v on the host", spec, i+1, g, h)
			}
		}
	}
	// The losses without an in-graph form, and sums holding one, take the host route.
	for _, spec := range []string{"dice+topk_ce:k=10", "boundary", "cldice:iter_=1"} {
		res, err := Run(context.Background(), Config{Data: data, Loss: mustParse(t, spec), Width: 4, Depth: 2, BatchSize: 2, Steps: 2, Backend: "gomlx"}, nil)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if l := res.Curve[0].Loss; math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("%s: loss %v", spec, l)
		}
	}
	// The Lovász losses take the host route by default.
	res, err := Run(context.Background(), Config{Data: data, Loss: mustParse(t, "lovasz_softmax"), Width: 4, Depth: 2, BatchSize: 2, Steps: 2, Backend: "gomlx"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Curve[0].Loss <= 0 || res.Curve[0].Loss > 1 {
		t.Errorf("lovasz_softmax loss %v outside (0, 1]", res.Curve[0].Loss)
	}
}

func mustParse(t *testing.T, spec string) *segloss.Loss {
	t.Helper()
	l, err := segloss.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
