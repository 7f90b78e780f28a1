package maskio

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// niftiBomb returns a NIfTI-1 file declaring dims (nx, ny, nz) of uint8
// voxels followed by body bytes of zeros, gzip-compressed when gz is set.
func niftiBomb(t testing.TB, nx, ny, nz int16, body int, gz bool) []byte {
	t.Helper()
	h := &NiftiHeader{Order: binary.LittleEndian, Magic: "n+1", Datatype: niftiUint8, Bitpix: 8, VoxOffset: niftiMinOffset}
	h.Dim = [8]int16{3, nx, ny, nz, 1, 1, 1, 1}
	h.Pixdim = [8]float32{1, 1, 1, 1}
	var b bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
	} = &b
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&b)
		w = zw
	}
	w.Write(h.marshal())
	w.Write(make([]byte, niftiMinOffset-niftiHeaderSize))
	zero := make([]byte, 1<<20)
	for body > 0 {
		k := min(body, len(zero))
		w.Write(zero[:k])
		body -= k
	}
	if zw != nil {
		zw.Close()
	}
	return b.Bytes()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// readBytes writes data to a file named name and reads it with o.
func readBytes(t *testing.T, name string, data []byte, o ReadOptions) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := o.Read(path)
	return path, err
}

// TestDecompressionBombs checks that files declaring far more voxels than
// they hold are refused, naming the file, before the voxels are allocated
// (issue 15, findings 4 and 7): by the default ceilings, and without a
// ceiling by the checks of the declared size against the file size.
func TestDecompressionBombs(t *testing.T) {
	gzBomb := niftiBomb(t, 1024, 1024, 1024, 8<<20, true) // declares 1 GiB, holds 8 MiB
	plainBomb := niftiBomb(t, 1024, 1024, 1024, 1<<20, false)
	npyBomb := npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (32768, 32768), }", make([]byte, 1<<20))
	for _, tc := range []struct {
		name          string
		data          []byte
		want, wantAll string // the reason with the default ceilings, and with none
	}{
		{"bomb.nii.gz", gzBomb, "ceiling of 268435456 for gzip-compressed files", "header declares 1073741824 bytes of voxel data, more than the"},
		{"bomb.nii", plainBomb, "truncated: need 1073741824 bytes of voxel data, got 1048576", "truncated: need 1073741824 bytes of voxel data, got 1048576"},
		{"bomb.npy", npyBomb, "truncated: need 8589934592 bytes of array data", "truncated: need 8589934592 bytes of array data"},
		{"bomb.png", pngBomb(t, 16384, 16384), "ceiling of 67108864 for PNG and JPEG", "corrupt PNG: 16384x16384 pixels need"},
	} {
		for _, o := range []ReadOptions{{}, {MaxVoxels: -1}} {
			want := tc.want
			if o.MaxVoxels < 0 {
				want = tc.wantAll
			}
			var path string
			var err error
			alloc := allocated(func() { path, err = readBytes(t, tc.name, tc.data, o) })
			var fe *FileError
			if err == nil || !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %+v: error %v, want one naming the file and containing %q", tc.name, o, err, want)
			}
			if limit := uint64(len(tc.data)) + 64<<20; alloc > limit {
				t.Errorf("%s %+v: reading allocated %d MiB, want at most %d MiB", tc.name, o, alloc>>20, limit>>20)
			}
		}
	}
	// From a stream of unknown size the voxels are read in chunks, so
	// memory follows the bytes the stream holds.
	var err error
	short := niftiBomb(t, 512, 512, 512, 8<<20, true)
	alloc := allocated(func() { _, err = DecodeNIfTI(bytes.NewReader(short)) })
	if err == nil || !strings.Contains(err.Error(), "truncated: need 134217728 bytes of voxel data, got 8388608") {
		t.Errorf("gzip bomb stream: %v", err)
	}
	if alloc > 64<<20 {
		t.Errorf("gzip bomb stream: reading allocated %d MiB, want at most 64 MiB", alloc>>20)
	}
}

// TestMaxVoxels checks the ceiling of ReadOptions on every format.
func TestMaxVoxels(t *testing.T) {
	for _, name := range []string{"labels3d.nii.gz", "probs3d.nii", "labels3d.npy", "labels2d.png"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readBytes(t, name, data, ReadOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path, err := readBytes(t, name, data, ReadOptions{MaxVoxels: 10})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "ceiling of 10 (raise it with --max-voxels)") {
			t.Errorf("%s under a ceiling of 10 voxels: %v", name, err)
		}
		if _, err := readBytes(t, name, data, ReadOptions{MaxVoxels: -1}); err != nil {
			t.Errorf("%s without a ceiling: %v", name, err)
		}
	}
}

// TestShapeOverflow checks that shapes whose product wraps around are an
// error, not a match with a short slice (issue 15, finding 1).
func TestShapeOverflow(t *testing.T) {
	for _, shape := range []string{"(4611686018427387904, 4)", "(2, 1, 4611686018427387904, 2)"} {
		b := npyFile(1, "{'descr': '|u1', 'fortran_order': False, 'shape': "+shape+", }", nil)
		if _, err := DecodeNPY(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "corrupt header") {
			t.Errorf("shape %s: %v", shape, err)
		}
	}
	im := &Image{Shape: []int{2, 1, 1 << 62, 2}, Data: []float64{}}
	if err := im.check(); err == nil {
		t.Error("check accepted a shape whose product overflows to 0")
	}
	if im.Len() != -1 {
		t.Errorf("Len = %d, want -1", im.Len())
	}
	if err := Write(filepath.Join(t.TempDir(), "x.npy"), im); err == nil {
		t.Error("Write accepted a shape whose product overflows to 0")
	}
}

