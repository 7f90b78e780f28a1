package dataset

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// testVolume returns a d×h×w volume whose intensity is its voxel index
// and whose only foreground voxel is fg.
func testVolume(d, h, w, fg int) Volume {
	ex := make([]Example, d)
	for z := range ex {
		ex[z] = Example{Case: "c", Slice: d - 1 - z, Image: make([]float32, h*w), Label: make([]int32, h*w)}
	}
	vols := Volumes(ex, h, w)
	v := vols[0]
	for i := range v.Image {
		v.Image[i] = float32(i)
		v.Label[i] = 0
	}
	v.Label[fg] = 1
	v.Fg = []int32{int32(fg)}
	return v
}

func TestVolumesStacksSlicesInOrder(t *testing.T) {
	ex := []Example{
		{Case: "b", Slice: 1, Image: []float32{3, 3}, Label: []int32{0, 1}},
		{Case: "a", Slice: 0, Image: []float32{9, 9}, Label: []int32{2, 0}},
		{Case: "b", Slice: 0, Image: []float32{1, 1}, Label: []int32{0, 0}},
	}
	v := Volumes(ex, 1, 2)
	if len(v) != 2 || v[0].Case != "b" || v[1].Case != "a" {
		t.Fatalf("cases %v", v)
	}
	if !slices.Equal(v[0].Image, []float32{1, 1, 3, 3}) || v[0].Shape != [3]int{2, 1, 2} || !slices.Equal(v[0].Fg, []int32{3}) || !slices.Equal(v[0].Index, []int{2, 0}) {
		t.Errorf("volume b: %+v", v[0])
	}
}

// TestSamplerWholeVolume: a patch of the volume's size without
// augmentation is the volume itself.
func TestSamplerWholeVolume(t *testing.T) {
	v := testVolume(3, 4, 5, 7)
	s := Sampler{Patch: [3]int{3, 4, 5}, Dims: 3}
	x, y := make([]float32, 60), make([]int32, 60)
	s.Patch1(rand.New(rand.NewPCG(1, 2)), &v, true, x, y, nil)
	if !slices.Equal(x, v.Image) || !slices.Equal(y, v.Label) {
		t.Errorf("patch differs from the volume")
	}
}

// TestSamplerForeground: a foreground patch contains the foreground
// voxel, at the centre when the volume allows it.
func TestSamplerForeground(t *testing.T) {
	fg := (5*20+10)*20 + 12
	v := testVolume(10, 20, 20, fg)
	s := Sampler{Patch: [3]int{4, 6, 6}, Dims: 3}
	x, y := make([]float32, s.Size()), make([]int32, s.Size())
	rng := rand.New(rand.NewPCG(3, 4))
	s.Patch1(rng, &v, true, x, y, nil)
	centre := (2*6+3)*6 + 3
	if y[centre] != 1 || x[centre] != float32(fg) {
		t.Errorf("centre voxel %v label %d, want %d label 1", x[centre], y[centre], fg)
	}
	// Random patches: deterministic from the generator.
	x2 := make([]float32, s.Size())
	s.Patch1(rand.New(rand.NewPCG(9, 9)), &v, false, x, y, nil)
	s.Patch1(rand.New(rand.NewPCG(9, 9)), &v, false, x2, y, nil)
	if !slices.Equal(x, x2) {
		t.Error("same seed, different patches")
	}
	// A batch of 3: the last one is a foreground patch.
	xb, yb := make([]float32, 3*s.Size()), make([]int32, 3*s.Size())
	s.Batch(rng, []Volume{v}, 3, xb, yb, nil)
	if yb[2*s.Size()+centre] != 1 {
		t.Error("last patch of a batch of 3 is not centred on the foreground")
	}
}

// TestSamplerPadsSmallVolumes: axes where the volume is smaller than the
// patch are padded with zeros and background.
func TestSamplerPadsSmallVolumes(t *testing.T) {
	v := testVolume(1, 2, 2, 0)
	for i := range v.Image {
		v.Image[i] = float32(i + 1)
	}
	s := Sampler{Patch: [3]int{1, 4, 4}, Dims: 2}
	x, y := make([]float32, 16), make([]int32, 16)
	s.Patch1(rand.New(rand.NewPCG(5, 6)), &v, false, x, y, nil)
	var got []float32
	for _, e := range x {
		if e != 0 {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, []float32{1, 2, 3, 4}) {
		t.Errorf("padded patch %v", x)
	}
}

// TestSamplerAugmentKeepsPairs: flips and rotations move image and label
// together and keep every voxel.
func TestSamplerAugmentKeepsPairs(t *testing.T) {
	v := testVolume(2, 3, 3, 4)
	for i := range v.Label {
		v.Label[i] = int32(i % 3)
	}
	s := Sampler{Patch: [3]int{2, 3, 3}, Dims: 3, Augment: true}
	x, y := make([]float32, 18), make([]int32, 18)
	changed := false
	for seed := uint64(0); seed < 20; seed++ {
		s.Patch1(rand.New(rand.NewPCG(seed, 1)), &v, false, x, y, nil)
		seen := make([]bool, 18)
		for i, e := range x {
			if y[i] != v.Label[int(e)] || seen[int(e)] {
				t.Fatalf("seed %d: voxel %v with label %d", seed, e, y[i])
			}
			seen[int(e)] = true
		}
		changed = changed || !slices.Equal(x, v.Image)
	}
	if !changed {
		t.Error("augmentation never changed the patch")
	}
}
