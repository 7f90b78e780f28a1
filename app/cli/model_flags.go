package cli

import (
	"fmt"
	"strings"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/maskio"
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
	MaskValues  string // the mask-value rule (maskio.MaskValues)
	Outside     bool   // dataset.json may name files outside the data folder
	MaxVoxels   int    // ceiling on the voxels of one input file
	Weights     string // pixel weight maps: auto, none or a folder
	DeepSuper   bool   // deep supervision (native backend)
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
	f.StringVar(&m.Size, "size", "", "slice size HxW, e.g. 64x48 (default: the largest slice); rounded up to a multiple of 2^(depth-1), with a line saying so")
	f.IntVar(&m.MaxCases, "max-cases", 0, "use only the first N cases (0: all)")
	f.StringVar(&m.Backend, "backend", "", "training engine: native (default) or gomlx (GoMLX, pure Go; gomlx:xla[:plugin] when built with -tags xla)")
	m.addVolumeFlags(f)
	addMaxVoxelsFlag(f, &m.MaxVoxels)
	addMaskValuesFlag(f, &m.MaskValues)
	f.BoolVar(&m.Outside, "allow-outside", false, "let dataset.json name image and label files outside the data folder")
	f.StringVar(&m.Weights, "weights", "auto", "pixel weight maps that weight the loss (native backend): auto (weightsTr/ beside labelsTr/, or weights/ beside masks/, when present), none, or a folder of maps named like the masks (make them with segloss weights)")
	f.BoolVar(&m.DeepSuper, "deep-supervision", false, "deep supervision (native backend, depth >= 3): the loss also scores every decoder level's output against the down-sampled labels, nnU-Net's weights 1/2^i normalized")
}

// maskValuesHelp is the help of --mask-values, the same in every command.
const maskValuesHelp = `how mask values become labels: auto (0/255 or 0 and any one other value read as 0/1), raw (as stored), ` +
	`0,128,255 (the stored values in label order) or 255=1 (STORED=LABEL pairs)`

// addMaskValuesFlag registers --mask-values on f.
func addMaskValuesFlag(f *pflag.FlagSet, v *string) {
	f.StringVar(v, "mask-values", "auto", maskValuesHelp)
}

// maskValues parses the --mask-values flag of command cmd (a usage error).
func maskValues(cmd, v string) (maskio.MaskValues, error) {
	r, err := maskio.ParseMaskValues(v)
	if err != nil {
		return r, usageErr("%s: %v", cmd, err)
	}
	return r, nil
}

// loadData loads the data set of the flags, framed to size (0×0: automatic)
// for a U-Net of m.Depth levels, and describes it on s.Err.
func (m *modelOptions) loadData(s *Streams, cmd string, size [2]int) (*dataset.Set, error) {
	rule, err := maskValues(cmd, m.MaskValues)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Err, "loading %s ...\n", m.Data)
	multiple := 1 << max(m.Depth-1, 0)
	data, err := dataset.Load(m.Data, dataset.Options{ValFraction: m.ValFraction, Seed: m.Seed,
		Multiple: multiple, Size: size, MaxCases: m.MaxCases, MaskValues: rule, AllowOutside: m.Outside,
		Read: readOptions(m.MaxVoxels), Note: func(line string) { fmt.Fprintln(s.Err, line) }, Weights: m.Weights})
	if err != nil {
		return nil, err
	}
	if size != [2]int{} && (data.H != size[0] || data.W != size[1]) {
		fmt.Fprintf(s.Err, "--size %dx%d rounded up to %dx%d: a U-Net of depth %d needs multiples of %d\n", size[0], size[1], data.H, data.W, m.Depth, multiple)
	}
	chans := ""
	if data.Channels > 1 {
		chans = fmt.Sprintf(", %d channels", data.Channels)
		if len(data.Modalities) > 0 {
			chans += " (" + strings.Join(data.Modalities, ", ") + ")"
		}
	}
	fmt.Fprintf(s.Err, "%s: %s, %s (%s), %s (%s), %d×%d%s\n",
		data.Name, plural(data.Classes, "class", "classes"), plural(len(data.Train), "training slice", "training slices"), plural(len(data.Split.Train), "case", "cases"),
		plural(len(data.Val), "validation slice", "validation slices"), plural(len(data.Split.Val), "case", "cases"), data.H, data.W, chans)
	return data, nil
}

// plural writes "1 case" or "3 cases".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// aliasFlag registers old as a hidden alias of the flag name on f (the
// same value); the help lists only name.
func aliasFlag(f *pflag.FlagSet, old, name string) {
	fl := f.Lookup(name)
	f.Var(fl.Value, old, "alias of --"+name)
	_ = f.MarkHidden(old)
}
