package maskio

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestMaskValues(t *testing.T) {
	im := &Image{Shape: []int{5}, Data: []float64{0, 128, 255, 255, 0}}
	for _, c := range []struct {
		spec   string
		values []float64 // the set's stored values, for Resolve
		want   []int32
		stored string // String() after Resolve
		note   bool
		err    string
	}{
		{"raw", nil, []int32{0, 128, 255, 255, 0}, "raw", false, ""},
		{"0,128,255", nil, []int32{0, 1, 2, 2, 0}, "0,128,255", false, ""},
		{"255=1,128=1", nil, []int32{0, 1, 1, 1, 0}, "255=1,128=1", false, ""},
		{"auto", []float64{0, 128, 255}, []int32{0, 128, 255, 255, 0}, "raw", false, ""},
		{"0,255", nil, nil, "", false, "not one of --mask-values 0,255"},
	} {
		m, err := ParseMaskValues(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		r, note := m.Resolve(c.values, 0)
		got, err := r.Labels(im)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) || r.String() != c.stored || (note != "") != c.note {
			t.Errorf("%s: %v %v %q %q", c.spec, got, err, r.String(), note)
		}
	}
	// auto: 0 and one other value v > 1 becomes 0/1 over the whole set,
	// unless v is a declared class; 0/1 and multi-class sets stay.
	auto := MaskValues{}
	for _, c := range []struct {
		values  []float64
		classes int
		want    string
	}{
		{[]float64{0, 255}, 0, "255=1"},
		{[]float64{255}, 0, "255=1"},
		{[]float64{0, 7}, 0, "7=1"},
		{[]float64{0, 255}, 2, "255=1"},
		{[]float64{0, 2}, 3, "raw"},
		{[]float64{0, 1}, 0, "raw"},
		{[]float64{0, 1, 2}, 0, "raw"},
		{[]float64{0}, 0, "raw"},
	} {
		r, note := auto.Resolve(c.values, c.classes)
		if r.String() != c.want || (note != "") != (c.want != "raw") {
			t.Errorf("auto on %v (%d classes): %s %q, want %s", c.values, c.classes, r, note, c.want)
		}
	}
	r, _ := auto.Resolve([]float64{0, 255}, 0)
	if r.Stored(1) != 255 || r.Stored(0) != 0 {
		t.Errorf("Stored: %v %v", r.Stored(1), r.Stored(0))
	}
	l, _ := ParseMaskValues("0,128,255")
	if l.Stored(2) != 255 {
		t.Errorf("list Stored(2) = %v", l.Stored(2))
	}
	for _, bad := range []string{"0,x", "1.5", "255=a", "0,255=1", "3,3", "255=-1"} {
		if _, err := ParseMaskValues(bad); err == nil || !strings.Contains(err.Error(), "--mask-values") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
	if _, err := (MaskValues{}).Labels(&Image{Data: []float64{math.NaN()}}); err == nil {
		t.Errorf("NaN label: no error")
	}
}

func writeImage(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(f, img)
	} else {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadInputChannels(t *testing.T) {
	dir := t.TempDir()
	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := 0; i < 6; i++ {
		rgba.SetNRGBA(i%3, i/3, color.NRGBA{uint8(10 * i), uint8(100 + i), 7, uint8(40 * i)}) // alpha, even 0, is dropped
	}
	grey := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(50 * i)
	}
	writeImage(t, filepath.Join(dir, "rgba.png"), rgba)
	writeImage(t, filepath.Join(dir, "grey.png"), grey)
	writeImage(t, filepath.Join(dir, "grey.jpg"), grey)
	writeImage(t, filepath.Join(dir, "rgb.jpeg"), rgba)
	in, err := ReadInput(filepath.Join(dir, "rgba.png"))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 10, 20, 30, 40, 50, 100, 101, 102, 103, 104, 105, 7, 7, 7, 7, 7, 7}
	if in.Channels != 3 || !reflect.DeepEqual(in.Shape, []int{2, 3}) || !reflect.DeepEqual(in.Data, want) {
		t.Errorf("RGBA PNG: %d channels, shape %v, data %v", in.Channels, in.Shape, in.Data)
	}
	for name, ch := range map[string]int{"grey.png": 1, "grey.jpg": 1, "rgb.jpeg": 3} {
		in, err := ReadInput(filepath.Join(dir, name))
		if err != nil || in.Channels != ch || len(in.Data) != ch*6 {
			t.Errorf("%s: %v channels %d, %d values", name, err, in.Channels, len(in.Data))
		}
	}
	// 4-D NIfTI: the slowest axis is the channels; a NaN is named.
	vol := &Image{Shape: []int{2, 1, 2, 2}, Data: []float64{1, 2, 3, 4, 5, 6, math.NaN(), 8}}
	p := filepath.Join(dir, "v.nii")
	if err := Write(p, vol); err != nil {
		t.Fatal(err)
	}
	_, err = ReadInput(p)
	if err == nil || !strings.Contains(err.Error(), "v.nii") || !strings.Contains(err.Error(), "channel 1, voxel 2") {
		t.Errorf("NaN voxel: %v", err)
	}
	vol.Data[6] = 7
	Write(p, vol)
	in, err = ReadInput(p)
	if err != nil || in.Channels != 2 || !reflect.DeepEqual(in.Shape, []int{1, 2, 2}) || !reflect.DeepEqual(in.Channel(1), []float64{5, 6, 7, 8}) {
		t.Errorf("4-D NIfTI: %v %d %v", err, in.Channels, in.Shape)
	}
}

// TestWriteFileAtomicRemovesStaleTemps is issue 15's finding 12: a write
// killed mid-way left .X.json.tmpNNN behind; the next write removes the
// temporary files of dead writers and nothing else.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	dead := cmd.Process.Pid
	stale := filepath.Join(dir, ".r.json.tmp"+strconv.Itoa(dead)+"-123")
	live := filepath.Join(dir, ".r.json.tmp"+strconv.Itoa(os.Getppid())+"-456")
	other := filepath.Join(dir, ".r.json.tmpnotours")
	for _, p := range []string{stale, live, other} {
		os.WriteFile(p, []byte("partial"), 0o644)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "r.json"), func(w io.Writer) error { _, err := w.Write([]byte("{}")); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the dead writer's temp file is still there")
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}
