package segloss_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/segloss/segloss"
)

// The benchmarks time Eval (loss and gradient) of every registered loss on
// the two standard workloads of the performance table, binary logits
// [8,1,512,512] with a 0/1 target and multiclass logits [8,4,256,256] with
// class indices, and a few losses over a ladder of sizes from 64×64 to
// 256³ (512³ with SEGLOSS_BENCH_LARGE=1). Bytes per op count the input,
// the target and the gradient once.
//
//	go test -run '^$' -bench . -benchmem
//	SEGLOSS_KERNELS=generic go test -run '^$' -bench . -benchmem   # plain-Go kernels

// benchBatch returns a float32 batch of shape with random logits (N(0, 2²))
// and a 0/1 target (30% ones) or class indices.
func benchBatch(shape []int, labels bool) segloss.Batch[float32] {
	r := rand.New(rand.NewPCG(1, 2))
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := segloss.Batch[float32]{Shape: shape, Input: make([]float32, n)}
	for i := range b.Input {
		b.Input[i] = float32(r.NormFloat64() * 2)
	}
	if labels {
		b.Labels = make([]int32, n/shape[1])
		for i := range b.Labels {
			b.Labels[i] = int32(r.IntN(shape[1]))
		}
	} else {
		b.Target = make([]float32, n)
		for i := range b.Target {
			if r.Float64() < 0.3 {
				b.Target[i] = 1
			}
		}
	}
	return b
}

// benchSpec returns the spec that runs loss name on logits in the given
// mode, or "" when the loss does not take that workload.
func benchSpec(name segloss.Name, multiclass bool) string {
	opts := segloss.OptionNames(name)
	def, _ := segloss.DefaultOptions(name)
	var parts []string
	if slices.Contains(opts, "from_logits") {
		parts = append(parts, "from_logits=true")
	}
	switch {
	case multiclass && def.Mode != segloss.Multiclass && !slices.Contains(opts, "mode"):
		return ""
	case !multiclass && def.Mode == segloss.Multiclass && !slices.Contains(opts, "mode"):
		return ""
	case multiclass && def.Mode != segloss.Multiclass:
		parts = append(parts, "mode=multiclass")
	case !multiclass && def.Mode == segloss.Multiclass:
		parts = append(parts, "mode=binary")
	}
	if name == "lovasz_hinge" && multiclass {
		return ""
	}
	if len(parts) == 0 {
		return string(name)
	}
	return string(name) + ":" + strings.Join(parts, ",")
}

