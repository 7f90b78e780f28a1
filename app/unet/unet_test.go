package unet

import (
	"testing"

	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// logits runs a fresh model of config c on a fixed input and returns the output.
func logits(t *testing.T, c Config) ([]float32, []int) {
	t.Helper()
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec1(backend, model.NewStore(), func(scope *model.Scope, x *Node) *Node { return Build(scope, c, x) })
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*c.InChannels*8*12)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(x, 2, c.InChannels, 8, 12))
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out), out.Shape().Dimensions
}

func TestBuildShapeAndSeed(t *testing.T) {
	c := Config{InChannels: 2, OutChannels: 3, Depth: 3, Width: 4, Seed: 7, Norm: true}
	a, dims := logits(t, c)
	if want := []int{2, 3, 8, 12}; len(dims) != 4 || dims[0] != want[0] || dims[1] != want[1] || dims[2] != want[2] || dims[3] != want[3] {
		t.Fatalf("output shape %v, want %v", dims, want)
	}
	b, _ := logits(t, c)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different output at %d: %v vs %v", i, a[i], b[i])
		}
	}
	c.Seed = 8
	d, _ := logits(t, c)
	same := true
	for i := range a {
		same = same && a[i] == d[i]
	}
	if same {
		t.Error("seeds 7 and 8 give the same model")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{InChannels: 0, OutChannels: 1, Depth: 2, Width: 4},
		{InChannels: 1, OutChannels: 0, Depth: 2, Width: 4},
		{InChannels: 1, OutChannels: 1, Depth: 0, Width: 4},
		{InChannels: 1, OutChannels: 1, Depth: 2, Width: 0},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (Config{InChannels: 1, OutChannels: 2, Depth: 3, Width: 8}).Validate(); err != nil {
		t.Error(err)
	}
	if m := (Config{Depth: 3}).Multiple(); m != 4 {
		t.Errorf("Multiple() = %d, want 4", m)
	}
}
