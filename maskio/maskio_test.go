package maskio

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate the files in testdata")

// hippocampusDir returns ../shared/data/hippocampus relative to the
// repository root, found from this test file, or skips the test.
func hippocampusDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "shared", "data", "hippocampus")
	if _, err := os.Stat(filepath.Join(dir, "labelsTr")); err != nil {
		t.Skipf("hippocampus data set not present: %v", err)
	}
	return dir
}

// sphereVolume returns a [d, h, w] label volume: label 1 in a ball of the
// given radius around the centre, label 2 in a box in one corner.
func sphereVolume(d, h, w int, r float64) []float64 {
	data := make([]float64, d*h*w)
	for z := 0; z < d; z++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dz, dy, dx := float64(z)-float64(d)/2, float64(y)-float64(h)/2, float64(x)-float64(w)/2
				i := (z*h+y)*w + x
				switch {
				case dz*dz+dy*dy+dx*dx <= r*r:
					data[i] = 1
				case z < 2 && y < 3 && x < 3:
					data[i] = 2
				}
			}
		}
	}
	return data
}

// TestGenerateTestdata writes the small reader seed files with -update and
// otherwise checks that they read back as generated.
func TestGenerateTestdata(t *testing.T) {
	files := map[string]*Image{
		"testdata/labels2d.png":    {Shape: []int{12, 16}, Data: sphereVolume(1, 12, 16, 4)},
		"testdata/labels3d.nii.gz": {Shape: []int{6, 8, 10}, Spacing: []float64{2.5, 1, 0.8}, Data: sphereVolume(6, 8, 10, 3)},
		"testdata/probs3d.nii":     {Shape: []int{4, 5, 6}, Spacing: []float64{1, 1, 1}, Data: scaled(sphereVolume(4, 5, 6, 2), 0.25)},
		"testdata/labels3d.npy":    {Shape: []int{4, 5, 6}, Data: sphereVolume(4, 5, 6, 2)},
	}
	for path, want := range files {
		if *update {
			if err := Write(path, want); err != nil {
				t.Fatal(err)
			}
		}
		got, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if !got.SameShape(want) || !equal(got.Data, want.Data) {
			t.Errorf("%s: read back %v, want %v", path, got.Shape, want.Shape)
		}
	}
}

func scaled(x []float64, s float64) []float64 {
	for i := range x {
		x[i] *= s
	}
	return x
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		shape []int
		gen   func() float64
	}{
		{"a.png", []int{7, 9}, func() float64 { return float64(rng.Intn(256)) }},
		{"b.png", []int{5, 3}, func() float64 { return float64(rng.Intn(65536)) }},
		{"c.nii", []int{3, 4, 5}, func() float64 { return float64(rng.Intn(3)) }},
		{"d.nii.gz", []int{2, 3, 4}, func() float64 { return float64(rng.Intn(60000) - 30000) }},
		{"e.nii.gz", []int{2, 2, 3, 4}, func() float64 { return rng.Float64() }},
		{"f.nii", []int{6}, func() float64 { return float64(float32(rng.NormFloat64())) }},
		{"g.npy", []int{3, 4}, func() float64 { return rng.NormFloat64() }},
		{"h.npy", []int{2, 3, 4}, func() float64 { return float64(rng.Intn(200)) }},
		{"i.npy", []int{5}, func() float64 { return float64(rng.Intn(1e6) - 5e5) }},
	} {
		img := &Image{Shape: tc.shape, Data: make([]float64, 1)}
		n := img.Len()
		img.Data = make([]float64, n)
		for i := range img.Data {
			img.Data[i] = tc.gen()
		}
		img.Spacing = make([]float64, len(tc.shape))
		for i := range img.Spacing {
			img.Spacing[i] = 1
			if Format(tc.name) == "nifti" {
				img.Spacing[i] = 0.5 + float64(i)
			}
		}
		path := filepath.Join(dir, tc.name)
		if err := Write(path, img); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := Read(path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !got.SameShape(img) || !equal(got.Data, img.Data) || !equal(got.Spacing, img.Spacing) {
			t.Errorf("%s: round trip changed the image: shape %v spacing %v", tc.name, got.Shape, got.Spacing)
		}
	}
}

// TestNIfTIHeaderKept checks that writing an image read from NIfTI keeps
// the header's geometry, and that vox_offset 0 reads as 352.
func TestNIfTIHeaderKept(t *testing.T) {
	src, err := Read("testdata/labels3d.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	src.Header.Raw[252] = 1 // qform_code
	copy(src.Header.Raw[148:], "kept description")
	src.Header.VoxOffset = 0
	path := filepath.Join(t.TempDir(), "x.nii")
	if err := Write(path, src); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	copy(b[108:112], []byte{0, 0, 0, 0}) // vox_offset 0 means 352
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got.Header.Raw[148:]), "kept description") || got.Header.Raw[252] != 1 {
		t.Errorf("header fields lost")
	}
	if !equal(got.Data, src.Data) || !equal(got.Spacing, []float64{2.5, 1, float64(float32(0.8))}) {
		t.Errorf("data or spacing changed: %v", got.Spacing)
	}
	if got.Header.Datatype != niftiUint8 {
		t.Errorf("labels written as datatype %d, want uint8", got.Header.Datatype)
	}
}

