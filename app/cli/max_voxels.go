package cli

import (
	"github.com/spf13/pflag"

	"github.com/segloss/segloss/maskio"
)

// addMaxVoxelsFlag registers --max-voxels, the ceiling on the voxels one
// input file may declare, shared by eval, train, predict and compare.
func addMaxVoxelsFlag(f *pflag.FlagSet, p *int) {
	f.IntVar(p, "max-voxels", 0,
		"refuse an input file that declares more voxels than this, before reading it (0: 2^31, 2^28 for .nii.gz, 2^26 for PNG; negative: no ceiling)")
}

// readOptions returns the reader options of a --max-voxels value.
func readOptions(maxVoxels int) maskio.ReadOptions { return maskio.ReadOptions{MaxVoxels: maxVoxels} }
