// Command segloss evaluates, benchmarks, trains with and compares
// image-segmentation losses. See the README at the repository root.
package main

import (
	"os"

	"github.com/segloss/segloss/app/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.StdStreams()))
}
