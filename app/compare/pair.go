package compare

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// writePair writes two files so that they stay a pair: both are written
// to temporary files first and renamed only when both are complete, so a
// failed write (a full disk) leaves the old pair untouched, never one new
// file next to an old one.
func writePair(pathA string, a []byte, pathB string, b []byte) error {
	var tmps []string
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, f := range []struct {
		path string
		data []byte
	}{{pathA, a}, {pathB, b}} {
		t, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".tmp*")
		if err != nil {
			return err
		}
		tmps = append(tmps, t.Name())
		_, err = bytes.NewReader(f.data).WriteTo(t)
		if err == nil {
			err = t.Chmod(0o644)
		}
		if cerr := t.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	if err := os.Rename(tmps[1], pathB); err != nil {
		return err
	}
	tmps = tmps[:1]
	if err := os.Rename(tmps[0], pathA); err != nil {
		return err
	}
	tmps = nil
	return nil
}
