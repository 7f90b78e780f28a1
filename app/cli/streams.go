package cli

import (
	"io"
	"os"
)

// Streams are the standard streams a command reads and writes. Tests pass
// buffers; main passes the process's own streams.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	IsTerm bool // Err is an interactive terminal: progress bars are drawn only then
}

// StdStreams returns the process's standard streams.
func StdStreams() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, IsTerm: isTerminal(os.Stderr)}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
