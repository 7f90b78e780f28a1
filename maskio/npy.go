package maskio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const npyMagic = "\x93NUMPY"

// ReadNPY reads a NumPy .npy file (format versions 1, 2 and 3) holding
// bool, signed or unsigned integers of 1, 2, 4 or 8 bytes, or float32 or
// float64 values in either byte order. Fortran-ordered arrays are
// transposed into row-major order. Spacing is 1 on every axis.
func ReadNPY(path string) (*Image, error) {
	return readFile(path, ReadOptions{}, decodeNPY)
}

// DecodeNPY decodes a .npy stream as ReadNPY does.
func DecodeNPY(r io.Reader) (*Image, error) { return decodeNPY(r, streamLimits()) }

// decodeNPY decodes a .npy stream under the limits l: the element count is
// checked against the ceiling and the data size against the file size
// before the array is read.
func decodeNPY(r io.Reader, l limits) (*Image, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	pre := make([]byte, 8)
	if n, err := io.ReadFull(br, pre); err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need 8 bytes of preamble, got %d", n))
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New("not a .npy file: bad magic")
	}
	var hlen, hlenBytes int
	switch pre[6] {
	case 1:
		hlenBytes = 2
		b := make([]byte, 2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, readErr(err, "truncated: header length missing")
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		hlenBytes = 4
		b := make([]byte, 4)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, readErr(err, "truncated: header length missing")
		}
		hlen = int(binary.LittleEndian.Uint32(b))
		if hlen > 1<<20 {
			return nil, fmt.Errorf("corrupt header: length %d", hlen)
		}
	default:
		return nil, fmt.Errorf("unsupported .npy format version %d.%d", pre[6], pre[7])
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need %d bytes of header, got %d", hlen, n))
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	order, kind, size, err := parseNPYDescr(descr)
	if err != nil {
		return nil, err
	}
	n, err := l.voxels(shape, plainInput)
	if err != nil {
		return nil, err
	}
	need := int64(n) * int64(size)
	if err := l.fits(need, int64(len(pre)+hlenBytes+hlen), false, "array data"); err != nil {
		return nil, err
	}
	chunks, got, err := readChunks(br, need)
	if err != nil {
		return nil, readErr(err, fmt.Sprintf("truncated: need %d bytes of array data, got %d", need, got))
	}
	data := make([]float64, n)
	decodeChunks(data, chunks, size, func(dst []float64, b []byte) {
		for i := range dst {
			dst[i] = npyValue(b[i*size:], kind, size, order)
		}
	})
	if fortran && len(shape) > 1 {
		data = fortranToRowMajor(data, shape)
	}
	sp := make([]float64, len(shape))
	for i := range sp {
		sp[i] = 1
	}
	return &Image{Shape: shape, Spacing: sp, Data: data, Kind: "npy"}, nil
}

// parseNPYHeader extracts descr, fortran_order and shape from the Python
// dict literal of a .npy header.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	value := func(key string) (string, bool) {
		i := strings.Index(h, "'"+key+"'")
		if i < 0 {
			return "", false
		}
		rest := strings.TrimLeft(h[i+len(key)+2:], " ")
		if !strings.HasPrefix(rest, ":") {
			return "", false
		}
		return strings.TrimLeft(rest[1:], " "), true
	}
	v, ok := value("descr")
	if !ok || len(v) < 2 || v[0] != '\'' {
		return "", false, nil, fmt.Errorf("corrupt header: no 'descr' string in %q", h)
	}
	end := strings.IndexByte(v[1:], '\'')
	if end < 0 {
		return "", false, nil, fmt.Errorf("corrupt header: unterminated 'descr' in %q", h)
	}
	descr = v[1 : 1+end]
	if v, ok = value("fortran_order"); !ok {
		return "", false, nil, fmt.Errorf("corrupt header: no 'fortran_order' in %q", h)
	}
	switch {
	case strings.HasPrefix(v, "True"):
		fortran = true
	case strings.HasPrefix(v, "False"):
	default:
		return "", false, nil, fmt.Errorf("corrupt header: bad 'fortran_order' in %q", h)
	}
	if v, ok = value("shape"); !ok || !strings.HasPrefix(v, "(") || !strings.Contains(v, ")") {
		return "", false, nil, fmt.Errorf("corrupt header: no 'shape' tuple in %q", h)
	}
	shape = []int{}
	for _, f := range strings.Split(v[1:strings.IndexByte(v, ')')], ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return "", false, nil, fmt.Errorf("corrupt header: bad shape entry %q", f)
		}
		shape = append(shape, d)
	}
	return descr, fortran, shape, nil
}

