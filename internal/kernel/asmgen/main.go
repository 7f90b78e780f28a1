// Command asmgen generates the Go assembly of package kernel with avo.
// It lives in its own module so that the core module keeps no
// dependencies; package kernel runs it through go generate:
//
//	go generate ./internal/kernel
//
// Each run writes one assembly file and its Go declarations, chosen by
// -file (cpu, gemm, binary, softmax, nn, lovasz).
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
)

var file = flag.String("file", "", "which functions to generate: cpu, gemm, binary, softmax, nn, lovasz")

func main() {
	flag.Parse()
	switch *file {
	case "cpu":
		genCPU()
	case "gemm":
		genGemm()
	case "binary":
		genBinary()
	case "softmax":
		genSoftmax()
	case "lovasz":
		genLovasz()
	case "nn":
		genNN()
	default:
		fmt.Fprintf(os.Stderr, "asmgen: unknown -file %q\n", *file)
		os.Exit(2)
	}
	Generate()
	if out := flag.Lookup("out").Value.String(); out != "" {
		if err := broadcastConsts(out); err != nil {
			fmt.Fprintln(os.Stderr, "asmgen:", err)
			os.Exit(1)
		}
	}
}
