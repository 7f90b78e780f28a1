package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segloss/segloss/app/train"
	"github.com/spf13/pflag"
)

// trainBenchOptions are the flags of `segloss bench --train`.
type trainBenchOptions struct {
	On      bool
	Dims    int
	Size    string // "HxW" or "DxHxW"; "" is 64x64 (2-D) or 32x32x32 (3-D)
	Batch   int
	Width   int
	Depth   int
	Backend string
	Steps   int // timed steps per round
}

func (t *trainBenchOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&t.On, "train", false, "time U-Net training steps (forward, loss, backward, Adam) instead of the losses")
	f.IntVar(&t.Dims, "dims", 2, "--train: 2 or 3")
	f.StringVar(&t.Size, "size", "", "--train: input HxW or DxHxW (default 64x64, or 32x32x32 with --dims 3)")
	f.IntVar(&t.Batch, "batch", 8, "--train: batch size")
	f.IntVar(&t.Width, "width", 8, "--train: U-Net channels at the first level")
	f.IntVar(&t.Depth, "depth", 3, "--train: U-Net levels")
	f.StringVar(&t.Backend, "backend", "", "--train: native (default) or gomlx")
	f.IntVar(&t.Steps, "steps", 10, "--train: timed steps per round")
}

// trainBenchRow is the result of `segloss bench --train`.
type trainBenchRow struct {
	Impl       string  `json:"impl"`
	Backend    string  `json:"backend"`
	Dims       int     `json:"dims"`
	Size       []int   `json:"size"`
	Batch      int     `json:"batch"`
	Width      int     `json:"width"`
	Depth      int     `json:"depth"`
	Loss       string  `json:"loss"`
	Threads    int     `json:"threads"`
	Steps      int     `json:"steps"`
	Rounds     int     `json:"rounds"`
	MedianMS   float64 `json:"median_ms"`
	MinMS      float64 `json:"min_ms"`
	TorchMS    float64 `json:"torch_median_ms,omitempty"`
	TorchMinMS float64 `json:"torch_min_ms,omitempty"`
	Torch      string  `json:"torch_version,omitempty"`
	Ratio      float64 `json:"ratio,omitempty"` // torch median / ours: above 1, we are faster
	CPU        string  `json:"cpu"`
}

func runBenchTrain(ctx context.Context, s *Streams, o *benchOptions) error {
	t := o.Train
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case t.Dims != 2 && t.Dims != 3:
		return usageErr("bench: --dims %d: want 2 or 3", t.Dims)
	case t.Steps < 1 || o.Rounds < 1 || o.Warmup < 0:
		return usageErr("bench: --steps and --rounds must be >= 1, --warmup >= 0")
	case o.Format != "table" && o.Format != "json":
		return usageErr("bench: --format %q: want table or json", o.Format)
	}
	sizeText := t.Size
	if sizeText == "" {
		sizeText = map[int]string{2: "64x64", 3: "32x32x32"}[t.Dims]
	}
	size, err := parsePatch(sizeText, t.Dims)
	if err != nil {
		return usageErr("bench: %s", strings.Replace(err.Error(), "--patch", "--size", 1))
	}
	loss := "dice"
	if len(o.Losses) > 0 {
		loss = o.Losses[0]
	}
	if o.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.Threads))
	}
	b, err := train.NewBench(train.BenchConfig{Backend: t.Backend, Loss: loss, Dims: t.Dims, Size: size, Batch: t.Batch,
		Width: t.Width, Depth: t.Depth, Norm: true, Seed: o.Seed})
	if err != nil {
		return usageErr("bench: %v", err)
	}
	row := &trainBenchRow{Impl: "segloss", Backend: b.Backend, Dims: t.Dims, Size: size[3-t.Dims:], Batch: t.Batch, Width: t.Width,
		Depth: t.Depth, Loss: loss, Threads: runtime.GOMAXPROCS(0), Steps: t.Steps, Rounds: o.Rounds, CPU: cpuModel()}
	for i := 0; i < o.Warmup; i++ {
		if _, err := b.Step(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	var ours, torch, torchMin []float64
	for round := 0; round < o.Rounds; round++ {
		t0 := time.Now()
		for i := 0; i < t.Steps; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := b.Step(); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
		ours = append(ours, time.Since(t0).Seconds()*1e3/float64(t.Steps))
		if o.Torch != "" {
			r, err := runTorchTrain(ctx, s, o, row, sizeText)
			if err != nil {
				return err
			}
			torch, torchMin = append(torch, r.MedianMS), append(torchMin, r.MinMS)
			row.Torch = r.Torch
		}
	}
	row.MedianMS, row.MinMS = median(ours), slices.Min(ours)
	if len(torch) > 0 {
		row.TorchMS, row.TorchMinMS = median(torch), slices.Min(torchMin)
		row.Ratio = row.TorchMS / row.MedianMS
	}
	if o.Format == "json" {
		return json.NewEncoder(s.Out).Encode(row)
	}
	fmt.Fprintf(s.Out, "# segloss bench --train  %s  GOMAXPROCS=%d  %s\n", runtime.Version(), row.Threads, row.CPU)
	fmt.Fprintf(s.Out, "U-Net %d-D %s batch %d width %d depth %d, loss %s, backend %s: %.2f ms/step median of %d rounds of %d steps, %.2f min\n",
		t.Dims, sizeText, t.Batch, t.Width, t.Depth, loss, b.Backend, row.MedianMS, o.Rounds, t.Steps, row.MinMS)
	if row.TorchMS > 0 {
		fmt.Fprintf(s.Out, "torch %s, same settings, alternating: %.2f ms/step median, %.2f min; ratio torch/segloss %.2f×\n",
			row.Torch, row.TorchMS, row.TorchMinMS, row.Ratio)
	}
	return nil
}

// median returns the median of v (the mean of the middle two for an even count).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// torchTrainRow is the --json line of unet_torch.py.
type torchTrainRow struct {
	Torch    string  `json:"torch"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
}

// runTorchTrain runs one round of unet_torch.py with the row's settings.
func runTorchTrain(ctx context.Context, s *Streams, o *benchOptions, row *trainBenchRow, size string) (*torchTrainRow, error) {
	args := []string{o.Torch, "--dims", strconv.Itoa(row.Dims), "--size", size, "--batch", strconv.Itoa(row.Batch),
		"--width", strconv.Itoa(row.Width), "--depth", strconv.Itoa(row.Depth), "--out", "2",
		"--threads", strconv.Itoa(row.Threads), "--steps", strconv.Itoa(row.Steps), "--rounds", "1", "--json"}
	cmd := exec.CommandContext(ctx, o.Python, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = s.Err
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench: %s %s: %w", o.Python, strings.Join(args, " "), err)
	}
	var r torchTrainRow
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &r); err != nil {
		return nil, fmt.Errorf("bench: %s: output %q: %v", o.Torch, out.String(), err)
	}
	return &r, nil
}
