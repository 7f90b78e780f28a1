// Package maskio reads and writes the file formats segmentation masks and
// probability maps come in: PNG, NIfTI-1 (.nii, .nii.gz) and NumPy .npy.
//
// Every reader returns an Image: an n-dimensional array of float64 values in
// row-major order (last axis fastest) with its physical voxel spacing. Readers
// never panic on corrupt input; every error is a *FileError naming the file
// and the reason.
package maskio

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/segloss/segloss/internal/shape"
)

// Image is an n-D array read from a mask or image file, row-major (last axis
// fastest).
type Image struct {
	// Shape is the size of each axis, slowest first. For NIfTI with dims
	// (nx, ny, nz) it is [nz, ny, nx]; for PNG it is [H, W].
	Shape []int
	// Spacing is the physical voxel size per axis, in the order of Shape
	// (1 when unknown).
	Spacing []float64
	// Data holds the voxel values: after NIfTI scl_slope/scl_inter scaling;
	// PNG grey 8-bit raw 0..255, 16-bit raw 0..65535, palette = index.
	Data []float64
	// Kind is the format the image was read from: "png", "nifti" or "npy".
	Kind string
	// Bits is the bit depth of a grey PNG's samples (8 or 16), so that
	// grey levels can be scaled to probabilities; 0 for other images.
	Bits int
	// Header is the NIfTI header the image was read from, or nil. Write
	// keeps its geometry (pixdim, qform, sform) when writing a NIfTI file.
	Header *NiftiHeader
}

// Len returns the number of voxels implied by Shape, or -1 when Shape has
// a negative axis or its product overflows int.
func (im *Image) Len() int {
	n, err := shape.Product(im.Shape)
	if err != nil {
		return -1
	}
	return n
}

// Labels returns the values of im as integer class labels. It returns an
// error naming the first value that is not an integer in the int32 range.
func (im *Image) Labels() ([]int32, error) {
	out := make([]int32, len(im.Data))
	for i, v := range im.Data {
		if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("maskio: value %v at voxel %d is not an integer label", v, i)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// SameShape reports whether im and other have identical shapes.
func (im *Image) SameShape(other *Image) bool {
	if len(im.Shape) != len(other.Shape) {
		return false
	}
	for i := range im.Shape {
		if im.Shape[i] != other.Shape[i] {
			return false
		}
	}
	return true
}

// FileError is the error every reader and writer returns: the file and the
// reason.
type FileError struct {
	Path string
	Err  error
}

// Error returns "maskio: PATH: REASON".
func (e *FileError) Error() string { return "maskio: " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying reason.
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(path string, format string, args ...any) error {
	return &FileError{Path: path, Err: fmt.Errorf(format, args...)}
}

func wrapErr(path string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*FileError); ok {
		return err
	}
	return &FileError{Path: path, Err: err}
}

// Format returns the format of path judged by its extension: "png",
// "nifti" or "npy", or "" when the extension is not one of .png, .nii,
// .nii.gz and .npy (case-insensitive).
func Format(path string) string {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".png"):
		return "png"
	case strings.HasSuffix(p, ".nii"), strings.HasSuffix(p, ".nii.gz"):
		return "nifti"
	case strings.HasSuffix(p, ".npy"):
		return "npy"
	}
	return ""
}

// CaseName returns the file name of path without its image extension
// (.png, .nii, .nii.gz, .npy, case-insensitive): the key by which images,
// masks and predictions of one case are paired.
func CaseName(path string) string {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, ext := range []string{".nii.gz", ".nii", ".png", ".npy"} {
		if strings.HasSuffix(lower, ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return base
}

// Read reads the image at path, choosing the reader by extension: .png,
// .nii, .nii.gz or .npy. A file declaring more than DefaultMaxVoxels voxels,
// or more data than it can hold, is refused before its voxels are read;
// ReadOptions sets another ceiling.
func Read(path string) (*Image, error) { return ReadOptions{}.Read(path) }

// Write writes img to path in the format chosen by its extension. The file
// is written to a temporary file in the same directory and renamed, so a
// failed write never leaves a partial file at path.
func Write(path string, img *Image) error {
	if err := img.check(); err != nil {
		return wrapErr(path, err)
	}
	switch Format(path) {
	case "png":
		return WritePNG(path, img)
	case "nifti":
		return WriteNIfTI(path, img)
	case "npy":
		return WriteNPY(path, img)
	}
	return fileErr(path, "unsupported file type %q (want .png, .nii, .nii.gz or .npy)", filepath.Ext(path))
}

// check verifies that Shape, Spacing and Data agree.
func (im *Image) check() error {
	if im == nil {
		return fmt.Errorf("nil image")
	}
	n, err := shape.Product(im.Shape)
	if err != nil {
		return err
	}
	if n != len(im.Data) {
		return fmt.Errorf("shape %v holds %d values, data has %d", im.Shape, n, len(im.Data))
	}
	if im.Spacing != nil && len(im.Spacing) != len(im.Shape) {
		return fmt.Errorf("spacing %v does not match shape %v", im.Spacing, im.Shape)
	}
	return nil
}

// spacing returns im.Spacing, or ones when it is nil.
func (im *Image) spacing() []float64 {
	if im.Spacing != nil {
		return im.Spacing
	}
	sp := make([]float64, len(im.Shape))
	for i := range sp {
		sp[i] = 1
	}
	return sp
}

// integerRange reports whether every value is an integer and returns the
// smallest and largest value.
func integerRange(data []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	ok = true
	for _, v := range data {
		if v != math.Trunc(v) {
			ok = false
		}
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	if len(data) == 0 {
		lo, hi = 0, 0
	}
	return lo, hi, ok
}