func benchEval(b *testing.B, spec string, batch segloss.Batch[float32]) {
	l, err := segloss.Parse(spec)
	if err != nil {
		b.Fatal(err)
	}
	grad := make([]float32, len(batch.Input))
	if _, err := segloss.Eval(l, grad, batch); err != nil {
		b.Skipf("%s: %v", spec, err)
	}
	per := int64(12)
	if batch.Labels != nil {
		per = 8 + 4/int64(batch.Shape[1])
	}
	b.SetBytes(per * int64(len(batch.Input)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := segloss.Eval(l, grad, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBinary is the binary workload [8,1,512,512] for every loss that takes it.
func BenchmarkBinary(b *testing.B) {
	batch := benchBatch([]int{8, 1, 512, 512}, false)
	for _, name := range segloss.Names() {
		spec := benchSpec(name, false)
		if spec == "" {
			continue
		}
		b.Run(string(name), func(b *testing.B) { benchEval(b, spec, batch) })
	}
}

// BenchmarkMulticlass is the multiclass workload [8,4,256,256] with class
// indices for every loss that takes it.
func BenchmarkMulticlass(b *testing.B) {
	batch := benchBatch([]int{8, 4, 256, 256}, true)
	for _, name := range segloss.Names() {
		spec := benchSpec(name, true)
		if spec == "" {
			continue
		}
		b.Run(string(name), func(b *testing.B) { benchEval(b, spec, batch) })
	}
}

// BenchmarkPerImage is the per_image Lovász rows of the performance
// table: lovasz_hinge on the binary workload (8 sorts of 262144 errors)
// and lovasz_softmax on the multiclass workload (32 sorts of 65536).
func BenchmarkPerImage(b *testing.B) {
	bin := benchBatch([]int{8, 1, 512, 512}, false)
	mc := benchBatch([]int{8, 4, 256, 256}, true)
	b.Run("lovasz_hinge", func(b *testing.B) { benchEval(b, "lovasz_hinge:per_image=true", bin) })
	b.Run("lovasz_softmax", func(b *testing.B) { benchEval(b, "lovasz_softmax:per_image=true", mc) })
}

// BenchmarkLadder times a few losses over sizes from 64×64 to 256³ (512³
// with SEGLOSS_BENCH_LARGE=1): the cost per element should stay flat.
func BenchmarkLadder(b *testing.B) {
	shapes := [][]int{{1, 1, 64, 64}, {1, 1, 256, 256}, {1, 1, 512, 512}, {8, 1, 512, 512}, {1, 1, 128, 128, 128}, {1, 1, 256, 256, 256}}
	if os.Getenv("SEGLOSS_BENCH_LARGE") != "" {
		shapes = append(shapes, []int{1, 1, 512, 512, 512})
	}
	for _, spec := range []string{"bce_logits", "dice:from_logits=true", "lovasz_hinge"} {
		for _, shape := range shapes {
			name := strings.ReplaceAll(fmt.Sprint(shape[2:]), " ", "x")
			b.Run(spec+"/"+name, func(b *testing.B) { benchEval(b, spec, benchBatch(shape, false)) })
		}
	}
	for _, shape := range [][]int{{1, 4, 64, 64}, {8, 4, 256, 256}, {1, 4, 64, 128, 128}} {
		name := strings.ReplaceAll(fmt.Sprint(shape[2:]), " ", "x")
		for _, spec := range []string{"cross_entropy", "lovasz_softmax"} {
			b.Run(spec+"/"+name, func(b *testing.B) { benchEval(b, spec, benchBatch(shape, true)) })
		}
	}
}

// BenchmarkUncommon times the paths that are not fused float32 kernels
// (float64 batches, focal_keras, focal_softmax, more than 16 classes,
// probabilities and float targets in multiclass mode) over a ladder of
// sizes; run it with -cpu 1,2 to see the parallel speed-up.
func BenchmarkUncommon(b *testing.B) {
	cases := []struct {
		spec   string
		c      int
		labels bool
		f64    bool
	}{
		{"bce_logits", 1, false, true},
		{"focal_sigmoid", 1, false, true},
		{"cross_entropy", 4, true, true},
		{"focal_keras:from_logits=true", 1, false, false},
		{"focal_softmax", 4, true, false},
		{"cross_entropy", 32, true, false},
		{"cross_entropy:from_logits=false", 4, true, false},
		{"cross_entropy", 4, false, false},
	}
	for _, tc := range cases {
		for _, side := range []int{64, 128, 256} {
			shape := []int{2, tc.c, side, side}
			batch := benchBatch(shape, tc.labels)
			if !tc.labels && tc.c > 1 { // one-hot float target
				for i := range batch.Target {
					batch.Target[i] = 0
				}
				s := side * side
				for n := 0; n < shape[0]; n++ {
					for p := 0; p < s; p++ {
						batch.Target[(n*tc.c+p%tc.c)*s+p] = 1
					}
				}
			}
			if strings.Contains(tc.spec, "from_logits=false") {
				for i, v := range batch.Input { // positive, not normalized: cross_entropy takes them as given
					batch.Input[i] = 1 / (1 + float32(math.Exp(float64(-v))))
				}
			}
			name := fmt.Sprintf("%s/c%d/%dx%d", tc.spec, tc.c, side, side)
			if tc.f64 {
				b.Run(name+"/f64", func(b *testing.B) { benchEval64(b, tc.spec, batch) })
			} else {
				b.Run(name, func(b *testing.B) { benchEval(b, tc.spec, batch) })
			}
		}
	}
}

// benchEval64 is benchEval on the batch converted to float64.
func benchEval64(b *testing.B, spec string, b32 segloss.Batch[float32]) {
	l, err := segloss.Parse(spec)
	if err != nil {
		b.Fatal(err)
	}
	batch := segloss.Batch[float64]{Shape: b32.Shape, Labels: b32.Labels}
	for _, v := range b32.Input {
		batch.Input = append(batch.Input, float64(v))
	}
	for _, v := range b32.Target {
		batch.Target = append(batch.Target, float64(v))
	}
	grad := make([]float64, len(batch.Input))
	if _, err := segloss.Eval(l, grad, batch); err != nil {
		b.Skipf("%s: %v", spec, err)
	}
	b.SetBytes(24 * int64(len(batch.Input)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := segloss.Eval(l, grad, batch); err != nil {
			b.Fatal(err)
		}
	}
}
