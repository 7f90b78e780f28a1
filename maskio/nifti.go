package maskio

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// niftiHeaderSize is the size of a NIfTI-1 header; single-file (n+1) data
// starts at 352 at the earliest (header plus the 4-byte extension flag).
const (
	niftiHeaderSize = 348
	niftiMinOffset  = 352
)

// NIfTI-1 datatype codes supported by the reader.
const (
	niftiUint8   = 2
	niftiInt16   = 4
	niftiInt32   = 8
	niftiFloat32 = 16
	niftiFloat64 = 64
	niftiInt8    = 256
	niftiUint16  = 512
	niftiUint32  = 768
	niftiInt64   = 1024
	niftiUint64  = 1280
)

// niftiTypeSize gives the byte size of each supported datatype.
var niftiTypeSize = map[int16]int{
	niftiUint8: 1, niftiInt8: 1, niftiInt16: 2, niftiUint16: 2,
	niftiInt32: 4, niftiUint32: 4, niftiFloat32: 4,
	niftiInt64: 8, niftiUint64: 8, niftiFloat64: 8,
}

// NiftiHeader is a NIfTI-1 header: the raw 348 bytes in their original byte
// order, and the fields the reader and writer use. Writing a header back
// copies Raw and patches the parsed fields into it, so qform, sform,
// description and units survive a read-write round trip.
type NiftiHeader struct {
	Raw       [niftiHeaderSize]byte // the header as read, in its byte order
	Order     binary.ByteOrder      // byte order of the file
	Dim       [8]int16              // dim[0] axes, then nx, ny, nz, ...
	Datatype  int16                 // NIfTI datatype code (2 uint8, 4 int16, 16 float32, ...)
	Bitpix    int16                 // bits per voxel
	Pixdim    [8]float32            // qfac, then the voxel size along x, y, z, ...
	VoxOffset float32               // byte offset of the voxel data
	SclSlope  float32               // value scaling: v = SclSlope·stored + SclInter when SclSlope ≠ 0
	SclInter  float32               // value offset, see SclSlope
	Magic     string                // "n+1" for single-file NIfTI-1
}

// Byte offsets of the header fields used here.
const (
	offDim       = 40
	offDatatype  = 70
	offBitpix    = 72
	offPixdim    = 76
	offVoxOffset = 108
	offSclSlope  = 112
	offSclInter  = 116
	offXYZTUnits = 123
	offMagic     = 344
)

// parseNiftiHeader decodes raw, detecting the byte order from sizeof_hdr.
func parseNiftiHeader(raw []byte) (*NiftiHeader, error) {
	h := &NiftiHeader{}
	copy(h.Raw[:], raw)
	switch {
	case binary.LittleEndian.Uint32(raw) == niftiHeaderSize:
		h.Order = binary.LittleEndian
	case binary.BigEndian.Uint32(raw) == niftiHeaderSize:
		h.Order = binary.BigEndian
	case binary.LittleEndian.Uint32(raw) == 540 || binary.BigEndian.Uint32(raw) == 540:
		return nil, errors.New("unsupported: NIfTI-2 header (only NIfTI-1 is read)")
	default:
		return nil, fmt.Errorf("not a NIfTI-1 file: sizeof_hdr is %d, want 348", int32(binary.LittleEndian.Uint32(raw)))
	}
	o := h.Order
	for i := range h.Dim {
		h.Dim[i] = int16(o.Uint16(raw[offDim+2*i:]))
		h.Pixdim[i] = math.Float32frombits(o.Uint32(raw[offPixdim+4*i:]))
	}
	h.Datatype = int16(o.Uint16(raw[offDatatype:]))
	h.Bitpix = int16(o.Uint16(raw[offBitpix:]))
	h.VoxOffset = math.Float32frombits(o.Uint32(raw[offVoxOffset:]))
	h.SclSlope = math.Float32frombits(o.Uint32(raw[offSclSlope:]))
	h.SclInter = math.Float32frombits(o.Uint32(raw[offSclInter:]))
	h.Magic = strings.TrimRight(string(raw[offMagic:offMagic+4]), "\x00")
	return h, nil
}

// marshal returns the header bytes: Raw with the parsed fields patched in.
func (h *NiftiHeader) marshal() []byte {
	raw := h.Raw
	o := h.Order
	if o == nil {
		o = binary.LittleEndian
	}
	o.PutUint32(raw[0:], niftiHeaderSize)
	for i := range h.Dim {
		o.PutUint16(raw[offDim+2*i:], uint16(h.Dim[i]))
		o.PutUint32(raw[offPixdim+4*i:], math.Float32bits(h.Pixdim[i]))
	}
	o.PutUint16(raw[offDatatype:], uint16(h.Datatype))
	o.PutUint16(raw[offBitpix:], uint16(h.Bitpix))
	o.PutUint32(raw[offVoxOffset:], math.Float32bits(h.VoxOffset))
	o.PutUint32(raw[offSclSlope:], math.Float32bits(h.SclSlope))
	o.PutUint32(raw[offSclInter:], math.Float32bits(h.SclInter))
	copy(raw[offMagic:offMagic+4], h.Magic+"\x00\x00\x00\x00")
	return raw[:]
}

