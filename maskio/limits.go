package maskio

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/segloss/segloss/internal/shape"
)

// The ceilings on the voxels one file may declare when ReadOptions.MaxVoxels
// is 0. An uncompressed file must hold what it declares, so its ceiling is
// high: 2^31 voxels (16 GiB as float64). A compressed file can expand
// 1032-fold (deflate's limit), so that a 1 MB .nii.gz may hold 2^30 voxels
// of zeros, 8 GiB as float64: gzip-compressed NIfTI gets 2^28 voxels (every
// Medical Segmentation Decathlon volume fits, the largest has 2.6·10^8), PNG
// 2^26 pixels (8192×8192; the decoder needs up to 8 more bytes per pixel).
// An explicit MaxVoxels applies to every format.
const (
	DefaultMaxVoxels           = 1 << 31
	DefaultMaxCompressedVoxels = 1 << 28
	DefaultMaxPNGPixels        = 1 << 26
)

// maxDeflateRatio is the largest expansion deflate can achieve: a
// length-258 match coded in 1 bit with a 1-bit distance code, 258 bytes per
// 2 bits. A gzip or PNG stream that declares more decoded bytes than this
// times its compressed size cannot hold them; it is refused before
// anything is allocated.
const (
	maxDeflateRatio = 1032
	deflateSlack    = 1 << 16 // headers and small files
)

// chunkSize is the size of the raw chunks the readers collect before they
// allocate the decoded voxels: memory follows the bytes a file really holds,
// not the size its header claims.
const chunkSize = 1 << 22

// ReadOptions bound what a reader may allocate. The zero value is the
// default used by Read, ReadPNG, ReadNIfTI and ReadNPY.
type ReadOptions struct {
	// MaxVoxels is the most voxels one file may declare; 0 means the
	// defaults (DefaultMaxVoxels, DefaultMaxCompressedVoxels for .nii.gz,
	// DefaultMaxPNGPixels for PNG), a negative value means no ceiling beyond
	// the int range. A file above it is refused, naming the file, before
	// its voxels are read.
	MaxVoxels int
}

// Read reads the image at path as the package function Read does, under
// the ceilings of o.
func (o ReadOptions) Read(path string) (*Image, error) {
	switch Format(path) {
	case "png":
		return readFile(path, o, decodePNG)
	case "nifti":
		return readFile(path, o, decodeNIfTI)
	case "npy":
		return readFile(path, o, decodeNPY)
	}
	return nil, fileErr(path, "unsupported file type %q (want .png, .nii, .nii.gz or .npy)", filepath.Ext(path))
}

// limits are the ceilings of one decode: the explicit voxel ceiling (0 for
// the defaults) and, when the input is a file, its size (-1 when unknown).
type limits struct {
	maxVoxels int
	size      int64
}

// streamLimits are the limits of a decode from a reader of unknown size.
func streamLimits() limits { return limits{size: -1} }

// The kinds of input the default ceilings tell apart.
const (
	plainInput = iota
	gzipInput
	pngInput
)

// voxels returns the voxel count of shape, or an error when it overflows or
// exceeds the ceiling of an input of the given kind.
func (l limits) voxels(dims []int, kind int) (int, error) {
	ceiling, what := l.maxVoxels, ""
	if ceiling == 0 {
		ceiling = [...]int{DefaultMaxVoxels, DefaultMaxCompressedVoxels, DefaultMaxPNGPixels}[kind]
		what = [...]string{"", " for gzip-compressed files", " for PNG and JPEG"}[kind]
	}
	n, err := shape.ProductMax(dims, ceiling)
	if err != nil {
		if _, e2 := shape.Product(dims); e2 == nil {
			return 0, fmt.Errorf("shape %v declares more voxels than the ceiling of %d%s (raise it with --max-voxels)", dims, ceiling, what)
		}
		return 0, fmt.Errorf("corrupt header: %w", err)
	}
	return n, nil
}

// fits checks, when the file size is known, that a file holding need
// bytes of data after offset bytes can hold them: stored as is, or
// compressed at most maxDeflateRatio to 1.
func (l limits) fits(need, offset int64, compressed bool, what string) error {
	if l.size < 0 {
		return nil
	}
	if !compressed {
		if have := l.size - offset; need > have {
			return fmt.Errorf("truncated: need %d bytes of %s, got %d", need, what, max(have, 0))
		}
		return nil
	}
	if limit := maxDeflateRatio*l.size + deflateSlack; need+offset > limit {
		return fmt.Errorf("corrupt: header declares %d bytes of %s, more than the %d bytes a %d-byte gzip file can hold", need, what, limit, l.size)
	}
	return nil
}

// readChunks reads exactly need bytes from r in chunks of at most
// chunkSize, so that a stream shorter than its header claims fails after
// allocating only what it holds. It returns the chunks and the number of
// bytes read.
func readChunks(r io.Reader, need int64) ([][]byte, int64, error) {
	var chunks [][]byte
	var got int64
	for got < need {
		c := make([]byte, min(need-got, chunkSize))
		k, err := io.ReadFull(r, c)
		got += int64(k)
		if err != nil {
			return nil, got, err
		}
		chunks = append(chunks, c)
	}
	return chunks, got, nil
}

// decodeChunks decodes the voxels of chunks (size bytes each) into dst
// with conv, dropping each chunk once it is decoded.
func decodeChunks(dst []float64, chunks [][]byte, size int, conv func(dst []float64, b []byte)) {
	i := 0
	for c := range chunks {
		b := chunks[c]
		k := len(b) / size
		conv(dst[i:i+k], b)
		i += k
		chunks[c] = nil
	}
}

// drain reads r to its end, so that a gzip stream's checksum and length are
// verified; a corrupt stream is an error.
func drain(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("corrupt gzip stream: %w", err)
	}
	return nil
}

// readFile opens path and decodes it with decode under the ceilings of o,
// naming path in any error.
func readFile(path string, o ReadOptions, decode func(io.Reader, limits) (*Image, error)) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, wrapErr(path, err)
	}
	defer f.Close()
	l := limits{maxVoxels: o.MaxVoxels, size: -1}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		l.size = st.Size()
	}
	img, err := decode(f, l)
	return img, wrapErr(path, err)
}