func TestNIfTIScalingAndTypes(t *testing.T) {
	src, err := Read("testdata/labels3d.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	h := *src.Header
	h.SclSlope, h.SclInter = 2, -1
	for dt, size := range niftiTypeSize {
		h.Datatype, h.Bitpix = dt, int16(8*size)
		var raw bytes.Buffer
		raw.Write(h.marshal())
		raw.Write(make([]byte, 4))
		raw.Write(encodeAny(src.Data, dt, h.Order))
		got, err := DecodeNIfTI(&raw)
		if err != nil {
			t.Fatalf("datatype %d: %v", dt, err)
		}
		for i, v := range got.Data {
			if v != 2*src.Data[i]-1 {
				t.Fatalf("datatype %d: voxel %d = %v, want %v", dt, i, v, 2*src.Data[i]-1)
			}
		}
	}
}

// encodeAny encodes small non-negative integers as any datatype.
func encodeAny(data []float64, dt int16, o binary.ByteOrder) []byte {
	size := niftiTypeSize[dt]
	b := make([]byte, len(data)*size)
	for i, v := range data {
		p := b[i*size:]
		switch {
		case dt == niftiFloat32:
			o.PutUint32(p, math.Float32bits(float32(v)))
		case dt == niftiFloat64:
			o.PutUint64(p, math.Float64bits(v))
		case size == 1:
			p[0] = uint8(v)
		case size == 2:
			o.PutUint16(p, uint16(v))
		case size == 4:
			o.PutUint32(p, uint32(v))
		default:
			o.PutUint64(p, uint64(v))
		}
	}
	return b
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("testdata/labels3d.nii.gz")
	zr, _ := gzip.NewReader(bytes.NewReader(good))
	var plain bytes.Buffer
	plain.ReadFrom(zr)
	npy, _ := os.ReadFile("testdata/labels3d.npy")
	png, _ := os.ReadFile("testdata/labels2d.png")
	badType := append([]byte(nil), plain.Bytes()...)
	badType[70] = 32 // complex64
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"trunc.nii", plain.Bytes()[:600], "truncated: need 480 bytes of voxel data, got 248"},
		{"trunc.nii.gz", good[:len(good)/2], "labels"},
		{"short.nii", plain.Bytes()[:100], "truncated: need 348 bytes of header"},
		{"type.nii", badType, "unsupported voxel type: datatype code 32"},
		{"junk.nii", bytes.Repeat([]byte{7}, 400), "not a NIfTI-1 file"},
		{"trunc.npy", npy[:len(npy)-10], "truncated: need 120 bytes of array data, got 110"},
		{"junk.npy", []byte("hello world"), "not a .npy file"},
		{"trunc.png", png[:len(png)-20], "truncated PNG"},
		{"x.tiff", []byte{1}, "unsupported file type"},
	} {
		path := filepath.Join(dir, tc.name)
		os.WriteFile(path, tc.data, 0o644)
		_, err := Read(path)
		var fe *FileError
		if err == nil || !errors.As(err, &fe) || fe.Path != path {
			t.Errorf("%s: error %v does not name the file", tc.name, err)
			continue
		}
		if tc.name != "trunc.nii.gz" && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.png")); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLabels(t *testing.T) {
	im := &Image{Shape: []int{3}, Data: []float64{0, 2, 1}}
	if l, err := im.Labels(); err != nil || l[1] != 2 {
		t.Errorf("Labels = %v, %v", l, err)
	}
	im.Data[2] = 0.5
	if _, err := im.Labels(); err == nil || !strings.Contains(err.Error(), "0.5") {
		t.Errorf("non-integer label accepted: %v", err)
	}
}

func TestHippocampus(t *testing.T) {
	dir := hippocampusDir(t)
	for _, name := range []string{"labelsTr/hippocampus_001.nii.gz", "imagesTr/hippocampus_001.nii.gz"} {
		img, err := Read(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(img.Shape) != 3 || img.Shape[0] != 35 || img.Shape[1] != 51 || img.Shape[2] != 35 {
			t.Errorf("%s: shape %v, want [35 51 35]", name, img.Shape)
		}
		if strings.HasPrefix(name, "labels") {
			l, err := img.Labels()
			if err != nil {
				t.Fatal(err)
			}
			var count [3]int
			for _, v := range l {
				count[v]++
			}
			if count[1] == 0 || count[2] == 0 {
				t.Errorf("%s: label counts %v", name, count)
			}
		}
	}
	// Every file of the split reads.
	matches, _ := filepath.Glob(filepath.Join(dir, "*Tr", "*.nii.gz"))
	for _, m := range matches {
		if _, err := Read(m); err != nil {
			t.Error(err)
		}
	}
}
