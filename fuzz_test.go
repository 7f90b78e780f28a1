package segloss_test

import (
	"encoding/binary"
	"math"
	"math/bits"
	"path/filepath"
	"testing"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/internal/golden"
)

// fuzzSpecs are the losses the fuzz target draws from: every default and
// every finite-difference variant.
var fuzzSpecs = func() []string {
	var specs []string
	for _, n := range segloss.Names() {
		specs = append(specs, string(n))
	}
	for _, tc := range fdCases {
		specs = append(specs, tc.spec)
	}
	return specs
}()

// FuzzEval feeds arbitrary shapes (huge dimensions too), values and
// options to Eval: it must never panic, and must return either an error or
// a finite loss with a finite gradient, in float64 and float32 (the fused
// kernels).
func FuzzEval(f *testing.F) {
	// Seed from the golden cases, as image/png seeds from its testdata.
	for _, file := range []string{"golden_public.json", "golden2_public.json"} {
		gf, err := golden.Load(filepath.Join("testdata", file))
		if err != nil {
			continue
		}
		for i, c := range gf.Cases {
			if i%3 != 0 {
				continue
			}
			var data []byte
			for _, v := range c.Input {
				data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
			}
			for _, v := range c.Target {
				data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
			}
			dims := append([]int(nil), c.InputShape...)
			for len(dims) < 5 {
				dims = append(dims, 0)
			}
			f.Add(uint8(i), uint8(dims[0]), uint8(dims[1]), uint8(dims[2]), uint8(dims[3]), uint8(dims[4]), c.TargetDtype == "int64", data)
		}
	}
	f.Add(uint8(0), uint8(1), uint8(1), uint8(2), uint8(2), uint8(0), false, []byte{1, 2, 3})
	f.Add(uint8(19), uint8(2), uint8(1), uint8(0x80|62), uint8(2), uint8(0), false, []byte{})     // {2,1,1<<62,2}
	f.Add(uint8(3), uint8(0x80|32), uint8(0x80|32), uint8(1), uint8(0), uint8(0), true, []byte{}) // 2^64 elements
	huge := binary.LittleEndian.AppendUint64(nil, math.Float64bits(3.4e38))
	huge = binary.LittleEndian.AppendUint64(huge, math.Float64bits(-3.4e38))
	huge = binary.LittleEndian.AppendUint64(huge, math.Float64bits(0))
	huge = binary.LittleEndian.AppendUint64(huge, math.Float64bits(1))
	f.Add(uint8(6), uint8(1), uint8(1), uint8(2), uint8(0), uint8(0), false, huge) // focal_sigmoid (Names()[6]), logits ±3.4e38
	f.Fuzz(func(t *testing.T, which, n, c, d1, d2, d3 uint8, labels bool, data []byte) {
		spec := fuzzSpecs[int(which)%len(fuzzSpecs)]
		l, err := segloss.Parse(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		// A dimension byte with its top bit set draws a huge dimension
		// 2^(d%64) (up to 2^63-1): shapes whose element count overflows, or
		// exceeds the data, must be errors, never a panic or an allocation.
		dim := func(d uint8, small int) int {
			if d&0x80 != 0 {
				return int(uint64(1)<<(d%64) - uint64(d>>6&1)) // 2^k or 2^k - 1
			}
			return int(d) % small
		}
		shape := []int{dim(n, 5), dim(c, 6)}
		for _, d := range []uint8{d1, d2, d3} {
			if d != 0 {
				shape = append(shape, dim(d, 9))
			}
		}
		size, overflow := 1, false
		for _, d := range shape {
			hi, lo := bits.Mul64(uint64(size), uint64(max(d, 0)))
			if hi != 0 || lo > 4096 {
				overflow = true
				break
			}
			size = int(lo)
		}
		if overflow {
			b := segloss.Batch[float32]{Shape: shape, Input: make([]float32, len(data)/8), Target: make([]float32, len(data)/8)}
			if labels {
				b.Target, b.Labels = nil, make([]int32, len(data)/8)
			}
			if _, err := segloss.Eval(l, make([]float32, len(b.Input)), b); err == nil {
				t.Fatalf("%s %v: no error for a shape larger than the data", spec, shape)
			}
			if err := segloss.PerSampleLoss(make([]float64, 1), l, b); err == nil {
				t.Fatalf("%s %v: PerSampleLoss: no error", spec, shape)
			}
			return
		}
		next := func() float64 {
			if len(data) < 8 {
				return 0
			}
			v := math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
			return v
		}
		b := segloss.Batch[float64]{Shape: shape, Input: make([]float64, size)}
		for i := range b.Input {
			b.Input[i] = next()
		}
		if labels && len(shape) >= 2 {
			b.Labels = make([]int32, size/max(1, shape[1]))
			for i := range b.Labels {
				b.Labels[i] = int32(next())
			}
		} else {
			b.Target = make([]float64, size)
			for i := range b.Target {
				b.Target[i] = next()
			}
		}
		// Bytes left for one weight per pixel make a pixel weight map.
		if pixels := size / max(1, shape[1]); len(shape) >= 2 && len(data) >= 8*pixels {
			b.Weights = make([]float64, pixels)
			for i := range b.Weights {
				b.Weights[i] = next()
			}
		}
		fuzzCheck(t, l, b)
		// The same batch in float32 runs the fused kernels.
		b32 := segloss.Batch[float32]{Shape: b.Shape, Labels: b.Labels, Input: to32(b.Input)}
		if b.Target != nil {
			b32.Target = to32(b.Target)
		}
		if b.Weights != nil {
			b32.Weights = to32(b.Weights)
		}
		fuzzCheck(t, l, b32)
	})
}

func to32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// fuzzCheck evaluates l on b and fails unless the result is an error or a
// finite loss with a finite gradient.
func fuzzCheck[T segloss.Float](t *testing.T, l *segloss.Loss, b segloss.Batch[T]) {
	grad := make([]T, len(b.Input))
	v, err := segloss.Eval(l, grad, b)
	if err != nil {
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("%s %v: loss %v without an error", l, b.Shape, v)
	}
	for i, g := range grad {
		if f := float64(g); math.IsNaN(f) || math.IsInf(f, 0) {
			t.Fatalf("%s %v (%T): grad[%d] = %v with loss %v", l, b.Shape, g, i, g, v)
		}
	}
}

// FuzzParse checks that no spec string panics the parser and that every
// accepted spec round-trips through String.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSpecs {
		f.Add(s)
	}
	f.Add("dice:classes=[1,[2]],smooth=1e400")
	f.Fuzz(func(t *testing.T, spec string) {
		l, err := segloss.Parse(spec)
		if err != nil {
			return
		}
		l2, err := segloss.Parse(l.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", spec, l.String(), err)
		}
		if l2.String() != l.String() {
			t.Fatalf("round trip %q -> %q -> %q", spec, l.String(), l2.String())
		}
	})
}
