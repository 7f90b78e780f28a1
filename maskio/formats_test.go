package maskio

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// TestPNGPaletteAndGreyColour checks that palette images read as their
// indices and grey RGB images as grey levels, and colour images fail.
func TestPNGPaletteAndGreyColour(t *testing.T) {
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}})
	copy(pal.Pix, []uint8{0, 1, 2, 2, 1, 0})
	rgb := image.NewRGBA(image.Rect(0, 0, 2, 1))
	rgb.Set(0, 0, color.RGBA{7, 7, 7, 255})
	rgb.Set(1, 0, color.RGBA{200, 200, 200, 255})
	red := image.NewRGBA(image.Rect(0, 0, 1, 1))
	red.Set(0, 0, color.RGBA{255, 0, 0, 255})
	for _, tc := range []struct {
		img   image.Image
		shape []int
		want  []float64
		fails bool
	}{
		{pal, []int{2, 3}, []float64{0, 1, 2, 2, 1, 0}, false},
		{rgb, []int{1, 2}, []float64{7, 200}, false},
		{red, nil, nil, true},
	} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, tc.img); err != nil {
			t.Fatal(err)
		}
		got, err := DecodePNG(&buf)
		if tc.fails {
			if err == nil {
				t.Errorf("colour image accepted")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !got.SameShape(&Image{Shape: tc.shape}) || !equal(got.Data, tc.want) {
			t.Errorf("got %v %v, want %v %v", got.Shape, got.Data, tc.shape, tc.want)
		}
	}
}

// TestNIfTIBigEndian checks every voxel type in big-endian byte order.
func TestNIfTIBigEndian(t *testing.T) {
	src, err := Read("testdata/labels3d.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	h := *src.Header
	h.Order = binary.BigEndian
	for dt, size := range niftiTypeSize {
		h.Datatype, h.Bitpix = dt, int16(8*size)
		var raw bytes.Buffer
		raw.Write(h.marshal())
		raw.Write(make([]byte, 4))
		raw.Write(encodeAny(src.Data, dt, binary.BigEndian))
		got, err := DecodeNIfTI(&raw)
		if err != nil {
			t.Fatalf("datatype %d: %v", dt, err)
		}
		if !equal(got.Data, src.Data) || !equal(got.Spacing, src.Spacing) {
			t.Fatalf("datatype %d: big-endian data or spacing differ", dt)
		}
	}
}

// npyFile builds a .npy stream of the given version, header and data.
func npyFile(version byte, header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{version, 0})
	if version == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestNPYVariants(t *testing.T) {
	be := make([]byte, 8*6)
	le := make([]byte, 4*6)
	for i := 0; i < 6; i++ {
		binary.BigEndian.PutUint64(be[8*i:], math.Float64bits(float64(i)+0.5))
		binary.LittleEndian.PutUint32(le[4*i:], uint32(int32(i-3)))
	}
	for _, tc := range []struct {
		name string
		file []byte
		want []float64
	}{
		{"big-endian f8", npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }\n", be), []float64{0.5, 1.5, 2.5, 3.5, 4.5, 5.5}},
		// Column-major [[0 2 4] [1 3 5]] of values i-3.
		{"fortran i4", npyFile(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }\n", le), []float64{-3, -1, 1, -2, 0, 2}},
		{"version 2 bool", npyFile(2, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n", []byte{0, 1, 2}), []float64{0, 1, 1}},
	} {
		got, err := DecodeNPY(bytes.NewReader(tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !equal(got.Data, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got.Data, tc.want)
		}
	}
	for _, bad := range []string{
		"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
		"{'descr': '<f4', 'shape': (1,), }",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
		"{'descr': 'O', 'fortran_order': False, 'shape': (1,), }",
	} {
		if _, err := DecodeNPY(bytes.NewReader(npyFile(1, bad, make([]byte, 8)))); err == nil {
			t.Errorf("header %s accepted", bad)
		}
	}
}
