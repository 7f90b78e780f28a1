package maskio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
)

// ReadPNG reads a PNG file as a 2-D image of shape [H, W] with spacing 1.
// 8-bit grey images give raw values 0..255, 16-bit grey images 0..65535 and
// palette images their palette index. Colour images are accepted only when
// every pixel is grey (R = G = B); alpha is ignored, also where it is 0
// (the colour values of transparent pixels are kept). The declared size is
// checked against the voxel ceiling and against what the compressed data
// can hold before the pixels are decoded.
func ReadPNG(path string) (*Image, error) {
	return readFile(path, ReadOptions{}, decodePNG)
}

// DecodePNG decodes a PNG stream as ReadPNG does.
func DecodePNG(r io.Reader) (*Image, error) { return decodePNG(r, streamLimits()) }

// decodePNG decodes a PNG stream under the limits l.
func decodePNG(r io.Reader, l limits) (*Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a valid PNG: %w", err)
	}
	if err := l.pngFits(b, cfg); err != nil {
		return nil, err
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
	case *image.NRGBA:
		if err := greyFromNRGBA(m.Pix, m.Stride, 1, w, h, data); err != nil {
			return nil, err
		}
	case *image.NRGBA64:
		bits = 16
		if err := greyFromNRGBA(m.Pix, m.Stride, 2, w, h, data); err != nil {
			return nil, err
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

// pngFits checks the size a valid PNG header (b, cfg) declares before the
// pixels are decoded: against the pixel ceiling, and against what the
// compressed data can hold.
func (l limits) pngFits(b []byte, cfg image.Config) error {
	if _, err := l.voxels([]int{cfg.Height, cfg.Width}, pngInput); err != nil {
		return err
	}
	// The header is valid, so IHDR's bit depth and colour type are at
	// bytes 24 and 25. The filtered rows take at least this many bytes
	// (more when interlaced); deflate cannot expand to more than
	// maxDeflateRatio times the file.
	channels := map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[b[25]]
	row := (int64(cfg.Width)*channels*int64(b[24]) + 7) / 8
	if raw := int64(cfg.Height) * (1 + row); raw > maxDeflateRatio*int64(len(b))+deflateSlack {
		return fmt.Errorf("corrupt PNG: %dx%d pixels need %d bytes of image data, more than %d compressed bytes can hold",
			cfg.Width, cfg.Height, raw, len(b))
	}
	return nil
}

// greyFromNRGBA fills data from the non-premultiplied pixels of an NRGBA
// (bytes = 1) or NRGBA64 (bytes = 2) image, whose colour values survive
// where alpha is 0, and fails on the first pixel that is not grey.
func greyFromNRGBA(pix []byte, stride, bytes, w, h int, data []float64) error {
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*bytes*w]
		for x := 0; x < w; x++ {
			p := row[4*bytes*x:]
			var c [3]uint32
			for k := range c {
				if bytes == 1 {
					c[k] = uint32(p[k])
				} else {
					c[k] = uint32(p[2*k])<<8 | uint32(p[2*k+1])
				}
			}
			if c[0] != c[1] || c[1] != c[2] {
				return fmt.Errorf("unsupported PNG: colour pixel (%d,%d,%d) at x=%d y=%d; want grey or palette images", c[0], c[1], c[2], x, y)
			}
			data[y*w+x] = float64(c[0])
		}
	}
	return nil
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
