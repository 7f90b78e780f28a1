package kernel

// detectSet returns the fastest kernel set the CPU and the operating
// system support: the CPUID feature bits and, through XGETBV, that the
// OS saves the vector registers.
func detectSet() int {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return setGeneric
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, popcnt, osxsave, avx = 1 << 12, 1 << 23, 1 << 27, 1 << 28 // POPCNT: the Lovász listings
	if ecx1&(fma|popcnt|osxsave|avx) != fma|popcnt|osxsave|avx {
		return setGeneric
	}
	xcr0, _ := xgetbv()
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	if xcr0&0x6 != 0x6 || ebx7&avx2 == 0 {
		return setGeneric
	}
	// AVX-512 F (16), DQ (17), CD (28), BW (30), VL (31); XCR0 opmask,
	// upper ZMM0-15 and ZMM16-31 state.
	const avx512 = 1<<16 | 1<<17 | 1<<28 | 1<<30 | 1<<31
	if ebx7&avx512 != avx512 || xcr0&0xe0 != 0xe0 {
		return setAVX2
	}
	return setAVX512
}
