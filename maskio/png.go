package maskio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"
)

// maxPNGPixels bounds the pixel count a PNG header may declare.
const maxPNGPixels = 1 << 28

// ReadPNG reads a PNG file as a 2-D image of shape [H, W] with spacing 1.
// 8-bit grey images give raw values 0..255, 16-bit grey images 0..65535 and
// palette images their palette index. Colour images are accepted only when
// every pixel is grey (R = G = B); alpha is ignored.
func ReadPNG(path string) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, wrapErr(path, err)
	}
	img, err := DecodePNG(bytes.NewReader(b))
	return img, wrapErr(path, err)
}

// DecodePNG decodes a PNG stream as ReadPNG does.
func DecodePNG(r io.Reader) (*Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a valid PNG: %w", err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPNGPixels {
		return nil, fmt.Errorf("PNG of %dx%d pixels is too large", cfg.Width, cfg.Height)
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		// The decoder reports a file cut short as an unexpected EOF or,
		// when the image data stream ends early, as missing pixel data.
		if msg := err.Error(); errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "not enough pixel data") {
			return nil, fmt.Errorf("truncated PNG: %w", err)
		}
		return nil, fmt.Errorf("corrupt PNG: %w", err)
	}
	bounds := src.Bounds()
	h, w := bounds.Dy(), bounds.Dx()
	data := make([]float64, h*w)
	bits := 8
	switch m := src.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				data[y*w+x] = float64(v)
			}
		}
	case *image.Gray16:
		bits = 16
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				data[y*w+x] = float64(uint16(row[2*x])<<8 | uint16(row[2*x+1]))
			}
		}
	case *image.Paletted:
		bits = 0
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				data[y*w+x] = float64(v)
			}
		}
	default:
		var err error
		if bits, err = greyFromColour(src, data, cfg.ColorModel); err != nil {
			return nil, err
		}
	}
	return &Image{Shape: []int{h, w}, Spacing: []float64{1, 1}, Data: data, Kind: "png", Bits: bits}, nil
}

// greyFromColour fills data from a colour image whose pixels are all grey,
// as 8-bit values for 8-bit models and 16-bit values otherwise, and
// returns the bit depth.
func greyFromColour(src image.Image, data []float64, model color.Model) (int, error) {
	shift, bits := uint32(8), 8
	if model == color.RGBA64Model || model == color.NRGBA64Model {
		shift, bits = 0, 16
	}
	b := src.Bounds()
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
			if c.R != c.G || c.G != c.B {
				return 0, fmt.Errorf("unsupported PNG: colour pixel (%d,%d,%d) at x=%d y=%d; want grey or palette images",
					c.R>>shift, c.G>>shift, c.B>>shift, x-b.Min.X, y-b.Min.Y)
			}
			data[(y-b.Min.Y)*w+x-b.Min.X] = float64(uint32(c.R) >> shift)
		}
	}
	return bits, nil
}

// WritePNG writes a 2-D image as an 8-bit grey PNG when every value is an
// integer in 0..255, and as a 16-bit grey PNG when every value is an
// integer in 0..65535; other values are an error.
func WritePNG(path string, img *Image) error {
	if err := img.check(); err != nil {
		return wrapErr(path, err)
	}
	if len(img.Shape) != 2 {
		return fileErr(path, "PNG needs a 2-D image, got shape %v", img.Shape)
	}
	h, w := img.Shape[0], img.Shape[1]
	lo, hi, ok := integerRange(img.Data)
	if !ok || lo < 0 || hi > 65535 {
		return fileErr(path, "PNG holds integers 0..65535, values span %v..%v (integers: %v)", lo, hi, ok)
	}
	var out image.Image
	if hi <= 255 {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range img.Data {
			m.Pix[i] = uint8(v)
		}
		out = m
	} else {
		m := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range img.Data {
			m.Pix[2*i], m.Pix[2*i+1] = uint8(uint16(v)>>8), uint8(v)
		}
		out = m
	}
	return WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, out) })
}