// shape returns the row-major shape [.., nz, ny, nx] and spacing from dim
// and pixdim. Trailing axes of size 1 beyond the third are dropped, so a
// 3-D volume stored with dim[4] = 1 reads as 3-D.
func (h *NiftiHeader) shape() ([]int, []float64, error) {
	n := int(h.Dim[0])
	if n < 1 || n > 7 {
		return nil, nil, fmt.Errorf("corrupt header: dim[0] = %d, want 1..7", n)
	}
	for i := 1; i <= n; i++ {
		if h.Dim[i] < 1 {
			return nil, nil, fmt.Errorf("corrupt header: dim[%d] = %d, want >= 1", i, h.Dim[i])
		}
	}
	for n > 3 && h.Dim[n] == 1 {
		n--
	}
	shape := make([]int, n)
	spacing := make([]float64, n)
	for i := 1; i <= n; i++ {
		shape[n-i] = int(h.Dim[i])
		s := math.Abs(float64(h.Pixdim[i]))
		if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			s = 1
		}
		spacing[n-i] = s
	}
	return shape, spacing, nil
}

// ReadNIfTI reads a single-file NIfTI-1 image (.nii, or gzip-compressed
// .nii.gz; compression is detected from the content). Values are scaled by
// scl_slope and scl_inter when scl_slope is finite and non-zero; spacing
// comes from pixdim. A vox_offset of 0 means 352.
func ReadNIfTI(path string) (*Image, error) {
	return readFile(path, ReadOptions{}, decodeNIfTI)
}

// DecodeNIfTI decodes a NIfTI-1 stream, plain or gzip-compressed, as
// ReadNIfTI does.
func DecodeNIfTI(r io.Reader) (*Image, error) { return decodeNIfTI(r, streamLimits()) }

// decodeNIfTI decodes a NIfTI-1 stream under the limits l. The voxel count
// is checked against the ceiling and the data size against the file size
// before the voxels are read; a gzip stream is read to its end so that its
// checksum is verified.
func decodeNIfTI(r io.Reader, l limits) (*Image, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	compressed := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("corrupt gzip stream: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
		compressed = true
	}
	raw := make([]byte, niftiHeaderSize)
	if n, err := io.ReadFull(br, raw); err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need %d bytes of header, got %d", niftiHeaderSize, n))
	}
	h, err := parseNiftiHeader(raw)
	if err != nil {
		return nil, err
	}
	switch h.Magic {
	case "n+1":
	case "ni1":
		return nil, errors.New("unsupported: two-file NIfTI (.hdr/.img pair); convert it to a single .nii file")
	default:
		return nil, fmt.Errorf("not a NIfTI-1 file: magic %q, want \"n+1\"", h.Magic)
	}
	shape, spacing, err := h.shape()
	if err != nil {
		return nil, err
	}
	size, ok := niftiTypeSize[h.Datatype]
	if !ok {
		return nil, fmt.Errorf("unsupported voxel type: datatype code %d", h.Datatype)
	}
	kind := plainInput
	if compressed {
		kind = gzipInput
	}
	n, err := l.voxels(shape, kind)
	if err != nil {
		return nil, err
	}
	off := float64(h.VoxOffset)
	if off == 0 {
		off = niftiMinOffset
	}
	if off < niftiMinOffset || off != math.Trunc(off) || off > 1<<30 {
		return nil, fmt.Errorf("corrupt header: vox_offset = %v, want an integer >= 352", h.VoxOffset)
	}
	if err := l.fits(int64(n)*int64(size), int64(off), compressed, "voxel data"); err != nil {
		return nil, err
	}
	if k, err := io.CopyN(io.Discard, br, int64(off)-niftiHeaderSize); err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need %d bytes before voxel data, got %d", int64(off)-niftiHeaderSize, k))
	}
	need := int64(n) * int64(size)
	chunks, got, err := readChunks(br, need)
	if err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need %d bytes of voxel data, got %d", need, got))
	}
	if compressed {
		if err := drain(br); err != nil {
			return nil, err
		}
	}
	data := make([]float64, n)
	decodeChunks(data, chunks, size, func(dst []float64, b []byte) { decodeVoxels(dst, b, h.Datatype, h.Order) })
	slope, inter := float64(h.SclSlope), float64(h.SclInter)
	if slope != 0 && !math.IsNaN(slope) && !math.IsInf(slope, 0) && !math.IsNaN(inter) && !math.IsInf(inter, 0) && (slope != 1 || inter != 0) {
		for i := range data {
			data[i] = data[i]*slope + inter
		}
	}
	return &Image{Shape: shape, Spacing: spacing, Data: data, Kind: "nifti", Header: h}, nil
}

// readErr turns a short read into a truncation message and any other read
// error (a corrupt gzip stream, an I/O error) into its own message.
func readErr(err error, truncated string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New(truncated)
	}
	return fmt.Errorf("corrupt data: %w", err)
}

