package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// The constant vectors are 64-byte read-only symbols, which the Go linker
// aligns to 32 bytes only: in some binaries every one of them straddles
// two cache lines, and each full-width AVX-512 load of one is a split load
// (the binary Dice statistics kernel measured 1.46× slower in such a
// binary than in one where the linker happened to place them on 64-byte
// boundaries). broadcastConsts rewrites the generated AVX-512 functions so
// that they read only the first 4 bytes of a constant, which never
// straddle: an instruction with a constant operand and a 512-bit
// register takes it by embedded broadcast (the .BCST suffix), and a load
// of one becomes VBROADCASTSS. The values are the same, so are the
// results. (avo has no builder for embedded broadcasts of memory
// operands that its other instructions take, so this runs on the text
// that avo writes.)

var (
	constOperand = regexp.MustCompile(`k[0-9a-f]{8}<>\+0\(SB\)`)
	zmmOperand   = regexp.MustCompile(`\bZ[0-9]+\b`)
	highVector   = regexp.MustCompile(`\b[XY](1[6-9]|2[0-9]|3[01])\b`)
)

// broadcastConsts rewrites the file at path in place (see above); it fails
// on an AVX2 function that uses a vector register above 15.
func broadcastConsts(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(src), "\n")
	avx512 := false
	for i, l := range lines {
		if strings.HasPrefix(l, "TEXT ") {
			avx512 = strings.Contains(l, "AVX512")
			continue
		}
		if !avx512 && highVector.MatchString(l) {
			// avo allocates from 32 vector registers; AVX2 has 16
			// (isa.withRegs on a kernel whose state does not fit).
			return fmt.Errorf("%s:%d: a register above 15 outside AVX-512: %s", path, i+1, strings.TrimSpace(l))
		}
		if !avx512 || !strings.HasPrefix(l, "\t") || !constOperand.MatchString(l) || !zmmOperand.MatchString(l) {
			continue
		}
		f := strings.Fields(l)
		op := f[0]
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), op))
		switch {
		case op == "VMOVUPS":
			op = "VBROADCASTSS"
		case strings.Contains(op, "."): // a suffix already (zeroing): leave it
			continue
		default:
			op += ".BCST"
		}
		lines[i] = "\t" + op + " " + rest
	}
	out := []byte(strings.Join(lines, "\n"))
	if bytes.Equal(out, src) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}
