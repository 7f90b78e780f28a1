package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// dataOptions are the flags of segloss data.
type dataOptions struct {
	Out string
}

func newDataCmd(s *Streams) *cobra.Command {
	o := &dataOptions{}
	cmd := &cobra.Command{
		Use:   "data synthetic[:N] --out DIR",
		Short: "Write the built-in synthetic set as a PNG folder (images/, masks/)",
		Long: `Write the built-in synthetic set (N images, default 48) as a PNG data folder:
DIR/images/synthetic_000.png ... (8-bit grey, the normalized image scaled to
128 + 40 z, clipped to 0..255) and DIR/masks/ with the same names (class
indices 0 background, 1 blob, 2 rare). train, compare, predict and eval then
run on it as on any PNG folder.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runData(s, o, args[0]) },
	}
	cmd.Flags().StringVar(&o.Out, "out", "", "folder to write images/ and masks/ into (required)")
	return cmd
}

func runData(s *Streams, o *dataOptions, name string) error {
	if o.Out == "" {
		return usageErr("data: --out is required")
	}
	set, err := dataset.Load(name, dataset.Options{Seed: 1})
	if err != nil || set.Format != "synthetic" {
		return usageErr("data: %q: want synthetic or synthetic:N (N >= 2)", name)
	}
	for _, sub := range []string{"images", "masks"} {
		if err := os.MkdirAll(filepath.Join(o.Out, sub), 0o755); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	n := 0
	for _, ex := range append(append([]dataset.Example{}, set.Train...), set.Val...) {
		img := &maskio.Image{Shape: []int{set.H, set.W}, Data: make([]float64, set.H*set.W)}
		mask := &maskio.Image{Shape: []int{set.H, set.W}, Data: make([]float64, set.H*set.W)}
		for i, v := range ex.Image {
			img.Data[i] = float64(min(255, max(0, int(128+40*v))))
			mask.Data[i] = float64(ex.Label[i])
		}
		if err := maskio.Write(filepath.Join(o.Out, "images", ex.Case+".png"), img); err != nil {
			return fmt.Errorf("data: %w", err)
		}
		if err := maskio.Write(filepath.Join(o.Out, "masks", ex.Case+".png"), mask); err != nil {
			return fmt.Errorf("data: %w", err)
		}
		n++
	}
	fmt.Fprintf(s.Out, "wrote %s of %d×%d (classes: %v) to %s\n", plural(n, "image and its mask", "images and their masks"), set.H, set.W, set.LabelNames, o.Out)
	return nil
}
