package compare

import (
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
