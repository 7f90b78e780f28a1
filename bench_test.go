package segloss_test

import (
	"fmt"
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