// decodeVoxels converts raw voxel bytes of the given datatype to float64.
func decodeVoxels(dst []float64, b []byte, dt int16, o binary.ByteOrder) {
	switch dt {
	case niftiUint8:
		for i := range dst {
			dst[i] = float64(b[i])
		}
	case niftiInt8:
		for i := range dst {
			dst[i] = float64(int8(b[i]))
		}
	case niftiInt16:
		for i := range dst {
			dst[i] = float64(int16(o.Uint16(b[2*i:])))
		}
	case niftiUint16:
		for i := range dst {
			dst[i] = float64(o.Uint16(b[2*i:]))
		}
	case niftiInt32:
		for i := range dst {
			dst[i] = float64(int32(o.Uint32(b[4*i:])))
		}
	case niftiUint32:
		for i := range dst {
			dst[i] = float64(o.Uint32(b[4*i:]))
		}
	case niftiFloat32:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		}
	case niftiInt64:
		for i := range dst {
			dst[i] = float64(int64(o.Uint64(b[8*i:])))
		}
	case niftiUint64:
		for i := range dst {
			dst[i] = float64(o.Uint64(b[8*i:]))
		}
	case niftiFloat64:
		for i := range dst {
			dst[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		}
	}
}

// niftiWriteType picks the smallest datatype that holds data exactly:
// uint8, int16 or int32 for integers, float32 or float64 otherwise.
func niftiWriteType(data []float64) int16 {
	lo, hi, isInt := integerRange(data)
	switch {
	case isInt && lo >= 0 && hi <= math.MaxUint8:
		return niftiUint8
	case isInt && lo >= math.MinInt16 && hi <= math.MaxInt16:
		return niftiInt16
	case isInt && lo >= math.MinInt32 && hi <= math.MaxInt32:
		return niftiInt32
	}
	for _, v := range data {
		if float64(float32(v)) != v && !math.IsNaN(v) {
			return niftiFloat64
		}
	}
	return niftiFloat32
}

// WriteNIfTI writes img as a single-file NIfTI-1 image, gzip-compressed
// when path ends in .gz. When img came from a NIfTI file its header is kept
// (qform, sform, units, description) with dim, pixdim, datatype and offset
// updated; values are stored unscaled in the smallest exact type (uint8 for
// small integer labels).
func WriteNIfTI(path string, img *Image) error {
	if err := img.check(); err != nil {
		return wrapErr(path, err)
	}
	nd := len(img.Shape)
	if nd < 1 || nd > 7 {
		return fileErr(path, "NIfTI holds 1 to 7 axes, shape is %v", img.Shape)
	}
	for _, s := range img.Shape {
		if s < 1 || s > math.MaxInt16 {
			return fileErr(path, "NIfTI axis sizes are 1..32767, shape is %v", img.Shape)
		}
	}
	h := &NiftiHeader{Order: binary.LittleEndian, Pixdim: [8]float32{1}}
	if img.Header != nil {
		c := *img.Header
		h = &c
		for i := nd + 1; i < 8; i++ {
			h.Pixdim[i] = 0
		}
	} else {
		h.Raw[offXYZTUnits] = 2 // millimetres
	}
	h.Magic = "n+1"
	sp := img.spacing()
	h.Dim = [8]int16{int16(nd)}
	for i := 1; i <= nd; i++ {
		h.Dim[i] = int16(img.Shape[nd-i])
		h.Pixdim[i] = float32(sp[nd-i])
	}
	for i := nd + 1; i < 8; i++ {
		h.Dim[i] = 1
	}
	h.Datatype = niftiWriteType(img.Data)
	h.Bitpix = int16(8 * niftiTypeSize[h.Datatype])
	h.VoxOffset = niftiMinOffset
	h.SclSlope, h.SclInter = 0, 0
	hdr := h.marshal()
	gz := strings.HasSuffix(strings.ToLower(path), ".gz")
	return WriteFileAtomic(path, func(w io.Writer) error {
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(w)
			w = zw
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if _, err := w.Write(make([]byte, niftiMinOffset-niftiHeaderSize)); err != nil {
			return err
		}
		if _, err := w.Write(encodeVoxels(img.Data, h.Datatype, h.Order)); err != nil {
			return err
		}
		if zw != nil {
			return zw.Close()
		}
		return nil
	})
}

// encodeVoxels converts values to raw bytes of datatype dt (one of the
// types niftiWriteType returns).
func encodeVoxels(data []float64, dt int16, o binary.ByteOrder) []byte {
	size := niftiTypeSize[dt]
	b := make([]byte, len(data)*size)
	for i, v := range data {
		p := b[i*size:]
		switch dt {
		case niftiUint8:
			p[0] = uint8(v)
		case niftiInt16:
			o.PutUint16(p, uint16(int16(v)))
		case niftiInt32:
			o.PutUint32(p, uint32(int32(v)))
		case niftiFloat32:
			o.PutUint32(p, math.Float32bits(float32(v)))
		case niftiFloat64:
			o.PutUint64(p, math.Float64bits(v))
		}
	}
	return b
}
