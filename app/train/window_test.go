package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestWindowStarts(t *testing.T) {
	for _, c := range []struct {
		d, p int
		want []int
	}{
		{100, 64, []int{0, 18, 36}}, // nnU-Net: ceil(36/32)+1 = 3 steps of 18
		{64, 64, []int{0}},
		{65, 64, []int{0, 1}},
		{48, 64, []int{-8}},
		{7, 1, []int{0, 1, 2, 3, 4, 5, 6}},
		{160, 32, []int{0, 16, 32, 48, 64, 80, 96, 112, 128}},
	} {
		if got := windowStarts(c.d, c.p); !slices.Equal(got, c.want) {
			t.Errorf("windowStarts(%d, %d) = %v, want %v", c.d, c.p, got, c.want)
		}
	}
}

func TestGaussianMap(t *testing.T) {
	g := gaussianMap([3]int{1, 16, 8})
	if g[8*8+4] != 1 {
		t.Errorf("centre weight %v, want 1", g[8*8+4])
	}
	// sigma = 2 along H: one sigma off the centre is exp(-1/2).
	if v := g[10*8+4]; math.Abs(float64(v)-math.Exp(-0.5)) > 1e-6 {
		t.Errorf("weight one sigma away %v, want %v", v, math.Exp(-0.5))
	}
	for _, v := range g {
		if !(v > 0 && v <= 1) {
			t.Fatalf("weight %v outside (0, 1]", v)
		}
	}
}

// TestSlideReassembles: a model that maps each voxel to (2x, -x) gives,
// after weighting, exactly those logits over the whole volume, for
// volumes larger and smaller than the window, in 2-D and 3-D, whatever
// the batch.
func TestSlideReassembles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		shape, patch [3]int
		dims, batch  int
	}{
		{[3]int{5, 9, 13}, [3]int{4, 4, 8}, 3, 3},
		{[3]int{3, 5, 6}, [3]int{4, 8, 8}, 3, 2},
		{[3]int{4, 20, 17}, [3]int{1, 8, 8}, 2, 5},
		{[3]int{1, 8, 8}, [3]int{1, 8, 8}, 2, 4},
	} {
		n := c.shape[0] * c.shape[1] * c.shape[2]
		img := make([]float32, n)
		for i := range img {
			img[i] = float32(r.NormFloat64())
		}
		calls := 0
		forward := func(x []float32, shape []int) ([]float32, error) {
			calls++
			if shape[0] != c.batch || len(shape) != c.dims+2 {
				t.Fatalf("forward shape %v", shape)
			}
			ps := len(x) / shape[0]
			out := make([]float32, 2*len(x))
			for b := 0; b < shape[0]; b++ {
				for i := 0; i < ps; i++ {
					out[(2*b)*ps+i] = 2 * x[b*ps+i]
					out[(2*b+1)*ps+i] = -x[b*ps+i]
				}
			}
			return out, nil
		}
		got, err := slide(forward, img, c.shape, c.patch, c.dims, 1, 2, c.batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range img {
			if math.Abs(float64(got[i]-2*v)) > 1e-5 || math.Abs(float64(got[n+i]+v)) > 1e-5 {
				t.Fatalf("%+v voxel %d: logits %v %v, want %v %v", c, i, got[i], got[n+i], 2*v, -v)
			}
		}
		if calls == 0 {
			t.Errorf("%+v: no forward call", c)
		}
	}
}
