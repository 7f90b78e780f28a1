package maskio

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// tempPattern is the os.CreateTemp pattern of WriteFileAtomic's temporary
// files for base: ".BASE.tmpPID-*", so that a later write can tell the
// temporary files of a process that died mid-write (killed, out of power)
// from those of a writer still at work.
func tempPattern(base string) string {
	return "." + base + ".tmp" + strconv.Itoa(os.Getpid()) + "-*"
}

// removeStaleTemps removes the temporary files WriteFileAtomic left for
// base in dir when their process is no longer running. Files of other
// names are never touched. (On Windows, where a process cannot be probed
// this way, nothing is removed.)
func removeStaleTemps(dir, base string) {
	if runtime.GOOS == "windows" {
		return
	}
	matches, err := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+".tmp*"))
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp"
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), prefix)
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if !processAlive(pid) {
			os.Remove(m)
		}
	}
}

// processAlive reports whether a process with id pid runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || err == syscall.EPERM
}

// escapeGlob escapes the characters filepath.Match treats specially.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
