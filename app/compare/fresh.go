package compare

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// runDirName matches the names runDir gives run folders: the spec made
// safe for file names, a dash and eight hex digits.
var runDirName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,60}-[0-9a-f]{8}$`)

// removeRuns deletes the run folders a compare wrote under out/runs (the
// folders named as runDir names them) and nothing else: a user's other
// files there stay.
func removeRuns(out string) error {
	dir := filepath.Join(out, "runs")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && runDirName.MatchString(e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

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