// TestCorruptGzipChecksum checks that a .nii.gz whose gzip checksum does
// not match is refused (issue 15, finding 6).
func TestCorruptGzipChecksum(t *testing.T) {
	good, err := os.ReadFile("testdata/labels3d.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   int
	}{
		{"crc.nii.gz", len(good) - 8},  // the CRC-32 of the trailer
		{"size.nii.gz", len(good) - 2}, // the length of the trailer
	} {
		bad := append([]byte(nil), good...)
		bad[tc.at] ^= 0x10
		if _, err := readBytes(t, tc.name, bad, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "gzip") {
			t.Errorf("%s: error %v, want a gzip checksum error", tc.name, err)
		}
	}
	// A bit flipped anywhere in the compressed data is an error too.
	for at := 20; at < len(good)-8; at += 7 {
		bad := append([]byte(nil), good...)
		bad[at] ^= 0x04
		img, err := DecodeNIfTI(bytes.NewReader(bad))
		if err == nil {
			ref, _ := DecodeNIfTI(bytes.NewReader(good))
			if !equal(img.Data, ref.Data) {
				t.Errorf("bit flipped at byte %d: different voxels read without error", at)
			}
		}
	}
}

// TestPNGAlphaZero checks that grey values survive where alpha is 0, in
// RGBA and grey+alpha (LA) PNGs of 8 and 16 bits (issue 15, finding 10).
func TestPNGAlphaZero(t *testing.T) {
	want := []float64{0, 1, 2, 3, 200, 255}
	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	rgba64 := image.NewNRGBA64(image.Rect(0, 0, 3, 2))
	for i, v := range want {
		rgba.SetNRGBA(i%3, i/3, color.NRGBA{uint8(v), uint8(v), uint8(v), uint8(i % 2 * 255)})
		rgba64.SetNRGBA64(i%3, i/3, color.NRGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, 0})
	}
	var b8, b16 bytes.Buffer
	png.Encode(&b8, rgba)
	png.Encode(&b16, rgba64)
	la := pngLA(3, 2, func(x, y int) (uint8, uint8) { return uint8(want[y*3+x]), 0 })
	for _, tc := range []struct {
		name  string
		data  []byte
		scale float64
	}{{"rgba8", b8.Bytes(), 1}, {"rgba16", b16.Bytes(), 257}, {"la8", la, 1}} {
		img, err := DecodePNG(bytes.NewReader(tc.data))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		w := scaled(append([]float64(nil), want...), tc.scale)
		if !equal(img.Data, w) {
			t.Errorf("%s: read %v, want %v", tc.name, img.Data, w)
		}
	}
}

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	c := append([]byte(typ), data...)
	b = append(b, c...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(c))
}

// pngLA encodes an 8-bit grey+alpha PNG (colour type 4), which
// image/png cannot write.
func pngLA(w, h int, px func(x, y int) (grey, alpha uint8)) []byte {
	var raw bytes.Buffer
	for y := 0; y < h; y++ {
		raw.WriteByte(0)
		for x := 0; x < w; x++ {
			g, a := px(x, y)
			raw.Write([]byte{g, a})
		}
	}
	return pngFile(w, h, 8, 4, raw.Bytes())
}

// pngFile returns a PNG of the given size, bit depth and colour type whose
// image data is the zlib compression of raw.
func pngFile(w, h int, depth, colorType byte, raw []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(raw)
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = pngChunk(b, "IHDR", ihdr)
	b = pngChunk(b, "IDAT", z.Bytes())
	return pngChunk(b, "IEND", nil)
}

// pngBomb returns a 16-bit RGBA PNG declaring w×h pixels whose image data
// is only a few rows of zeros.
func pngBomb(t testing.TB, w, h int) []byte {
	return pngFile(w, h, 16, 6, make([]byte, 16*(1+8*w)))
}

// TestReadInputCeilings checks that model inputs (colour PNG and JPEG
// included) are read under the same ceilings and size checks.
func TestReadInputCeilings(t *testing.T) {
	dir := t.TempDir()
	rgb := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, rgb)
	p := filepath.Join(dir, "rgb.png")
	os.WriteFile(p, b.Bytes(), 0o644)
	if in, err := ReadInput(p); err != nil || in.Channels != 3 {
		t.Fatalf("ReadInput: %v, %v", in, err)
	}
	if _, err := (ReadOptions{MaxVoxels: 10}).ReadInput(p); err == nil || !strings.Contains(err.Error(), "ceiling of 10") || !strings.Contains(err.Error(), p) {
		t.Errorf("colour PNG under a ceiling of 10: %v", err)
	}
	bomb := filepath.Join(dir, "bomb.png")
	os.WriteFile(bomb, pngBomb(t, 16384, 16384), 0o644)
	for _, o := range []ReadOptions{{}, {MaxVoxels: -1}} {
		var err error
		alloc := allocated(func() { _, err = o.ReadInput(bomb) })
		if err == nil || alloc > 64<<20 {
			t.Errorf("colour PNG bomb %+v: %v after %d MiB", o, err, alloc>>20)
		}
	}
	nii := filepath.Join(dir, "v.nii.gz")
	os.WriteFile(nii, niftiBomb(t, 1024, 1024, 1024, 1<<20, true), 0o644)
	if _, err := ReadInput(nii); err == nil || !strings.Contains(err.Error(), "ceiling of 268435456") {
		t.Errorf("NIfTI bomb as input: %v", err)
	}
}