// parseNPYDescr decodes a dtype string such as "<f4" or "|u1".
func parseNPYDescr(d string) (binary.ByteOrder, byte, int, error) {
	if len(d) < 3 {
		return nil, 0, 0, fmt.Errorf("unsupported dtype %q", d)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch d[0] {
	case '<', '|', '=':
	case '>':
		order = binary.BigEndian
	default:
		return nil, 0, 0, fmt.Errorf("unsupported dtype %q", d)
	}
	kind := d[1]
	size, err := strconv.Atoi(d[2:])
	ok := err == nil
	switch kind {
	case 'b':
		ok = ok && size == 1
	case 'i', 'u':
		ok = ok && (size == 1 || size == 2 || size == 4 || size == 8)
	case 'f':
		ok = ok && (size == 4 || size == 8)
	default:
		ok = false
	}
	if !ok {
		return nil, 0, 0, fmt.Errorf("unsupported dtype %q (want bool, int, uint, float32 or float64)", d)
	}
	return order, kind, size, nil
}

// npyValue decodes one value of the given kind and size from b.
func npyValue(b []byte, kind byte, size int, o binary.ByteOrder) float64 {
	switch {
	case kind == 'b':
		if b[0] != 0 {
			return 1
		}
		return 0
	case size == 1 && kind == 'u':
		return float64(b[0])
	case size == 1:
		return float64(int8(b[0]))
	case size == 2 && kind == 'u':
		return float64(o.Uint16(b))
	case size == 2:
		return float64(int16(o.Uint16(b)))
	case size == 4 && kind == 'u':
		return float64(o.Uint32(b))
	case size == 4 && kind == 'i':
		return float64(int32(o.Uint32(b)))
	case size == 4:
		return float64(math.Float32frombits(o.Uint32(b)))
	case kind == 'u':
		return float64(o.Uint64(b))
	case kind == 'i':
		return float64(int64(o.Uint64(b)))
	}
	return math.Float64frombits(o.Uint64(b))
}

// fortranToRowMajor reorders column-major data of the given shape.
func fortranToRowMajor(src []float64, shape []int) []float64 {
	dst := make([]float64, len(src))
	idx := make([]int, len(shape))
	for i := range dst {
		// idx is the row-major multi-index of i; the column-major offset
		// has stride 1 on the first axis.
		off, stride := 0, 1
		for k := range shape {
			off += idx[k] * stride
			stride *= shape[k]
		}
		dst[i] = src[off]
		for k := len(shape) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dst
}

// WriteNPY writes img as a version 1.0 .npy file in row-major order: uint8
// when every value is an integer in 0..255, int32 for other int32
// integers, float64 otherwise.
func WriteNPY(path string, img *Image) error {
	if err := img.check(); err != nil {
		return wrapErr(path, err)
	}
	lo, hi, isInt := integerRange(img.Data)
	descr, size := "<f8", 8
	switch {
	case isInt && lo >= 0 && hi <= math.MaxUint8:
		descr, size = "|u1", 1
	case isInt && lo >= math.MinInt32 && hi <= math.MaxInt32:
		descr, size = "<i4", 4
	}
	dims := make([]string, len(img.Shape))
	for i, s := range img.Shape {
		dims[i] = strconv.Itoa(s)
	}
	tuple := strings.Join(dims, ", ")
	if len(dims) == 1 {
		tuple += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	pad := 64 - (len(npyMagic)+4+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	return WriteFileAtomic(path, func(w io.Writer) error {
		pre := []byte(npyMagic + "\x01\x00\x00\x00")
		binary.LittleEndian.PutUint16(pre[8:], uint16(len(h)))
		if _, err := w.Write(append(pre, h...)); err != nil {
			return err
		}
		b := make([]byte, len(img.Data)*size)
		for i, v := range img.Data {
			switch size {
			case 1:
				b[i] = uint8(v)
			case 4:
				binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v)))
			default:
				binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
			}
		}
		_, err := w.Write(b)
		return err
	})
}
