package maskio

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Input is an image read as model input: one or more channels over a
// spatial grid.
type Input struct {
	// Image holds the spatial shape and spacing (and the NIfTI header) of
	// one channel; its Data holds all the channels, one after the other
	// (channel-major), so len(Data) = Channels × Len().
	*Image
	// Channels is the number of channels: 1 for grey images and 3-D
	// volumes, 3 for RGB and RGBA images (alpha is dropped), the size of
	// the fourth axis of a 4-D NIfTI or NPY file (e.g. the modalities of a
	// Decathlon volume).
	Channels int
}

// InputFormat returns the format of an input image judged by its
// extension: what Format returns, or "jpeg" for .jpg and .jpeg.
func InputFormat(path string) string {
	if f := Format(path); f != "" {
		return f
	}
	p := strings.ToLower(path)
	if strings.HasSuffix(p, ".jpg") || strings.HasSuffix(p, ".jpeg") {
		return "jpeg"
	}
	return ""
}

// InputCaseName is CaseName that also strips .jpg and .jpeg.
func InputCaseName(path string) string {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, ext := range []string{".jpeg", ".jpg"} {
		if strings.HasSuffix(lower, ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return CaseName(path)
}

// ReadInput reads an image file as model input. Grey PNG files give one
// channel, as ReadPNG reads them; RGB and RGBA PNG files (colour types 2
// and 6), colour palettes and colour JPEG files give three channels R, G,
// B (8-bit 0..255 or 16-bit 0..65535), alpha dropped; grey JPEG files one.
// NIfTI and NPY files with four axes give one channel per entry of the
// slowest axis (the fourth NIfTI axis: the modalities of a Decathlon
// volume); with two or three axes, one channel. A NaN or infinite voxel is
// an error naming the file, the channel and the voxel.
func ReadInput(path string) (*Input, error) { return ReadOptions{}.ReadInput(path) }

// ReadInput reads an image file as model input as the package function
// ReadInput does, under the ceilings of o.
func (o ReadOptions) ReadInput(path string) (*Input, error) {
	var in *Input
	switch InputFormat(path) {
	case "png", "jpeg":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, wrapErr(path, err)
		}
		if in, err = decodeColour(b, InputFormat(path), limits{maxVoxels: o.MaxVoxels, size: int64(len(b))}); err != nil {
			return nil, wrapErr(path, err)
		}
	case "":
		return nil, fileErr(path, "unsupported file type %q (want .png, .jpg, .nii, .nii.gz or .npy)", filepath.Ext(path))
	default:
		img, err := o.Read(path)
		if err != nil {
			return nil, err
		}
		in = &Input{Image: img, Channels: 1}
		if len(img.Shape) == 4 {
			in.Channels = img.Shape[0]
			img.Shape = img.Shape[1:]
			if img.Spacing != nil {
				img.Spacing = img.Spacing[1:]
			}
		}
	}
	n := in.Len()
	for i, v := range in.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			where := fmt.Sprintf("voxel %d", i%max(n, 1))
			if in.Channels > 1 {
				where = fmt.Sprintf("channel %d, %s", i/max(n, 1), where)
			}
			return nil, fileErr(path, "value %v at %s: images must hold finite numbers", v, where)
		}
	}
	return in, nil
}

// Channel returns channel c of in.
func (in *Input) Channel(c int) []float64 {
	n := in.Len()
	return in.Data[c*n : (c+1)*n]
}

// pngColourType returns the colour type byte of a PNG's IHDR chunk.
func pngColourType(b []byte) int {
	if len(b) < 26 {
		return -1
	}
	return int(b[25])
}

// decodeColour decodes a PNG or JPEG as model input under the limits l.
func decodeColour(b []byte, format string, l limits) (*Input, error) {
	if format == "png" {
		switch pngColourType(b) {
		case 0, 4: // grey, grey + alpha: as the mask reader reads them
			img, err := decodePNG(bytes.NewReader(b), l)
			if err != nil {
				return nil, err
			}
			return &Input{Image: img, Channels: 1}, nil
		}
	}
	var cfg image.Config
	var err error
	if format == "png" {
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("not a valid %s: %w", strings.ToUpper(format), err)
	}
	if format == "png" {
		err = l.pngFits(b, cfg)
	} else {
		_, err = l.voxels([]int{cfg.Height, cfg.Width}, pngInput)
	}
	if err != nil {
		return nil, err
	}
	var src image.Image
	if format == "png" {
		src, err = png.Decode(bytes.NewReader(b))
	} else {
		src, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt %s: %w", strings.ToUpper(format), err)
	}
	bounds := src.Bounds()
	h, w := bounds.Dy(), bounds.Dx()
	shift := uint32(8)
	bits := 8
	if cfg.ColorModel == color.RGBA64Model || cfg.ColorModel == color.NRGBA64Model {
		shift, bits = 0, 16
	}
	if g, ok := src.(*image.Gray); ok { // grey JPEG
		data := make([]float64, h*w)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				data[y*w+x] = float64(g.Pix[y*g.Stride+x])
			}
		}
		return &Input{Image: &Image{Shape: []int{h, w}, Spacing: []float64{1, 1}, Data: data, Kind: format, Bits: 8}, Channels: 1}, nil
	}
	n := h * w
	data := make([]float64, 3*n)
	grey := true
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := nrgba64At(src, bounds.Min.X+x, bounds.Min.Y+y)
			i := y*w + x
			data[i], data[n+i], data[2*n+i] = float64(uint32(c.R)>>shift), float64(uint32(c.G)>>shift), float64(uint32(c.B)>>shift)
			grey = grey && c.R == c.G && c.G == c.B
		}
	}
	img := &Image{Shape: []int{h, w}, Spacing: []float64{1, 1}, Kind: format, Bits: bits}
	if _, pal := src.(*image.Paletted); pal && grey {
		img.Data = data[:n] // a grey palette: one channel
		return &Input{Image: img, Channels: 1}, nil
	}
	img.Data = data
	return &Input{Image: img, Channels: 3}, nil
}

// nrgba64At returns the colour of src at (x, y) without alpha
// premultiplication, so that a transparent pixel keeps its colour values.
func nrgba64At(src image.Image, x, y int) color.NRGBA64 {
	switch m := src.(type) {
	case *image.NRGBA:
		c := m.NRGBAAt(x, y)
		return color.NRGBA64{uint16(c.R) * 0x101, uint16(c.G) * 0x101, uint16(c.B) * 0x101, uint16(c.A) * 0x101}
	case *image.NRGBA64:
		return m.NRGBA64At(x, y)
	}
	return color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
}
