package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genGemm writes the register-blocked SGEMM micro-kernels: an mr×nr tile
// of C from a packed A panel (mr floats per k step) and a packed B panel
// (nr floats per k step) or B itself (row stride ldb):
//
//	C[r][j] = sum_p A[p*mr+r] B[p*ldb+j] + beta C[r][j]
//
// with C not read when beta is +0.
func genGemm() {
	for _, masked := range []bool{false, true} {
		gemmKernel("sgemmKernAVX2", 4, 3, 8, YMM, masked)
		gemmKernel("sgemmKernAVX512", 8, 2, 16, ZMM, masked)
	}
}

// gemmKernel writes one micro-kernel of mr rows and nv vectors of lanes
// floats per row. The masked variant (name + "M") reads only the columns
// of B whose int32 lane of mask (nr lanes) is all ones, the others as 0:
// the last, partial panel of B read in place (masked loads do not fault
// on the lanes they skip).
func gemmKernel(name string, mr, nv, lanes int, vec func() VecVirtual, masked bool) {
	nr := nv * lanes
	sig := "func(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)"
	doc := "packed panel); beta = +0 leaves C unread."
	if masked {
		name += "M"
		sig = "func(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32, mask *int32)"
		doc = "packed panel), the columns where mask is set; beta = +0 leaves C unread."
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C (row stride ldc floats) from",
		name, mr, nr), "a packed A panel and k rows of B (row stride ldb floats, nr for a", doc)
	var mp Register
	var km []Op
	if masked {
		mp = Load(Param("mask"), GP64())
		if lanes == 16 { // AVX-512: mask registers from the lanes' sign bits
			for v := 0; v < nv; v++ {
				z := vec()
				VMOVUPS(Mem{Base: mp, Disp: 4 * lanes * v}, z)
				kr := K()
				VPMOVD2M(z, kr)
				km = append(km, kr)
			}
		}
	}
	k := Load(Param("k"), GP64())
	ap := Load(Param("a"), GP64())
	bp := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)

	acc := make([][]VecVirtual, mr)
	for r := range acc {
		acc[r] = make([]VecVirtual, nv)
		for v := range acc[r] {
			acc[r][v] = vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	bv := make([]VecVirtual, nv)
	for v := range bv {
		bv[v] = vec()
	}
	t := vec()

	TESTQ(k, k)
	JE(LabelRef(name + "_store"))
	Label(name + "_loop")
	for v := range bv {
		m := Mem{Base: bp, Disp: 4 * lanes * v}
		switch {
		case !masked:
			VMOVUPS(m, bv[v])
		case lanes == 16:
			VMOVUPS_Z(m, km[v], bv[v])
		default: // AVX2: 16 registers, the mask goes through t
			VMOVUPS(Mem{Base: mp, Disp: 4 * lanes * v}, t)
			VMASKMOVPS(m, t, bv[v])
		}
	}
	for r := 0; r < mr; r++ {
		VBROADCASTSS(Mem{Base: ap, Disp: 4 * r}, t)
		for v := range bv {
			VFMADD231PS(bv[v], t, acc[r][v])
		}
	}
	ADDQ(U32(4*mr), ap)
	ADDQ(ldb, bp)
	DECQ(k)
	JNE(LabelRef(name + "_loop"))

	Label(name + "_store")
	beta := GP32()
	MOVL(addr(Param("beta")), beta)
	TESTL(beta, beta)
	JNE(LabelRef(name + "_beta"))
	row := GP64()
	MOVQ(cp, row)
	for r := 0; r < mr; r++ {
		for v := range bv {
			VMOVUPS(acc[r][v], Mem{Base: row, Disp: 4 * lanes * v})
		}
		if r < mr-1 {
			ADDQ(ldc, row)
		}
	}
	VZEROUPPER()
	RET()

	Label(name + "_beta")
	VBROADCASTSS(addr(Param("beta")), t)
	for r := 0; r < mr; r++ {
		for v := range bv {
			m := Mem{Base: cp, Disp: 4 * lanes * v}
			VFMADD231PS(m, t, acc[r][v])
			VMOVUPS(acc[r][v], m)
		}
		if r < mr-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// addr returns the stack address of an argument.
func addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
