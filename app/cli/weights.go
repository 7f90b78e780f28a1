package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/maskio"
	"github.com/spf13/cobra"
)

// weightsOptions are the flags of segloss weights.
type weightsOptions struct {
	Labels       string
	Out          string
	W0           float64
	Sigma        float64
	ClassBalance bool
	MaskValues   string
	MaxVoxels    int
}

func newWeightsCmd(s *Streams) *cobra.Command {
	o := &weightsOptions{}
	cmd := &cobra.Command{
		Use:   "weights --labels DIR --out DIR [--w0 10] [--sigma 5] [--class-balance]",
		Short: "Make pixel weight maps (the U-Net paper's border weights) for train and compare",
		Long: `Write one weight map per mask of --labels (PNG, NIfTI or .npy; 2-D or 3-D)
into --out, the weights of Ronneberger et al. (U-Net, 2015):

  w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2))

The objects are the face-connected components of each foreground label; d1
and d2 are the Euclidean distances (in pixels or voxels, the exact EDT of
metric/surface) to the nearest and the second nearest object, and the border
term applies to background pixels (the gaps between touching objects; 0 with
fewer than two objects). w_c is 1, or with --class-balance N / (K n_c) (n_c the
pixels of the class, K the classes present, N all pixels: a mean of 1).

A NIfTI mask gives a NIfTI map of the same name (its geometry kept), a .npy
mask a .npy map, a PNG mask a .npy map (float, exact). Each file is written
atomically (a temporary file renamed). Put the maps in weightsTr/ beside
labelsTr/ (Decathlon) or weights/ beside masks/ (PNG folders), where train and
compare find them (--weights auto), or pass the folder with --weights DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWeights(s, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Labels, "labels", "", "folder of masks (PNG, NIfTI or .npy) (required)")
	f.StringVar(&o.Out, "out", "", "folder to write the weight maps into (required)")
	f.Float64Var(&o.W0, "w0", 10, "weight of the border term")
	f.Float64Var(&o.Sigma, "sigma", 5, "width of the border term, in pixels (voxels)")
	f.BoolVar(&o.ClassBalance, "class-balance", false, "w_c balances the class frequencies (N / (K n_c)) instead of 1")
	addMaskValuesFlag(f, &o.MaskValues)
	addMaxVoxelsFlag(f, &o.MaxVoxels)
	return cmd
}

func runWeights(s *Streams, o *weightsOptions) error {
	if o.Labels == "" || o.Out == "" {
		return usageErr("weights: --labels and --out are required")
	}
	if !(o.Sigma > 0) || !(o.W0 >= 0) {
		return usageErr("weights: --w0 %v --sigma %v: want w0 >= 0 and sigma > 0", o.W0, o.Sigma)
	}
	rule, err := maskValues("weights", o.MaskValues)
	if err != nil {
		return err
	}
	files, err := maskFiles(o.Labels)
	if err != nil {
		return fmt.Errorf("weights: --labels: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("weights: --labels %s: no mask files (.png, .nii, .nii.gz, .npy)", o.Labels)
	}
	if absPath(o.Labels) == absPath(o.Out) {
		return usageErr("weights: --out %s is the --labels folder; write the maps elsewhere", o.Out)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	rd := readOptions(o.MaxVoxels)
	// One mask-value rule for the whole folder, as the data sets read it.
	var seen map[float64]bool
	for _, n := range names {
		im, err := rd.Read(files[n])
		if err != nil {
			return fmt.Errorf("weights: %w", err)
		}
		seen = maskio.DistinctValues(seen, im.Data, 64)
	}
	rule, note := rule.Resolve(maskio.SortedValues(seen), 0)
	if note != "" {
		fmt.Fprintln(s.Err, note)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	bo := dataset.BorderOptions{W0: o.W0, Sigma: o.Sigma, ClassBalance: o.ClassBalance, Workers: runtime.GOMAXPROCS(0)}
	for _, n := range names {
		path := files[n]
		im, err := rd.Read(path)
		if err != nil {
			return fmt.Errorf("weights: %w", err)
		}
		if len(im.Shape) < 2 || len(im.Shape) > 3 {
			return fmt.Errorf("weights: %s: shape %v: want a 2-D image or a 3-D volume", path, im.Shape)
		}
		labels, err := rule.Labels(im)
		if err != nil {
			return fmt.Errorf("weights: %s: %w", path, err)
		}
		w, err := dataset.BorderWeights(labels, im.Shape, bo)
		if err != nil {
			return fmt.Errorf("weights: %s: %w", path, err)
		}
		for i, v := range w {
			w[i] = float64(float32(v)) // stored as float32
		}
		name := filepath.Base(path)
		if im.Kind == "png" {
			name = n + ".npy"
		}
		out := &maskio.Image{Shape: im.Shape, Spacing: im.Spacing, Data: w, Header: im.Header}
		if err := maskio.Write(filepath.Join(o.Out, name), out); err != nil {
			return fmt.Errorf("weights: %w", err)
		}
	}
	fmt.Fprintf(s.Out, "wrote %s (w0 %g, sigma %g%s) to %s\n", plural(len(names), "weight map", "weight maps"), o.W0, o.Sigma,
		map[bool]string{true: ", class-balanced", false: ""}[o.ClassBalance], o.Out)
	return nil
}

// absPath returns the absolute, cleaned form of path (path itself on error).
func absPath(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	return strings.TrimSuffix(p, string(filepath.Separator))
}
