package cli

import (
	"fmt"

	"github.com/segloss/segloss/app/dataset"
	"github.com/spf13/pflag"
)

// modelOptions are the data, model and validation flags that `segloss
// train` and `segloss compare` share.
type modelOptions struct {
	Data        string
	Seed        uint64
	Width       int
	Depth       int
	Norm        bool
	Batch       int
	LR          float64
	ValEvery    int
	ValSlices   int
	ValFraction float64
	Size        string // "HxW"; "" = the largest slice rounded up
	MaxCases    int
	Backend     string
	Dims        int    // 2 or 3; 0: 3 for 3-D data sets with the native backend, else 2
	Patch       string // training patch "HxW" or "DxHxW"; "": automatic
	Augment     bool
}

// modelDefaults are the defaults and help texts that differ between the commands.
type modelDefaults struct {
	data, seedHelp, widthHelp, valEveryHelp, valSlicesHelp string
	width, batch, valEvery, valSlices                      int
	lr                                                     float64
}

// addFlags registers the shared flags on f with the command's defaults.
func (m *modelOptions) addFlags(f *pflag.FlagSet, d modelDefaults) {
	f.StringVar(&m.Data, "data", d.data, "data set: Decathlon folder, PNG folder (images/, masks/) or synthetic[:N]")
	f.Uint64Var(&m.Seed, "seed", 1, d.seedHelp)
	f.IntVar(&m.Width, "width", d.width, d.widthHelp)
	f.IntVar(&m.Depth, "depth", 3, "U-Net resolution levels")
	f.BoolVar(&m.Norm, "norm", true, "instance normalization after each convolution")
	f.IntVar(&m.Batch, "batch", d.batch, "slices per step")
	f.Float64Var(&m.LR, "lr", d.lr, "Adam learning rate")
	f.IntVar(&m.ValEvery, "val-every", d.valEvery, d.valEveryHelp)
	f.IntVar(&m.ValSlices, "val-slices", d.valSlices, d.valSlicesHelp)
	f.Float64Var(&m.ValFraction, "val-fraction", 0.2, "share of the cases held out for validation")
	f.StringVar(&m.Size, "size", "", "slice size HxW, e.g. 64x48 (default: the largest slice, rounded up)")
	f.IntVar(&m.MaxCases, "max-cases", 0, "use only the first N cases (0: all)")
	f.StringVar(&m.Backend, "backend", "", "training engine: native (default) or gomlx (GoMLX, pure Go; gomlx:xla[:plugin] when built with -tags xla)")
	m.addVolumeFlags(f)
}

// loadData loads the data set of the flags, framed to size (0×0: automatic)
// for a U-Net of m.Depth levels, and describes it on s.Err.
func (m *modelOptions) loadData(s *Streams, size [2]int) (*dataset.Set, error) {
	fmt.Fprintf(s.Err, "loading %s ...\n", m.Data)
	data, err := dataset.Load(m.Data, dataset.Options{ValFraction: m.ValFraction, Seed: m.Seed,
		Multiple: 1 << max(m.Depth-1, 0), Size: size, MaxCases: m.MaxCases})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Err, "%s: %d classes, %d training slices (%d cases), %d validation slices (%d cases), %d×%d\n",
		data.Name, data.Classes, len(data.Train), len(data.Split.Train), len(data.Val), len(data.Split.Val), data.H, data.W)
	return data, nil
}
