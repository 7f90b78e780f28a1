package maskio

import (
	"bytes"
	"os"
	"testing"
)

// fuzzDecoder seeds f with the testdata files of one format and checks
// that decoding arbitrary bytes never panics and that a decoded image is
// consistent.
func fuzzDecoder(f *testing.F, seeds []string, decode func(*bytes.Reader) (*Image, error)) {
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := img.check(); err != nil {
			t.Fatalf("decoded image is inconsistent: %v", err)
		}
	})
}

func FuzzDecodePNG(f *testing.F) {
	fuzzDecoder(f, []string{"testdata/labels2d.png"}, func(r *bytes.Reader) (*Image, error) { return DecodePNG(r) })
}

func FuzzDecodeNIfTI(f *testing.F) {
	fuzzDecoder(f, []string{"testdata/labels3d.nii.gz", "testdata/probs3d.nii"}, func(r *bytes.Reader) (*Image, error) { return DecodeNIfTI(r) })
}

func FuzzDecodeNPY(f *testing.F) {
	fuzzDecoder(f, []string{"testdata/labels3d.npy"}, func(r *bytes.Reader) (*Image, error) { return DecodeNPY(r) })
}
