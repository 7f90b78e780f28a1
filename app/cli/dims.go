package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/segloss/segloss/app/dataset"
	"github.com/segloss/segloss/app/train"
	"github.com/spf13/pflag"
)

// addVolumeFlags registers --dims, --patch and --augment.
func (m *modelOptions) addVolumeFlags(f *pflag.FlagSet) {
	f.IntVar(&m.Dims, "dims", 0, "2 (slice by slice) or 3 (whole volumes, native backend); default 3 for 3-D data sets with the native backend, else 2")
	f.StringVar(&m.Patch, "patch", "", "training patch HxW (2-D) or DxHxW (3-D), random patches with foreground oversampling (default: the frame; in 3-D the largest volume, capped at 128)")
	f.BoolVar(&m.Augment, "augment", false, "augment the patches with random flips and rotations by multiples of 90°")
}

// volumeConfig returns the dimensions and patch of the flags for data:
// --dims 0 is 3 for a 3-D set trained by the native backend, else 2.
func (m *modelOptions) volumeConfig(data *dataset.Set) (dims int, patch [3]int, err error) {
	dims = m.Dims
	if dims == 0 {
		dims = 2
		if is3D(data) && (m.Backend == "native" || (m.Backend == "" && train.DefaultBackend() == "native")) {
			dims = 3
		}
	}
	if dims != 2 && dims != 3 {
		return 0, patch, usageErr("--dims %d: want 2 or 3", dims)
	}
	if patch, err = parsePatch(m.Patch, dims); err != nil {
		return 0, patch, usageErr("%v", err)
	}
	return dims, patch, nil
}

// is3D reports whether a set holds volumes (a case with more than one slice).
func is3D(data *dataset.Set) bool {
	seen := map[string]bool{}
	for _, ex := range data.Train {
		if seen[ex.Case] {
			return true
		}
		seen[ex.Case] = true
	}
	return false
}

// parsePatch reads "HxW" (2-D) or "DxHxW" (3-D); "" is automatic (zeros).
func parsePatch(s string, dims int) ([3]int, error) {
	var p [3]int
	if s == "" {
		return p, nil
	}
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) != dims {
		return p, fmt.Errorf("--patch %q: want %d sizes (%s) for --dims %d", s, dims, map[int]string{2: "HxW", 3: "DxHxW"}[dims], dims)
	}
	p[0] = 1
	for i, part := range parts {
		v, err := strconv.Atoi(part)
		if err != nil || v < 1 || v > 4096 {
			return p, fmt.Errorf("--patch %q: sizes must be integers from 1 to 4096", s)
		}
		p[i+3-dims] = v
	}
	return p, nil
}
