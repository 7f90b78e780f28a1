package maskio

import (
	"bytes"
	"compress/gzip"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"testing"
)

// fuzzDecoder seeds f with the testdata files of one format and checks
// that decoding arbitrary bytes never panics, that a decoded image is
// consistent, and that it agrees with the independent check of the format
// (nil when there is none).
func fuzzDecoder(f *testing.F, seeds []string, decode func(*bytes.Reader) (*Image, error), against func(t *testing.T, b []byte, img *Image, err error)) {
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decode(bytes.NewReader(b))
		if err == nil {
			if err := img.check(); err != nil {
				t.Fatalf("decoded image is inconsistent: %v", err)
			}
		}
		if against != nil {
			against(t, b, img, err)
		}
	})
}

// FuzzDecodePNG compares DecodePNG with image/png: every PNG that
// image/png decodes and whose pixels are grey (or a palette) must decode to
// the same values, and DecodePNG must refuse what image/png refuses.
func FuzzDecodePNG(f *testing.F) {
	seeds := []string{"testdata/labels2d.png"}
	for i, b := range pngSeeds() {
		p := f.TempDir() + "/seed" + string(rune('a'+i)) + ".png"
		os.WriteFile(p, b, 0o644)
		seeds = append(seeds, p)
	}
	fuzzDecoder(f, seeds, func(r *bytes.Reader) (*Image, error) { return DecodePNG(r) }, checkPNG)
}

// checkPNG is FuzzDecodePNG's comparison with image/png.
func checkPNG(t *testing.T, b []byte, img *Image, err error) {
	cfg, cerr := png.DecodeConfig(bytes.NewReader(b))
	if cerr != nil || cfg.Width*cfg.Height > 1<<22 {
		if err == nil && cerr != nil {
			t.Fatalf("DecodePNG accepted a PNG whose header image/png refuses: %v", cerr)
		}
		return // too large to decode here twice
	}
	ref, rerr := png.Decode(bytes.NewReader(b))
	if rerr != nil {
		if err == nil {
			t.Fatalf("DecodePNG accepted a PNG image/png refuses: %v", rerr)
		}
		return
	}
	bd := ref.Bounds()
	want := make([]float64, 0, bd.Dx()*bd.Dy())
	grey := true
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			var v, g, bl uint32
			switch m := ref.(type) {
			case *image.Paletted:
				v, g, bl = uint32(m.ColorIndexAt(x, y)), 0, 0
				g, bl = v, v
			case *image.NRGBA:
				c := m.NRGBAAt(x, y)
				v, g, bl = uint32(c.R), uint32(c.G), uint32(c.B)
			case *image.NRGBA64:
				c := m.NRGBA64At(x, y)
				v, g, bl = uint32(c.R), uint32(c.G), uint32(c.B)
			case *image.Gray:
				v = uint32(m.GrayAt(x, y).Y)
				g, bl = v, v
			case *image.Gray16:
				v = uint32(m.Gray16At(x, y).Y)
				g, bl = v, v
			case *image.RGBA:
				c := m.RGBAAt(x, y)
				v, g, bl = uint32(c.R), uint32(c.G), uint32(c.B)
			case *image.RGBA64:
				c := m.RGBA64At(x, y)
				v, g, bl = uint32(c.R), uint32(c.G), uint32(c.B)
			default:
				c := color.NRGBA64Model.Convert(ref.At(x, y)).(color.NRGBA64)
				v, g, bl = uint32(c.R), uint32(c.G), uint32(c.B)
			}
			grey = grey && v == g && g == bl
			want = append(want, float64(v))
		}
	}
	if !grey {
		if err == nil {
			t.Fatal("DecodePNG accepted a colour PNG")
		}
		return
	}
	if err != nil {
		t.Fatalf("DecodePNG refused a grey PNG image/png decodes: %v", err)
	}
	if !equal(img.Data, want) {
		t.Fatalf("DecodePNG read %v, image/png %v", img.Data, want)
	}
}

// pngSeeds returns small PNGs of every colour type DecodePNG reads.
func pngSeeds() [][]byte {
	var out [][]byte
	r := image.Rect(0, 0, 3, 2)
	g16 := image.NewGray16(r)
	nrgba := image.NewNRGBA(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.Gray{7}})
	for i := 0; i < 6; i++ {
		g16.SetGray16(i%3, i/3, color.Gray16{uint16(i * 9000)})
		nrgba.SetNRGBA(i%3, i/3, color.NRGBA{uint8(i), uint8(i), uint8(i), uint8(i * 40)})
		pal.SetColorIndex(i%3, i/3, uint8(i%3))
	}
	for _, m := range []image.Image{g16, nrgba, pal} {
		var b bytes.Buffer
		png.Encode(&b, m)
		out = append(out, b.Bytes())
	}
	return append(out, pngLA(3, 2, func(x, y int) (uint8, uint8) { return uint8(x + y), 0 }))
}

// FuzzDecodeNIfTI checks, besides consistency, that a gzip-compressed
// NIfTI file is accepted only when compress/gzip reads the whole stream
// without a checksum error.
func FuzzDecodeNIfTI(f *testing.F) {
	fuzzDecoder(f, []string{"testdata/labels3d.nii.gz", "testdata/probs3d.nii"}, func(r *bytes.Reader) (*Image, error) { return DecodeNIfTI(r) },
		func(t *testing.T, b []byte, img *Image, err error) {
			if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
				return
			}
			zr, zerr := gzip.NewReader(bytes.NewReader(b))
			if zerr == nil {
				_, zerr = io.Copy(io.Discard, zr)
			}
			if zerr != nil {
				t.Fatalf("DecodeNIfTI accepted a gzip stream compress/gzip refuses: %v", zerr)
			}
		})
}

// FuzzDecodeNPY checks, besides consistency, that a decoded array is no
// larger than the bytes it came from.
func FuzzDecodeNPY(f *testing.F) {
	fuzzDecoder(f, []string{"testdata/labels3d.npy"}, func(r *bytes.Reader) (*Image, error) { return DecodeNPY(r) },
		func(t *testing.T, b []byte, img *Image, err error) {
			if err == nil && len(img.Data) > len(b) {
				t.Fatalf("decoded %d values from %d bytes", len(img.Data), len(b))
			}
		})
}
